"""The Zalo OA token pair: read (optionally locked for a refresh), replace, record a failed refresh.

Values are ciphertext produced by the caller (bot/crypto.py); this module stores them
as they come, so storage never handles a token in clear.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from storage.models import ZaloToken, utcnow


def get_tokens(session: Session, *, app_id: str, for_update: bool = False) -> ZaloToken | None:
    """The app's pair; `for_update` holds a row lock on PostgreSQL until the transaction ends,
    so two processes cannot spend the same single-use refresh token."""
    query = select(ZaloToken).where(ZaloToken.app_id == app_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def save_tokens(
    session: Session,
    *,
    app_id: str,
    access_token: str,
    refresh_token: str,
    access_expires_at: dt.datetime,
    refresh_expires_at: dt.datetime | None,
    oa_id: str | None = None,
) -> ZaloToken:
    """Replace the pair (a new consent or a refresh); clears a recorded failure."""
    row = get_tokens(session, app_id=app_id)
    if row is None:
        row = ZaloToken(
            app_id=app_id,
            access_token=access_token,
            refresh_token=refresh_token,
            access_expires_at=access_expires_at,
            version=0,
        )
    row.access_token = access_token
    row.refresh_token = refresh_token
    row.access_expires_at = access_expires_at
    row.refresh_expires_at = refresh_expires_at
    if oa_id:
        row.oa_id = oa_id
    row.version += 1
    row.updated_at = utcnow()
    row.failed_at = None
    row.failure = None
    session.add(row)
    session.flush()
    return row


def record_failure(session: Session, *, app_id: str, reason: str) -> None:
    """A refresh was refused: the pair is dead until an admin consents again."""
    row = get_tokens(session, app_id=app_id)
    if row is None:
        return
    row.failed_at = utcnow()
    row.failure = reason[:500]
    session.add(row)
    session.flush()
