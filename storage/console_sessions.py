"""Console sessions: a random token in the officer's cookie, its SHA-256 here.

Kept in the database rather than in a signed cookie so that logging out, deactivating
an officer or resetting a password ends the session at once on every instance, and no
signing secret has to be shared between instances.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import ConsoleSession, Officer, utcnow
from storage.models.base import as_utc

# Writing last_seen on every request would make each page view a write; a minute is precise enough.
_TOUCH_EVERY = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    session: Session,
    *,
    officer_id: int,
    lifetime: dt.timedelta,
    ip: str | None = None,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, ConsoleSession]:
    """A new session; returns the token for the cookie (never stored) and the row."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=_hash(token),
        officer_id=officer_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_session(
    session: Session, *, token: str, idle: dt.timedelta, now: dt.datetime | None = None
) -> tuple[ConsoleSession, Officer] | None:
    """The live session and its active officer, or None (unknown, expired, idle too long, inactive)."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token))).first()
    if row is None:
        return None
    expires, seen = as_utc(row.expires_at), as_utc(row.last_seen_at)
    officer = session.get(Officer, row.officer_id)
    if (
        expires is None
        or seen is None
        or expires <= now
        or seen + idle <= now
        or officer is None
        or not officer.active
    ):
        session.delete(row)
        session.flush()
        return None
    if now - seen >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return row, officer


def close_session(session: Session, *, token: str) -> None:
    session.execute(delete(ConsoleSession).where(col(ConsoleSession.token_hash) == _hash(token)))


def close_sessions_of(session: Session, officer_id: int) -> int:
    result = session.execute(delete(ConsoleSession).where(col(ConsoleSession.officer_id) == officer_id))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired(session: Session, *, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    result = session.execute(delete(ConsoleSession).where(col(ConsoleSession.expires_at) <= now))
    return int(getattr(result, "rowcount", 0) or 0)
