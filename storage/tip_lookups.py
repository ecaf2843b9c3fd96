"""Reads of tips the console needs besides `storage.tips`: existence (to tell 403 from 404),
duplicate suggestions by shared numbers, accounts and links, and identifiers for exports.

Read-only; scoping follows `storage.tips.Scope`, so an officer is never shown a
suggestion they could not open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Tip, TipEntity
from storage.tips import Scope


def tip_exists(session: Session, tip_id: int) -> bool:
    return session.exec(select(Tip.id).where(Tip.id == tip_id)).first() is not None


def tip_in_scope(session: Session, *, tip_id: int, scope: Scope) -> bool:
    return session.exec(select(Tip.id).where(Tip.id == tip_id, scope.clause())).first() is not None


@dataclass(frozen=True)
class DuplicateCandidate:
    """Another tip naming some of the same identifiers; `shared` lists them as (kind, value)."""

    tip: Tip
    shared: list[tuple[str, str]]


def duplicate_candidates(
    session: Session, *, tip_id: int, scope: Scope, limit: int = 10
) -> list[DuplicateCandidate]:
    """Tips in scope sharing a phone, account or link with this one; most shared first, then newest."""
    mine = session.exec(select(TipEntity.kind, TipEntity.value).where(TipEntity.tip_id == tip_id)).all()
    if not mine:
        return []
    values = sorted({value for _, value in mine})
    wanted = {(kind, value) for kind, value in mine}
    rows = session.exec(
        select(TipEntity.tip_id, TipEntity.kind, TipEntity.value).where(
            col(TipEntity.value).in_(values), TipEntity.tip_id != tip_id
        )
    ).all()
    shared: dict[int, list[tuple[str, str]]] = {}
    for other_id, kind, value in rows:
        if (kind, value) in wanted:
            shared.setdefault(other_id, []).append((kind, value))
    if not shared:
        return []
    tips = session.exec(select(Tip).where(col(Tip.id).in_(list(shared)), scope.clause())).all()
    found = [DuplicateCandidate(t, sorted(shared[t.id])) for t in tips if t.id is not None]
    found.sort(key=lambda c: (-len(c.shared), -(c.tip.id or 0)))
    return found[:limit]


def entities_of(session: Session, tip_ids: Sequence[int]) -> dict[int, list[TipEntity]]:
    """Each tip's identifiers (for the export), in the order they were given."""
    out: dict[int, list[TipEntity]] = {}
    ids = list(dict.fromkeys(tip_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for entity in session.exec(
            select(TipEntity).where(col(TipEntity.tip_id).in_(chunk)).order_by(col(TipEntity.id))
        ).all():
            out.setdefault(entity.tip_id, []).append(entity)
    return out
