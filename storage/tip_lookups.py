"""Reads of tips the console needs besides `storage.tips`: existence (to tell 403 from 404),
duplicate suggestions by shared numbers, accounts and links, and identifiers for exports.

Read-only; scoping follows `storage.tips.Scope`, so an officer is never shown a
suggestion they could not open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import Tip, TipEntity
from storage.models.base import as_utc
from storage.tips import Scope


def tip_exists(session: Session, tip_id: int) -> bool:
    return session.exec(select(Tip.id).where(Tip.id == tip_id)).first() is not None


def tip_in_scope(session: Session, *, tip_id: int, scope: Scope) -> bool:
    return session.exec(select(Tip.id).where(Tip.id == tip_id, scope.clause())).first() is not None


@dataclass(frozen=True)
class DuplicateCandidate:
    """Another tip naming some of the same identifiers; `shared` lists them as (kind, value)."""

    tip_id: int
    code: str
    status: str
    created_at: dt.datetime
    shared: list[tuple[str, str]]


def duplicate_candidates(
    session: Session, *, tip_id: int, scope: Scope, limit: int = 10
) -> list[DuplicateCandidate]:
    """Tips in scope sharing a phone, account or link with this one; most shared first, then newest.

    Ranked and cut in SQL (a number many residents report is named by thousands of tips),
    and only the columns shown are read: no story is loaded to show a code.
    """
    mine = aliased(TipEntity)
    other = aliased(TipEntity)
    shared_count = func.count().label("shared")
    ranked = session.exec(
        select(Tip.id, Tip.code, Tip.status, Tip.created_at)
        .join(other, col(other.tip_id) == Tip.id)
        .join(mine, (col(mine.kind) == col(other.kind)) & (col(mine.value) == col(other.value)))
        .where(mine.tip_id == tip_id, other.tip_id != tip_id, scope.clause())
        .group_by(col(Tip.id), col(Tip.code), col(Tip.status), col(Tip.created_at))
        .order_by(shared_count.desc(), col(Tip.id).desc())
        .limit(limit)
    ).all()
    if not ranked:
        return []
    ids = [int(r[0] or 0) for r in ranked]
    shared: dict[int, list[tuple[str, str]]] = {}
    for other_id, kind, value in session.exec(
        select(other.tip_id, other.kind, other.value)
        .join(mine, (col(mine.kind) == col(other.kind)) & (col(mine.value) == col(other.value)))
        .where(mine.tip_id == tip_id, col(other.tip_id).in_(ids))
    ).all():
        shared.setdefault(int(other_id), []).append((kind, value))
    return [
        DuplicateCandidate(
            int(i or 0), code, status, as_utc(created) or created, sorted(shared.get(int(i or 0), []))
        )
        for i, code, status, created in ranked
    ]


def entities_of(session: Session, tip_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each tip's identifiers as given (for the export), in the order they were given."""
    out: dict[int, list[str]] = {}
    ids = list(dict.fromkeys(tip_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for tip_id, value in session.exec(
            select(TipEntity.tip_id, TipEntity.value)
            .where(col(TipEntity.tip_id).in_(chunk))
            .order_by(col(TipEntity.id))
        ).all():
            out.setdefault(tip_id, []).append(value)
    return out
