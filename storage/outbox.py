"""The outbox: one row per recipient, claimed by workers, never sent twice once marked sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from content.messages import Reply, replies_to_payload
from storage.models import OutboxMessage, utcnow
from storage.models.base import as_utc

# Priorities: lower goes first.
PRIORITY_REPLY = 0
PRIORITY_NOTIFY = 1
PRIORITY_BROADCAST = 5

FINAL_STATUSES = ("sent", "failed", "unreachable", "window_closed", "cancelled")


def enqueue(
    session: Session,
    *,
    channel: str,
    user_key: str,
    replies: list[Reply],
    kind: str = "notify",
    priority: int = PRIORITY_NOTIFY,
    dedupe_key: str | None = None,
    alert_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue messages for one recipient inside the caller's transaction."""
    row = OutboxMessage(
        channel=channel,
        user_key=user_key,
        kind=kind,
        priority=priority,
        payload=replies_to_payload(replies),
        dedupe_key=dedupe_key,
        alert_id=alert_id,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def claim_batch(
    session: Session,
    *,
    worker: str,
    limit: int = 50,
    channels: Sequence[str] | None = None,
    stale_after: dt.timedelta = dt.timedelta(minutes=5),
    now: dt.datetime | None = None,
) -> list[OutboxMessage]:
    """Claim due rows for `worker`; rows left 'sending' by a dead worker become due again.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim without overlap;
    SQLite serialises writers, so the update below is enough there.
    """
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        .where(
            or_(
                (col(OutboxMessage.status) == "pending") & (col(OutboxMessage.next_attempt_at) <= now),
                (col(OutboxMessage.status) == "sending")
                & (col(OutboxMessage.claimed_at) < now - stale_after),
            )
        )
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(limit)
    )
    if channels:
        query = query.where(col(OutboxMessage.channel).in_(list(channels)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query).all())
    for row in rows:
        row.status = "sending"
        row.claimed_by = worker
        row.claimed_at = now
        row.attempts += 1
        session.add(row)
    session.flush()
    return rows


def mark(session: Session, message_id: int, *, status: str, error: str | None = None) -> None:
    """Record a final outcome (sent, failed, unreachable, window_closed, cancelled)."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final status: {status}")
    values: dict[str, object] = {"status": status, "error": error[:2000] if error else None}
    if status == "sent":
        values["sent_at"] = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "sending")
        .values(**values)
    )


def retry_later(session: Session, message_id: int, *, at: dt.datetime, error: str | None = None) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "sending")
        .values(status="pending", next_attempt_at=at, error=error[:2000] if error else None)
    )


def cancel_alert(session: Session, alert_id: int) -> int:
    """Stop the rows of an alert that have not been claimed yet; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.alert_id) == alert_id, col(OutboxMessage.status) == "pending")
        .values(status="cancelled")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def next_due(session: Session) -> dt.datetime | None:
    value = session.exec(
        select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == "pending")
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(1)
    ).first()
    return as_utc(value)
