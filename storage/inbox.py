"""Durable inbound updates: recorded before the 200, processed after, repeats dropped.

A pending update holds the platform's payload (the resident's words, a shared phone
number): processing needs it, and after a crash it is processed again from it. Once
handled, only what deduplication needs stays (channel, platform id, status, times): the
payload and the user are cleared in the same statement that marks it done, and the row
itself is deleted after the deduplication window (`purge_handled`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage.models import InboxUpdate, utcnow
from storage.upsert import insert_ignore_many

MAX_ATTEMPTS = 3
# What a handled update keeps of its content: nothing (see the module docstring).
HANDLED: dict[str, Any] = {"payload": {}, "user_key": ""}


def record_update(
    session: Session,
    *,
    channel: str,
    platform_id: str,
    user_key: str,
    payload: dict[str, Any],
    attempts: int = 0,
) -> int | None:
    """Store an update once; returns its row id, or None when it was already recorded.

    `attempts=1` records that processing starts right away (the caller holds the payload),
    so no second transaction is needed to count the first attempt.
    """
    [update_id] = record_updates(
        session, [NewUpdate(channel, platform_id, user_key, payload)], attempts=attempts
    )
    return update_id


@dataclass(frozen=True)
class NewUpdate:
    channel: str
    platform_id: str
    user_key: str
    payload: dict[str, Any]


def record_updates(
    session: Session, updates: Sequence[NewUpdate], *, attempts: int = 0, claimed_by: str | None = None
) -> list[int | None]:
    """Store several updates in one statement; per update its new row id, or None for a repeat
    (already recorded, or earlier in this same list). `claimed_by`: the process that will
    handle them (see storage.inbox_lanes)."""
    if not updates:
        return []
    first: dict[tuple[str, str], int] = {}
    for index, item in enumerate(updates):
        first.setdefault((item.channel, item.platform_id), index)
    now = utcnow()
    rows = [
        {
            "channel": updates[index].channel,
            "platform_id": updates[index].platform_id,
            "user_key": updates[index].user_key,
            "payload": updates[index].payload,
            "status": "pending",
            "attempts": attempts,
            "received_at": now,
            "claimed_by": claimed_by,
            "claimed_at": now if claimed_by else None,
        }
        for index in first.values()
    ]
    inserted = insert_ignore_many(
        session,
        InboxUpdate.__table__,  # type: ignore[attr-defined]
        rows,
        conflict=("channel", "platform_id"),
        returning=("id", "channel", "platform_id"),
    )
    new_ids = {(row.channel, row.platform_id): int(row.id) for row in inserted}
    return [
        new_ids.get((item.channel, item.platform_id))
        if first[(item.channel, item.platform_id)] == index
        else None
        for index, item in enumerate(updates)
    ]


def get_update(session: Session, update_id: int) -> InboxUpdate | None:
    return session.get(InboxUpdate, update_id)


def pending_updates(
    session: Session, *, channel: str | None = None, limit: int = 500
) -> Sequence[InboxUpdate]:
    """Updates recorded but not yet processed (after a crash), oldest first."""
    query = select(InboxUpdate).where(InboxUpdate.status == "pending")
    if channel is not None:
        query = query.where(InboxUpdate.channel == channel)
    return session.exec(query.order_by(col(InboxUpdate.id)).limit(limit)).all()


def start_attempt(session: Session, update_id: int) -> int:
    """Count an attempt before processing, so a poison update cannot loop forever."""
    row = session.get(InboxUpdate, update_id)
    if row is None:
        return MAX_ATTEMPTS + 1
    row.attempts += 1
    session.add(row)
    session.flush()
    return row.attempts


def finish_update(session: Session, update_id: int, *, error: str | None = None) -> None:
    """Mark an update processed (or failed, with the reason); one statement."""
    session.execute(
        update(InboxUpdate)
        .where(col(InboxUpdate.id) == update_id)
        .values(
            status="failed" if error else "done",
            error=error[:2000] if error else None,
            processed_at=utcnow(),
            **HANDLED,
            replies=None,
        )
    )


def finish_updates(session: Session, results: Sequence[tuple[int, str | None]]) -> None:
    """Mark several updates processed: one statement for all that succeeded, one per failure."""
    done = [update_id for update_id, error in results if not error]
    now = utcnow()
    if done:
        session.execute(
            update(InboxUpdate)
            .where(col(InboxUpdate.id).in_(done))
            .values(status="done", error=None, processed_at=now, replies=None, **HANDLED)
            .execution_options(synchronize_session=False)
        )
    for update_id, error in results:
        if error:
            finish_update(session, update_id, error=error)


def forget_user(session: Session, *, channel: str, user_key: str) -> int:
    """A resident's erasure request: clear what handled updates still hold of them (rows
    handled before payloads were cleared on completion); pending ones clear when handled."""
    result = session.execute(
        update(InboxUpdate)
        .where(
            col(InboxUpdate.channel) == channel,
            col(InboxUpdate.user_key) == user_key,
            col(InboxUpdate.status) != "pending",
        )
        .values(**HANDLED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_handled(session: Session, *, before: dt.datetime, limit: int = 5000) -> int:
    """Delete up to `limit` handled updates received before `before` (out of the deduplication
    window); returns how many. Pending updates are never deleted."""
    ids = session.exec(
        select(InboxUpdate.id)
        .where(col(InboxUpdate.status) != "pending", col(InboxUpdate.received_at) < before)
        .order_by(col(InboxUpdate.id))
        .limit(limit)
    ).all()
    if ids:
        session.execute(
            delete(InboxUpdate)
            .where(col(InboxUpdate.id).in_(list(ids)))
            .execution_options(synchronize_session=False)
        )
    return len(ids)
