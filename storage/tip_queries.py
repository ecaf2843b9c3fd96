"""Reading tips for officers: who may see what, the filtered list, one tip in full (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import false, func, or_, true
from sqlmodel import Session, col, select

from storage import audit
from storage.crypto import Cipher
from storage.models import Officer, Tip, TipEntity, TipEvent, TipEvidence, Unit
from storage.models.tips import STATUSES
from storage.tip_errors import NotPermitted, TipNotFound


@dataclass(frozen=True)
class Scope:
    """The tips an officer may see: everything (admin), their province's, or their commune unit's.

    A province sees every tip whose province is theirs, also those that reached no unit
    (none configured yet), so nothing falls between the cracks. A tip's unit lies in the
    tip's province (routing picks the commune's unit, else the province's), so the
    province alone decides: one indexed column, not an `OR` over a hundred unit ids that
    turns every count into a scan of the whole table.
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
        return Scope(province_codes=frozenset({unit.province_code}))
    return Scope(unit_ids=frozenset({unit.id} if unit.id is not None else set()))


def visible_unit_ids(session: Session, officer: Officer) -> set[int] | None:
    """The units whose tips the officer sees; None means all (an administrator)."""
    scope = scope_for(session, officer)
    if scope.everything:
        return None
    ids = set(scope.unit_ids)
    if scope.province_codes:
        found = session.exec(select(Unit.id).where(col(Unit.province_code).in_(sorted(scope.province_codes))))
        ids.update(i for i in found.all() if i is not None)
    return ids


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


# Counting stops here: below it a figure is exact, above it the planner's estimate (PostgreSQL)
# or the cap itself is shown as "about"/"more than". An officer triages the first pages, and a
# national or provincial total of tens of thousands needs no precision worth a full scan.
COUNT_CAP = 10_000


class TipPage(NamedTuple):
    """A page of tips, the total over the filters and per-status figures for the tabs.

    A figure is exact unless its status is in `estimated` (or, for `total`,
    `total_exact` is false): then it is at least COUNT_CAP and roughly that many.
    """

    rows: list[Tip]
    total: int
    counts_by_status: dict[str, int]
    estimated: frozenset[str] = frozenset()
    total_exact: bool = True


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
    """One page of tips in scope; `counts_by_status` ignores the status filter (for tabs).

    The total is the sum of the selected statuses' figures, so no count runs twice.
    """
    f = filters or TipFilters()
    page, per_page = max(page, 1), min(max(per_page, 1), 500)
    base = _filtered(select(Tip).where(scope.clause()), f, with_status=True)
    order = SORTS.get(sort, SORTS["newest"])
    rows = list(session.exec(base.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all())
    counts, estimated = status_counts(session, scope=scope, filters=f)
    selected = [s for s in STATUSES if not f.statuses or s in f.statuses]
    total = sum(counts.get(s, 0) for s in selected)
    return TipPage(rows, total, counts, estimated, not estimated.intersection(selected))


def stream_tips(
    session: Session,
    *,
    scope: Scope,
    filters: TipFilters | None = None,
    sort: str = "newest",
    limit: int,
    batch: int = 500,
) -> Iterator[list[Tip]]:
    """Every tip in scope over the filters, in the queue's order, from one query read a batch
    at a time (a server-side cursor on PostgreSQL): an export of any size holds one batch,
    and runs no count and no OFFSET."""
    f = filters or TipFilters()
    query = _filtered(select(Tip).where(scope.clause()), f, with_status=True)
    query = query.order_by(*SORTS.get(sort, SORTS["newest"])).limit(limit)
    for part in session.exec(query.execution_options(yield_per=batch)).partitions():
        yield list(part)


def status_counts(
    session: Session, *, scope: Scope, filters: TipFilters
) -> tuple[dict[str, int], frozenset[str]]:
    """Tips per status over the filters (their status filter aside), in one statement.

    Each status is counted up to COUNT_CAP + 1 rows, an index range each (`(province_code,
    status)`, `(unit_id, status)`, `(modus_id, status)`, `status`); a status past the cap
    gets the planner's estimate on PostgreSQL, else the cap, and is returned as estimated.
    """

    def matching(status: str) -> Any:
        query = select(Tip.id).where(scope.clause(), Tip.status == status)
        return _filtered(query, filters, with_status=False)

    capped = []
    for status in STATUSES:
        limited = matching(status).limit(COUNT_CAP + 1).subquery()
        capped.append(select(func.count()).select_from(limited).scalar_subquery().label(status))
    row = session.execute(select(*capped)).one()
    counts = {status: int(n) for status, n in zip(STATUSES, row, strict=True) if n}
    estimated = frozenset(s for s, n in counts.items() if n > COUNT_CAP)
    for status in estimated:
        counts[status] = max(_planner_rows(session, matching(status)), COUNT_CAP + 1)
    return counts, estimated


def _planner_rows(session: Session, query: Any) -> int:
    """How many rows PostgreSQL expects the query to return (0 elsewhere: the caller's floor wins)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return 0
    compiled = query.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    plan: Any = (
        session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    )
    return int(plan[0]["Plan"]["Plan Rows"]) if plan else 0


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
