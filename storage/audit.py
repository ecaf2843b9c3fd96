"""The audit log: every view and change of sensitive data, written in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import AuditEntry

_T = TypeVar("_T")


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    """Newest first; `action` ending in "." matches a family ("tip." → every tip action)."""
    query = _filtered(select(AuditEntry), target_type, target_id, actor, action, since, until)
    query = query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
    return session.exec(query).all()


def count_entries(
    session: Session,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> int:
    query = _filtered(
        select(func.count()).select_from(AuditEntry), target_type, target_id, actor, action, since, until
    )
    return int(session.exec(query).one())


def _filtered(
    query: SelectOfScalar[_T],
    target_type: str | None,
    target_id: str | None,
    actor: str | None,
    action: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> SelectOfScalar[_T]:
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == str(target_id))
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action:
        if action.endswith("."):
            query = query.where(col(AuditEntry.action).startswith(action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    return query


# Console logins record the address and the name typed; both are personal data (a typed
# name may be someone's password typed in the wrong field) and lose their use with time.
LOGIN_ACTIONS = (
    "console.login",
    "console.login_failed",
    "console.login_locked",
    "console.login_inactive",
    "console.login_throttled",
)
LOGIN_PERSONAL_KEYS = ("ip", "username")


def scrub_login_details(session: Session, *, before: dt.datetime, limit: int = 1000) -> int:
    """Remove the address and typed name from up to `limit` login entries older than `before`;
    who logged in, when and with what outcome stay. Returns how many entries changed."""
    detail = col(AuditEntry.detail)
    found = session.exec(
        select(AuditEntry)
        .where(
            col(AuditEntry.action).in_(LOGIN_ACTIONS),
            col(AuditEntry.at) < before,
            or_(*(detail[key].as_string().is_not(None) for key in LOGIN_PERSONAL_KEYS)),
        )
        .order_by(col(AuditEntry.id))
        .limit(limit)
    ).all()
    for entry in found:
        entry.detail = {k: v for k, v in entry.detail.items() if k not in LOGIN_PERSONAL_KEYS}
        session.add(entry)
    session.flush()
    return len(found)
