"""Durable inbound updates: recorded before the 200, processed after, repeats dropped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from storage.models import InboxUpdate, utcnow
from storage.upsert import insert_ignore

MAX_ATTEMPTS = 3


def record_update(
    session: Session, *, channel: str, platform_id: str, user_key: str, payload: dict[str, Any]
) -> int | None:
    """Store an update once; returns its row id, or None when it was already recorded."""
    table: Any = InboxUpdate.__table__  # type: ignore[attr-defined]
    return insert_ignore(
        session,
        table,
        {
            "channel": channel,
            "platform_id": platform_id,
            "user_key": user_key,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "received_at": utcnow(),
        },
        ["channel", "platform_id"],
    )


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
    row = session.get(InboxUpdate, update_id)
    if row is None:
        return
    row.status = "failed" if error else "done"
    row.error = error[:2000] if error else None
    row.processed_at = utcnow()
    session.add(row)
    session.flush()
