"""Reading tips for officers: who may see what, the filtered list, one tip in full (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import false, func, or_, true
from sqlmodel import Session, col, select

from storage import audit
from storage.crypto import Cipher
from storage.models import Officer, Tip, TipEntity, TipEvent, TipEvidence, Unit
from storage.tip_errors import NotPermitted, TipNotFound


@dataclass(frozen=True)
class Scope:
    """The tips an officer may see: everything (admin), their province's, or their commune unit's.

    A province sees every tip whose province is theirs, also those that reached no unit
    (none configured yet), so nothing falls between the cracks.
    """

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    province_codes: frozenset[int] = frozenset()

    def allows(self, tip: Tip) -> bool:
        return (
            self.everything
            or (tip.unit_id is not None and tip.unit_id in self.unit_ids)
            or (tip.province_code is not None and tip.province_code in self.province_codes)
        )

    def clause(self) -> Any:
        if self.everything:
            return true()
        parts = []
        if self.unit_ids:
            parts.append(col(Tip.unit_id).in_(sorted(self.unit_ids)))
        if self.province_codes:
            parts.append(col(Tip.province_code).in_(sorted(self.province_codes)))
        return or_(*parts) if parts else false()


def scope_for(session: Session, officer: Officer) -> Scope:
    if not officer.active:
        return Scope()
    if officer.role == "admin":
        return Scope(everything=True)
    unit = session.get(Unit, officer.unit_id) if officer.unit_id else None
    if unit is None:
        return Scope()
    if officer.role == "province":
        ids = session.exec(select(Unit.id).where(Unit.province_code == unit.province_code)).all()
        return Scope(
            unit_ids=frozenset(i for i in ids if i is not None),
            province_codes=frozenset({unit.province_code}),
        )
    return Scope(unit_ids=frozenset({unit.id} if unit.id is not None else set()))


def visible_unit_ids(session: Session, officer: Officer) -> set[int] | None:
    """The units whose tips the officer sees; None means all (an administrator)."""
    scope = scope_for(session, officer)
    return None if scope.everything else set(scope.unit_ids)


SORTS = {
    "newest": (col(Tip.created_at).desc(), col(Tip.id).desc()),
    "oldest": (col(Tip.created_at).asc(), col(Tip.id).asc()),
    "updated": (col(Tip.updated_at).desc(), col(Tip.id).desc()),
    "amount": (col(Tip.amount_lost).desc().nulls_last(), col(Tip.id).desc()),
}


@dataclass(frozen=True)
class TipFilters:
    """Console filters; empty values filter nothing. Dates compare with `created_at` (UTC)."""

    statuses: Sequence[str] = ()
    unit_id: int | None = None
    ward_code: int | None = None
    province_code: int | None = None
    modus_id: str | None = None
    assigned_to: int | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    code: str | None = None
    no_unit: bool = False  # only the tips no unit holds (the national queue)


class TipPage(NamedTuple):
    rows: list[Tip]
    total: int
    counts_by_status: dict[str, int]


def _filtered(query: Any, f: TipFilters, *, with_status: bool) -> Any:
    if with_status and f.statuses:
        query = query.where(col(Tip.status).in_(list(f.statuses)))
    if f.unit_id is not None:
        query = query.where(Tip.unit_id == f.unit_id)
    if f.no_unit:
        query = query.where(col(Tip.unit_id).is_(None))
    if f.ward_code is not None:
        query = query.where(Tip.ward_code == f.ward_code)
    if f.province_code is not None:
        query = query.where(Tip.province_code == f.province_code)
    if f.modus_id:
        query = query.where(Tip.modus_id == f.modus_id)
    if f.assigned_to is not None:
        query = query.where(Tip.assigned_to == f.assigned_to)
    if f.created_from is not None:
        query = query.where(col(Tip.created_at) >= f.created_from)
    if f.created_to is not None:
        query = query.where(col(Tip.created_at) < f.created_to)
    if f.amount_min is not None:
        query = query.where(col(Tip.amount_lost) >= f.amount_min)
    if f.amount_max is not None:
        query = query.where(col(Tip.amount_lost) <= f.amount_max)
    if f.code:
        from storage.tip_codes import normalize_code

        query = query.where(Tip.code == (normalize_code(f.code) or f.code.strip().upper()))
    return query


def list_tips(
    session: Session,
    *,
    scope: Scope,
    filters: TipFilters | None = None,
    sort: str = "newest",
    page: int = 1,
    per_page: int = 50,
) -> TipPage:
    """One page of tips in scope; `counts_by_status` ignores the status filter (for tabs)."""
    f = filters or TipFilters()
    page, per_page = max(page, 1), min(max(per_page, 1), 500)
    base = _filtered(select(Tip).where(scope.clause()), f, with_status=True)
    total = int(session.exec(select(func.count()).select_from(base.subquery())).one())
    order = SORTS.get(sort, SORTS["newest"])
    rows = list(session.exec(base.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all())
    counts_query = _filtered(
        select(Tip.status, func.count()).where(scope.clause()), f, with_status=False
    ).group_by(col(Tip.status))
    counts = {str(status): int(n) for status, n in session.exec(counts_query).all()}
    return TipPage(rows, total, counts)


@dataclass(frozen=True)
class EventView:
    event: TipEvent
    note: str | None


@dataclass(frozen=True)
class TipDetail:
    """A tip with its personal fields decrypted, for an officer allowed to see it."""

    tip: Tip
    story: str | None
    contact_phone: str | None
    entities: list[TipEntity] = field(default_factory=list)
    evidence: list[TipEvidence] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)


def get_tip_detail(session: Session, *, tip_id: int, officer_id: int, cipher: Cipher) -> TipDetail:
    """Open one tip; the view is written to the audit log (who looked, when)."""
    officer = session.get(Officer, officer_id)
    if officer is None or not officer.active:
        raise NotPermitted("inactive or unknown officer")
    tip = session.get(Tip, tip_id)
    if tip is None or not scope_for(session, officer).allows(tip):
        raise TipNotFound(f"tip {tip_id}")
    audit.record(
        session, actor=f"officer:{officer.id}", action="tip.view", target_type="tip", target_id=str(tip.id)
    )
    entities = session.exec(select(TipEntity).where(TipEntity.tip_id == tip_id).order_by(col(TipEntity.id)))
    evidence = session.exec(
        select(TipEvidence).where(TipEvidence.tip_id == tip_id).order_by(col(TipEvidence.id))
    )
    events = session.exec(select(TipEvent).where(TipEvent.tip_id == tip_id).order_by(col(TipEvent.id)))
    return TipDetail(
        tip=tip,
        story=cipher.decrypt(tip.story),
        contact_phone=cipher.decrypt(tip.contact_phone),
        entities=list(entities.all()),
        evidence=list(evidence.all()),
        events=[EventView(e, cipher.decrypt(e.note)) for e in events.all()],
    )
