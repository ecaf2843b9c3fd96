"""Coverage indicators C1–C12 per hamlet, organisation, commune and province, for a period.

A handful of grouped queries (hamlets, organisations, activity sums per hamlet and per
organisation, subscriptions per hamlet) and a roll-up in Python: a province of 150
communes and 1,500 hamlets is a few thousand rows, read once. Every ratio keeps its
numerator and denominator, so a report can print either and a province's figures are
exactly the sums of its communes'. No denominator means "no data", never 0%.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from content import places
from content.campaign_terms import INDICATOR_BY_ID, INDICATORS
from storage.campaign.campaigns import Period
from storage.campaign.registers import readable_ward
from storage.campaign.scope import CampaignScope, NotPermitted
from storage.models import CampaignActivity, Hamlet, Organisation, Subscription

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MET, NOT_MET, NO_DATA, NO_TARGET = "met", "not_met", "no_data", "no_target"

# Organisation indicators: the categories counted, and what reaches one.
SESSION_RULES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "C4": (frozenset({"school"}), frozenset({"school_session"})),
    "C5": (frozenset({"cell"}), frozenset({"org_session"})),
    "C6": (frozenset({"production"}), frozenset({"workplace_session"})),
    "C9": (frozenset({"agency"}), frozenset({"agency_session"})),
    "C10": (frozenset({"bank_point"}), frozenset({"bank_notice", "posting"})),
}
POSTER_RULES: dict[str, frozenset[str]] = {
    "C7": frozenset({"business"}),
    "C8": frozenset({"agency", "hospital", "school", "public_place"}),
}
ORG_INDICATORS = ("C4", "C5", "C6", "C7", "C8", "C9", "C10")
_ORG_KINDS = tuple(sorted({kind for _, kinds in SESSION_RULES.values() for kind in kinds}))


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int | None
    scale: int = 1

    @property
    def value(self) -> float | None:
        if not self.denominator:
            return None
        return self.numerator / self.denominator * self.scale

    def status(self, indicator_id: str) -> str:
        target = INDICATOR_BY_ID[indicator_id].target
        value = self.value
        if value is None:
            return NO_DATA
        if target is None:
            return NO_TARGET
        return MET if value >= target * self.scale else NOT_MET


@dataclass
class Tally:
    """Additive counts behind the indicators of one unit (hamlet, organisation, commune, province)."""

    hamlets: int = 0
    hamlets_done: int = 0
    households: int = 0
    households_reached: int = 0
    households_known: bool = False
    overlap_hamlets: int = 0
    boards: int = 0
    boards_posted: int = 0
    boards_known: bool = False
    orgs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORG_INDICATORS, 0))
    orgs_done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORG_INDICATORS, 0))
    staff: int = 0
    staff_engaged: int = 0
    subscribers: int = 0

    def add(self, other: Tally) -> None:
        for name in (
            "hamlets",
            "hamlets_done",
            "households",
            "households_reached",
            "overlap_hamlets",
            "boards",
            "boards_posted",
            "staff",
            "staff_engaged",
            "subscribers",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.households_known |= other.households_known
        self.boards_known |= other.boards_known
        for key in ORG_INDICATORS:
            self.orgs[key] += other.orgs[key]
            self.orgs_done[key] += other.orgs_done[key]

    def ratios(self) -> dict[str, Ratio]:
        out = {
            "C1": Ratio(self.hamlets_done, self.hamlets),
            "C2": Ratio(self.households_reached, self.households if self.households_known else None),
            "C3": Ratio(self.boards_posted, self.boards if self.boards_known else None),
        }
        for key in ORG_INDICATORS:
            out[key] = Ratio(self.orgs_done[key], self.orgs[key])
        out["C11"] = Ratio(self.staff_engaged, self.staff)
        out["C12"] = Ratio(self.subscribers, self.households if self.households_known else None, scale=100)
        return out


@dataclass
class Row:
    """One line of the coverage table."""

    level: str  # province, commune, hamlet, organisation
    key: int
    name: str
    ward_code: int | None = None
    tally: Tally = field(default_factory=Tally)
    detail: str = ""  # a hamlet's kind, an organisation's category

    @cached_property
    def ratios(self) -> dict[str, Ratio]:
        """Read once the roll-up is complete (the page reads each cell)."""
        return self.tally.ratios()

    @property
    def overlap(self) -> bool:
        """Reached households above the register ("có thể trùng lặp")."""
        return self.tally.overlap_hamlets > 0


@dataclass(frozen=True)
class HamletState:
    hamlet: Hamlet
    sessions: int
    reached: int
    boards_posted: int
    subscribers: int


@dataclass(frozen=True)
class OrgState:
    id: int
    ward_code: int
    hamlet_id: int | None
    name: str
    category: str
    staff: int | None
    kinds: frozenset[str]
    posters: bool
    staff_engaged: int

    def counted_in(self) -> tuple[str, ...]:
        return _COUNTED_IN.get(self.category, ())

    def reached(self, indicator: str) -> bool:
        if indicator in SESSION_RULES:
            return bool(self.kinds & SESSION_RULES[indicator][1])
        return self.posters


def _categories(indicator: str) -> frozenset[str]:
    if indicator in SESSION_RULES:
        return SESSION_RULES[indicator][0]
    return POSTER_RULES[indicator]


# The indicators each category counts in (a school counts in C4 and C8).
_COUNTED_IN: dict[str, tuple[str, ...]] = {
    category: tuple(k for k in ORG_INDICATORS if category in _categories(k))
    for category in (
        "school",
        "cell",
        "production",
        "business",
        "agency",
        "hospital",
        "public_place",
        "bank_point",
        "religious",
    )
}


@dataclass
class Coverage:
    period: Period
    province_code: int
    ward_code: int | None
    total: Row
    rows: list[Row]
    organisations: list[Row]
    hamlet_states: list[HamletState]
    org_states: list[OrgState]


def compute(
    session: Session,
    *,
    scope: CampaignScope,
    period: Period,
    province_code: int,
    ward_code: int | None = None,
) -> Coverage:
    """The province with one row per commune, or (with `ward_code`) the commune with one row per
    hamlet and per organisation. A commune officer always gets their commune; a contributor bound
    to an organisation gets that organisation's row."""
    if ward_code is None and not scope.allows_province(province_code):
        if len(scope.ward_codes) == 1:
            ward_code = next(iter(scope.ward_codes))
        else:
            raise NotPermitted(f"province {province_code}")
    if ward_code is not None:
        ward = readable_ward(scope, ward_code)
        if ward.province_code != province_code:
            province_code = ward.province_code
        wards = [ward_code]
    else:
        wards = [w.ward_code for w in places.wards_of(province_code) if w.ward_code is not None]
    whole = ward_code is None
    hamlet_states = _hamlet_states(session, province_code, wards, whole, period)
    org_states = _org_states(session, province_code, wards, whole, period)
    if scope.organisation_id is not None:
        org_states = [o for o in org_states if o.id == scope.organisation_id]
        hamlet_states = []
    commune_subs = _subscribers_by_ward(session, province_code, wards, whole, period)
    by_ward: dict[int, Row] = {}
    for code in wards:
        place = places.ward(code)
        by_ward[code] = Row(
            "commune", code, place.ward_name if place and place.ward_name else str(code), code
        )
    # Rows per hamlet and organisation only for a commune; a province adds straight into its communes.
    drilled = ward_code is not None
    hamlet_rows = []
    for state in hamlet_states:
        target = by_ward[state.hamlet.ward_code].tally
        if drilled:
            row = _hamlet_row(state)
            hamlet_rows.append(row)
            target.add(row.tally)
        else:
            _add_hamlet(target, state)
    org_rows = []
    for org in org_states:
        target = by_ward[org.ward_code].tally
        if drilled:
            row = _org_row(org)
            org_rows.append(row)
            target.add(row.tally)
        else:
            _add_org(target, org)
    if scope.organisation_id is None:
        for code, row in by_ward.items():
            # Subscribers count for the commune whether or not they named a hamlet.
            row.tally.subscribers = commune_subs.get(code, 0)
    province = places.province(province_code)
    total = Row("province", province_code, province.province_name if province else str(province_code))
    for row in by_ward.values():
        total.tally.add(row.tally)
    if ward_code is not None:
        total = by_ward[ward_code]
        rows = sorted(hamlet_rows, key=lambda r: places.fold(r.name))
    else:
        rows = sorted(by_ward.values(), key=lambda r: places.fold(r.name))
    return Coverage(
        period=period,
        province_code=province_code,
        ward_code=ward_code,
        total=total,
        rows=rows,
        organisations=sorted(org_rows, key=lambda r: (r.detail, places.fold(r.name))),
        hamlet_states=hamlet_states,
        org_states=org_states,
    )


def _hamlet_row(state: HamletState) -> Row:
    hamlet = state.hamlet
    assert hamlet.id is not None
    t = Tally()
    _add_hamlet(t, state)
    return Row("hamlet", hamlet.id, hamlet.name, hamlet.ward_code, t, detail=hamlet.kind)


def _add_hamlet(t: Tally, state: HamletState) -> None:
    """Add one hamlet's counts to a tally (its own, or its commune's)."""
    hamlet = state.hamlet
    t.hamlets += 1
    t.hamlets_done += 1 if state.sessions else 0
    t.subscribers += state.subscribers
    if hamlet.households is not None:
        t.households_known = True
        t.households += hamlet.households
        t.households_reached += min(state.reached, hamlet.households)
        t.overlap_hamlets += 1 if state.reached > hamlet.households else 0
    if hamlet.notice_boards is not None:
        t.boards_known = True
        t.boards += hamlet.notice_boards
        t.boards_posted += min(state.boards_posted, hamlet.notice_boards)


def _org_row(org: OrgState) -> Row:
    t = Tally()
    _add_org(t, org)
    return Row("organisation", org.id, org.name, org.ward_code, t, detail=org.category)


def _add_org(t: Tally, org: OrgState) -> None:
    for key in _COUNTED_IN.get(org.category, ()):
        t.orgs[key] += 1
        t.orgs_done[key] += 1 if org.reached(key) else 0
    if org.staff:
        t.staff += org.staff
        t.staff_engaged += min(org.staff_engaged, org.staff)


def _activity_where(province_code: int, wards: list[int], whole: bool, period: Period) -> list[object]:
    A = CampaignActivity
    where: list[object] = [
        col(A.deleted_at).is_(None),
        col(A.started_on) >= period.start,
        col(A.started_on) <= period.end,
    ]
    where.append(A.province_code == province_code if whole else col(A.ward_code).in_(wards))
    return where


def _hamlet_states(
    session: Session, province_code: int, wards: list[int], whole: bool, period: Period
) -> list[HamletState]:
    query = select(Hamlet).where(col(Hamlet.active).is_(True))
    query = query.where(Hamlet.province_code == province_code if whole else col(Hamlet.ward_code).in_(wards))
    hamlets = session.exec(query).all()
    A = CampaignActivity
    sums = session.exec(
        select(
            A.hamlet_id,
            func.sum(case((col(A.kind) == "hamlet_session", col(A.sessions)), else_=0)),
            func.coalesce(func.sum(A.households_reached), 0),
            func.coalesce(func.sum(A.notice_boards), 0),
        )
        .where(col(A.hamlet_id).is_not(None), *_activity_where(province_code, wards, whole, period))  # type: ignore[arg-type]
        .group_by(col(A.hamlet_id))
    ).all()
    by_hamlet = {int(h): (int(s or 0), int(r or 0), int(b or 0)) for h, s, r, b in sums if h is not None}
    subs = _subscribers_by_hamlet(session, province_code, wards, whole, period)
    out = []
    for hamlet in hamlets:
        assert hamlet.id is not None
        s, r, b = by_hamlet.get(hamlet.id, (0, 0, 0))
        out.append(HamletState(hamlet, s, r, b, subs.get(hamlet.id, 0)))
    return out


def _org_states(
    session: Session, province_code: int, wards: list[int], whole: bool, period: Period
) -> list[OrgState]:
    org = Organisation
    query = sa_select(
        col(org.id),
        col(org.ward_code),
        col(org.hamlet_id),
        col(org.name),
        col(org.category),
        col(org.staff_or_members),
    ).where(col(org.active).is_(True))
    query = query.where(col(org.province_code) == province_code if whole else col(org.ward_code).in_(wards))
    orgs = session.execute(query).all()
    a = CampaignActivity
    # One row per organisation: a flag per kind that reaches one, posters, staff engaged.
    flags = [func.max(case((col(a.kind) == kind, 1), else_=0)) for kind in _ORG_KINDS]
    poster = func.max(case((or_(col(a.kind) == "posting", func.coalesce(col(a.posters), 0) > 0), 1), else_=0))
    sums = session.execute(
        sa_select(col(a.organisation_id), poster, func.coalesce(func.sum(col(a.staff_engaged)), 0), *flags)
        .where(col(a.organisation_id).is_not(None), *_activity_where(province_code, wards, whole, period))  # type: ignore[arg-type]
        .group_by(col(a.organisation_id))
    ).all()
    kinds: dict[int, frozenset[str]] = {}
    posters: dict[int, bool] = {}
    engaged: dict[int, int] = {}
    for org_id, poster_flag, staff_sum, *kind_flags in sums:
        kinds[org_id] = frozenset(k for k, flag in zip(_ORG_KINDS, kind_flags, strict=True) if flag)
        posters[org_id] = bool(poster_flag)
        engaged[org_id] = int(staff_sum or 0)
    out = []
    for org_id, ward, hamlet_id, name, category, staff in orgs:
        assert org_id is not None
        out.append(
            OrgState(
                id=org_id,
                ward_code=ward,
                hamlet_id=hamlet_id,
                name=name,
                category=category,
                staff=staff,
                kinds=kinds.get(org_id, frozenset()),
                posters=posters.get(org_id, False),
                staff_engaged=engaged.get(org_id, 0),
            )
        )
    return out


def _period_end(period: Period) -> dt.datetime:
    """The first instant after the period's last day in Vietnam, in UTC."""
    day_after = period.end + dt.timedelta(days=1)
    return dt.datetime.combine(day_after, dt.time(), tzinfo=VN_TZ).astimezone(dt.UTC)


def _subscription_where(province_code: int, wards: list[int], whole: bool, period: Period) -> list[object]:
    """Subscriptions active at the end of the period (rows are never deleted, so this is exact)."""
    S = Subscription
    end = _period_end(period)
    where: list[object] = [
        S.province_code == province_code,
        col(S.created_at) < end,
        or_(col(S.ended_at).is_(None), col(S.ended_at) >= end),
    ]
    if not whole:
        where.append(col(S.ward_code).in_(wards))
    return where


def _subscribers_by_hamlet(
    session: Session, province_code: int, wards: list[int], whole: bool, period: Period
) -> dict[int, int]:
    S = Subscription
    rows = session.exec(
        select(S.hamlet_id, func.count())
        .where(col(S.hamlet_id).is_not(None), *_subscription_where(province_code, wards, whole, period))  # type: ignore[arg-type]
        .group_by(col(S.hamlet_id))
    ).all()
    return {int(h): int(n) for h, n in rows if h is not None}


def _subscribers_by_ward(
    session: Session, province_code: int, wards: list[int], whole: bool, period: Period
) -> dict[int, int]:
    S = Subscription
    rows = session.exec(
        select(S.ward_code, func.count())
        .where(*_subscription_where(province_code, wards, whole, period))  # type: ignore[arg-type]
        .group_by(col(S.ward_code))
    ).all()
    return {int(w): int(n) for w, n in rows}


def indicator_ids() -> list[str]:
    return [i.id for i in INDICATORS]


def statuses(row: Row, ids: Iterable[str]) -> dict[str, str]:
    ratios = row.ratios
    return {key: ratios[key].status(key) for key in ids}
