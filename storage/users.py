"""Users per channel: first contact, last inbound time (for Zalo's windows), reachability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_
from sqlmodel import Session, col, select

from storage.models import User, utcnow
from storage.models.base import as_utc
from storage.upsert import upsert_many


@dataclass(frozen=True)
class Inbound:
    """One user's message, as far as the users table cares."""

    channel: str
    user_key: str
    display_name: str | None = None
    at: dt.datetime | None = None


def record_inbound(
    session: Session,
    *,
    channel: str,
    user_key: str,
    display_name: str | None = None,
    inbound_at: dt.datetime | None = None,
) -> None:
    """An inbound message: creates the user, moves the last inbound time forward, and clears
    unreachable when the message is newer than what made the user unreachable."""
    record_inbound_many(session, [Inbound(channel, user_key, display_name, inbound_at)])


def record_inbound_many(session: Session, messages: list[Inbound]) -> None:
    """`record_inbound` for many messages in one statement; a user's latest message counts."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for msg in messages:
        at = msg.at or utcnow()
        key = (msg.channel, msg.user_key)
        seen = latest.get(key)
        name = msg.display_name[:200] if msg.display_name else None
        if seen is None or at >= seen["last_inbound_at"]:
            latest[key] = {
                "channel": msg.channel,
                "user_key": msg.user_key,
                "display_name": name or (seen["display_name"] if seen else None),
                "created_at": utcnow(),
                "last_inbound_at": at,
                "unreachable_at": None,
                "unreachable_reason": None,
            }
    table: Any = User.__table__  # type: ignore[attr-defined]
    upsert_many(session, table, list(latest.values()), keys=("channel", "user_key"), update=_refresh)


def _refresh(new: Any, table: Any) -> dict[str, Any]:
    """The SET clause for a known user. Platforms deliver late and retry (Zalo for a while), so
    an event older than what we hold must not move the clock back (it would shrink a messaging
    window) nor undo an unfollow or a block recorded after it."""
    stored = table.c.last_inbound_at
    newer = or_(stored.is_(None), new.last_inbound_at > stored)
    gone = table.c.unreachable_at
    # strictly later: a message stamped the same millisecond as the unfollow does not undo it
    back = or_(gone.is_(None), new.last_inbound_at > gone)
    return {
        "last_inbound_at": case((newer, new.last_inbound_at), else_=stored),
        "unreachable_at": case((back, None), else_=gone),
        "unreachable_reason": case((back, None), else_=table.c.unreachable_reason),
        # a message without a name (a button press), or an older one, keeps the name we know
        "display_name": case(
            (and_(newer, new.display_name.is_not(None)), new.display_name), else_=table.c.display_name
        ),
    }


def get_user(session: Session, *, channel: str, user_key: str) -> User | None:
    return session.exec(select(User).where(User.channel == channel, User.user_key == user_key)).first()


def mark_unreachable(
    session: Session, *, channel: str, user_key: str, reason: str, at: dt.datetime | None = None
) -> bool:
    """The platform says we may not write to this user any more (blocked, deleted, unfollowed).

    `at` is when it happened, for an event with its own time (a Zalo unfollow): a late copy older
    than the user's latest message (they followed again and wrote since) changes nothing.
    Without `at` (a refusal met just now) it always stands. Returns whether the user is marked.
    """
    user = get_user(session, channel=channel, user_key=user_key)
    if user is None:
        user = User(channel=channel, user_key=user_key)
    last = as_utc(user.last_inbound_at)
    if at is not None and last is not None and last > at:
        return False
    user.unreachable_at = at or utcnow()
    user.unreachable_reason = reason[:200]
    session.add(user)
    session.flush()
    return True


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
