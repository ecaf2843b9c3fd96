"""The audit log: every view and change of sensitive data, written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEntry


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
    limit: int = 200,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    query = select(AuditEntry)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == str(target_id))
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    query = query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
    return session.exec(query).all()
