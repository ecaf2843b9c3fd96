"""The outbox: one row per recipient, claimed by workers, never sent twice once marked sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import update
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
    """Claim due rows for `worker`, replies and notifications before broadcasts.

    Rows left 'sending' by a worker whose lease ran out (it died) are released first.
    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim without overlap;
    SQLite serialises writers, so the conditional update below is enough there.
    """
    now = now or utcnow()
    release_expired(session, older_than=now - stale_after)
    query = (
        select(OutboxMessage.id)
        .where(
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.next_attempt_at) <= now,
        )
        .order_by(col(OutboxMessage.status), col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(limit)
    )
    if channels:
        query = query.where(col(OutboxMessage.channel).in_(list(channels)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [int(i) for i in session.exec(query).all() if i is not None]
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == "pending")
        .values(
            status="sending",
            claimed_by=worker,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(ids),
            col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.status) == "sending",
        )
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    ).all()
    return list(rows)


def release_expired(session: Session, *, older_than: dt.datetime) -> int:
    """Rows claimed by a worker that stopped renewing its lease (it died) become due again.

    Only these rows can be sent twice: they may have left before the worker died.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == "sending", col(OutboxMessage.claimed_at) < older_than)
        .values(status="pending", claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def renew_lease(session: Session, *, worker: str, now: dt.datetime | None = None) -> int:
    """A live worker keeps its claimed rows from being released to others.

    Rows another transaction is writing (their outcome) are skipped, never waited for,
    so a renewal cannot deadlock with the worker's own flush.
    """
    mine = select(OutboxMessage.id).where(
        col(OutboxMessage.status) == "sending", col(OutboxMessage.claimed_by) == worker
    )
    if session.get_bind().dialect.name == "postgresql":
        mine = mine.with_for_update(skip_locked=True)
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(mine.scalar_subquery()))
        .values(claimed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark(
    session: Session,
    message_id: int,
    *,
    status: str,
    error: str | None = None,
    worker: str | None = None,
) -> None:
    """Record a final outcome (sent, failed, unreachable, window_closed, cancelled)."""
    mark_many(session, [message_id], status=status, error=error, worker=worker)


def mark_many(
    session: Session,
    message_ids: Sequence[int],
    *,
    status: str,
    error: str | None = None,
    worker: str | None = None,
) -> int:
    """Record one final outcome for many rows still claimed (by `worker`, when given)."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final status: {status}")
    if not message_ids:
        return 0
    now = utcnow()
    values: dict[str, object] = {"status": status, "error": error[:2000] if error else None}
    if status == "sent":
        values["sent_at"] = now
    conditions = [col(OutboxMessage.id).in_(list(message_ids)), col(OutboxMessage.status) == "sending"]
    if worker is not None:
        conditions.append(col(OutboxMessage.claimed_by) == worker)
    result = session.execute(
        update(OutboxMessage).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def retry_later(
    session: Session,
    message_id: int,
    *,
    at: dt.datetime,
    error: str | None = None,
    worker: str | None = None,
) -> None:
    """Back to the queue, due at `at` (backoff after a 5xx or timeout, or after a 429)."""
    conditions = [col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "sending"]
    if worker is not None:
        conditions.append(col(OutboxMessage.claimed_by) == worker)
    session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(status="pending", next_attempt_at=at, claimed_by=None, error=error[:2000] if error else None)
        .execution_options(synchronize_session=False)
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
