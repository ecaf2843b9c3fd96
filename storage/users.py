"""Users per channel: first contact, last inbound time (for Zalo's windows), reachability."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import User, utcnow
from storage.models.base import as_utc


def touch_user(
    session: Session,
    *,
    channel: str,
    user_key: str,
    display_name: str | None = None,
    inbound_at: dt.datetime | None = None,
) -> User:
    """Record an inbound message: creates the user, refreshes the last inbound time, clears unreachable."""
    user = get_user(session, channel=channel, user_key=user_key)
    if user is None:
        user = User(channel=channel, user_key=user_key)
    user.last_inbound_at = inbound_at or utcnow()
    user.unreachable_at = None
    user.unreachable_reason = None
    if display_name:
        user.display_name = display_name[:200]
    session.add(user)
    session.flush()
    return user


def record_inbound(
    session: Session,
    *,
    channel: str,
    user_key: str,
    display_name: str | None = None,
    inbound_at: dt.datetime | None = None,
) -> None:
    """`touch_user` in one statement, for the hot path (every message): insert or refresh."""
    table: Any = User.__table__  # type: ignore[attr-defined]
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    name = display_name[:200] if display_name else None
    stmt = module.insert(table).values(
        channel=channel,
        user_key=user_key,
        display_name=name,
        created_at=utcnow(),
        last_inbound_at=inbound_at or utcnow(),
        unreachable_at=None,
        unreachable_reason=None,
    )
    refresh: dict[str, Any] = {
        "last_inbound_at": stmt.excluded.last_inbound_at,
        "unreachable_at": None,
        "unreachable_reason": None,
    }
    if name:
        refresh["display_name"] = stmt.excluded.display_name
    session.execute(stmt.on_conflict_do_update(index_elements=["channel", "user_key"], set_=refresh))


def get_user(session: Session, *, channel: str, user_key: str) -> User | None:
    return session.exec(select(User).where(User.channel == channel, User.user_key == user_key)).first()


def mark_unreachable(session: Session, *, channel: str, user_key: str, reason: str) -> None:
    """The platform says we may not write to this user any more (blocked, deleted, unfollowed)."""
    user = get_user(session, channel=channel, user_key=user_key)
    if user is None:
        user = User(channel=channel, user_key=user_key)
    user.unreachable_at = utcnow()
    user.unreachable_reason = reason[:200]
    session.add(user)
    session.flush()


def last_inbound(session: Session, *, channel: str, user_keys: list[str]) -> dict[str, dt.datetime]:
    """When each of these users last wrote to us (for messaging windows); unknown users are absent."""
    if not user_keys:
        return {}
    rows = session.exec(
        select(User.user_key, User.last_inbound_at).where(
            User.channel == channel, col(User.user_key).in_(user_keys)
        )
    ).all()
    return {key: at for key, at in ((k, as_utc(v)) for k, v in rows) if at is not None}
