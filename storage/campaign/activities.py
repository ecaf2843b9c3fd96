"""The activity log («sổ theo dõi hoạt động tuyên truyền»): create, edit, soft-delete, list.

Every change is audited with the values before and after. Nothing here names a
participant: the record has counts, never names or phone numbers. Dates are days in
Vietnam's time; a day more than one day ahead is refused (a typo, not a plan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from content import places
from content.campaign_terms import AUDIENCES, KINDS, KINDS_NEEDING_HAMLET, ORGANISERS
from storage.campaign.registers import MAX_COUNT, add_audited, record_change, snapshot
from storage.campaign.scope import CampaignError, CampaignScope, NotFound, NotPermitted
from storage.models import CampaignActivity, Hamlet, Organisation, utcnow

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
COUNTS = (
    "sessions",
    "participants",
    "households_reached",
    "leaflets",
    "posters",
    "notice_boards",
    "broadcasts",
    "broadcast_minutes",
    "posts",
    "sms_recipients",
    "staff_engaged",
)
FIELDS = (
    "kind",
    "province_code",
    "ward_code",
    "hamlet_id",
    "organisation_id",
    "organiser",
    "organiser_note",
    "audiences",
    "started_on",
    "ended_on",
    *COUNTS,
    "card_ids",
    "note",
)


def vn_today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(VN_TZ).date()


@dataclass(frozen=True)
class ActivityIn:
    """An activity as a form or a chat dialog gives it; counts are None when left empty."""

    kind: str
    ward_code: int
    started_on: dt.date
    hamlet_id: int | None = None
    organisation_id: int | None = None
    organiser: str = ""
    organiser_note: str = ""
    audiences: tuple[str, ...] = ()
    ended_on: dt.date | None = None
    sessions: int | None = 1
    participants: int | None = None
    households_reached: int | None = None
    leaflets: int | None = None
    posters: int | None = None
    notice_boards: int | None = None
    broadcasts: int | None = None
    broadcast_minutes: int | None = None
    posts: int | None = None
    sms_recipients: int | None = None
    staff_engaged: int | None = None
    card_ids: tuple[str, ...] = ()
    note: str = ""


def _validate(
    session: Session, scope: CampaignScope, data: ActivityIn, today: dt.date
) -> tuple[ActivityIn, int]:
    """The cleaned input and its province; raises CampaignError naming the field, or NotPermitted."""
    if data.kind not in KINDS:
        raise CampaignError("kind_unknown", "kind")
    ward = places.ward(data.ward_code)
    if ward is None:
        raise CampaignError("ward_unknown", "ward_code", detail=str(data.ward_code))
    if not scope.allows_place(ward.province_code, data.ward_code):
        raise NotPermitted(f"ward {data.ward_code}")
    if scope.organisation_id is not None:  # an organisation's contributor logs for itself
        data = replace(data, organisation_id=scope.organisation_id)
    needs_hamlet = data.kind in KINDS_NEEDING_HAMLET or (
        data.kind == "posting" and (data.notice_boards or 0) > 0
    )
    if needs_hamlet and data.hamlet_id is None:
        raise CampaignError("hamlet_required", "hamlet_id")
    if data.hamlet_id is not None:
        hamlet = session.get(Hamlet, data.hamlet_id)
        if hamlet is None or hamlet.ward_code != data.ward_code:
            raise CampaignError("hamlet_unknown", "hamlet_id")
    if data.organisation_id is not None:
        org = session.get(Organisation, data.organisation_id)
        if org is None or org.ward_code != data.ward_code:
            raise CampaignError("organisation_unknown", "organisation_id")
    if data.organiser and data.organiser not in ORGANISERS:
        raise CampaignError("organiser_unknown", "organiser")
    if any(a not in AUDIENCES for a in data.audiences):
        raise CampaignError("audience_unknown", "audiences")
    latest = today + dt.timedelta(days=1)
    if data.started_on > latest:
        raise CampaignError("date_future", "started_on")
    if data.ended_on is not None:
        if data.ended_on < data.started_on:
            raise CampaignError("date_order", "ended_on")
        if data.ended_on > latest:
            raise CampaignError("date_future", "ended_on")
    for name in COUNTS:
        value = getattr(data, name)
        if value is not None and (value < 0 or value > MAX_COUNT):
            raise CampaignError("count_invalid", name, detail=str(value))
    cleaned = replace(
        data,
        sessions=1 if data.sessions is None else data.sessions,
        organiser_note=" ".join(data.organiser_note.split())[:200],
        audiences=tuple(dict.fromkeys(data.audiences)),
        card_ids=tuple(dict.fromkeys(c[:80] for c in data.card_ids if c))[:20],
        note=data.note.strip()[:2000],
    )
    return cleaned, ward.province_code


def _values(data: ActivityIn) -> dict[str, Any]:
    out = {f.name: getattr(data, f.name) for f in fields(data)}
    out["audiences"] = list(data.audiences)
    out["card_ids"] = list(data.card_ids)
    return out


def create_activity(
    session: Session,
    *,
    scope: CampaignScope,
    data: ActivityIn,
    officer_id: int,
    actor: str,
    today: dt.date | None = None,
) -> CampaignActivity:
    clean, province_code = _validate(session, scope, data, today or vn_today())
    row = CampaignActivity(province_code=province_code, created_by=officer_id, **_values(clean))
    add_audited(
        session, row, actor=actor, action="campaign.activity_create", target_type="activity", fields=FIELDS
    )
    return row


def _writable(session: Session, scope: CampaignScope, activity_id: int) -> CampaignActivity:
    row = session.get(CampaignActivity, activity_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(activity_id)
    if not _visible(scope, row):
        raise NotPermitted(f"activity {activity_id}")
    return row


def _visible(scope: CampaignScope, row: CampaignActivity) -> bool:
    if not scope.allows_place(row.province_code, row.ward_code):
        return False
    return scope.own_officer_id is None or row.created_by == scope.own_officer_id


def get_activity(session: Session, *, scope: CampaignScope, activity_id: int) -> CampaignActivity:
    return _writable(session, scope, activity_id)


def activity_exists(session: Session, activity_id: int) -> bool:
    """Whether the id names a live activity (tells a 403 from a 404; says nothing else)."""
    row = session.get(CampaignActivity, activity_id)
    return row is not None and row.deleted_at is None


def update_activity(
    session: Session,
    *,
    scope: CampaignScope,
    activity_id: int,
    data: ActivityIn,
    actor: str,
    today: dt.date | None = None,
) -> CampaignActivity:
    row = _writable(session, scope, activity_id)
    clean, province_code = _validate(session, scope, data, today or vn_today())
    before = snapshot(row, FIELDS)
    for name, value in _values(clean).items():
        setattr(row, name, value)
    row.province_code = province_code
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="campaign.activity_update",
        target_type="activity",
        target_id=row.id,
        before=before,
        after=snapshot(row, FIELDS),
    )
    return row


def delete_activity(
    session: Session, *, scope: CampaignScope, activity_id: int, officer_id: int, actor: str
) -> CampaignActivity:
    """Soft: the row stays (reports already handed in must still add up), marked deleted."""
    row = _writable(session, scope, activity_id)
    before = snapshot(row, FIELDS)
    row.deleted_at = utcnow()
    row.deleted_by = officer_id
    session.add(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="campaign.activity_delete",
        target_type="activity",
        target_id=row.id,
        before=before,
        after=None,
    )
    return row


@dataclass(frozen=True)
class ActivityFilters:
    """The list's filters; a period is inclusive of both days and compares with `started_on`."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    province_code: int | None = None
    ward_code: int | None = None
    hamlet_id: int | None = None
    kind: str | None = None
    organiser: str | None = None
    organisation_id: int | None = None


@dataclass(frozen=True)
class ActivityPage:
    rows: list[CampaignActivity]
    total: int
    totals: dict[str, int] = field(default_factory=dict)


def scoped(query: Any, scope: CampaignScope) -> Any:
    """Restrict a query over live activities to the scope (used by every reader, coverage too)."""
    query = query.where(col(CampaignActivity.deleted_at).is_(None))
    if scope.everything:
        return query
    parts = []
    if scope.province_codes:
        parts.append(col(CampaignActivity.province_code).in_(sorted(scope.province_codes)))
    if scope.ward_codes:
        parts.append(col(CampaignActivity.ward_code).in_(sorted(scope.ward_codes)))
    if not parts:
        return query.where(col(CampaignActivity.id).is_(None))
    query = query.where(or_(*parts))
    if scope.own_officer_id is not None:
        query = query.where(CampaignActivity.created_by == scope.own_officer_id)
    return query


def filtered(query: Any, f: ActivityFilters) -> Any:
    if f.date_from is not None:
        query = query.where(col(CampaignActivity.started_on) >= f.date_from)
    if f.date_to is not None:
        query = query.where(col(CampaignActivity.started_on) <= f.date_to)
    if f.province_code is not None:
        query = query.where(CampaignActivity.province_code == f.province_code)
    if f.ward_code is not None:
        query = query.where(CampaignActivity.ward_code == f.ward_code)
    if f.hamlet_id is not None:
        query = query.where(CampaignActivity.hamlet_id == f.hamlet_id)
    if f.kind:
        query = query.where(CampaignActivity.kind == f.kind)
    if f.organiser:
        query = query.where(CampaignActivity.organiser == f.organiser)
    if f.organisation_id is not None:
        query = query.where(CampaignActivity.organisation_id == f.organisation_id)
    return query


def list_activities(
    session: Session,
    *,
    scope: CampaignScope,
    filters: ActivityFilters = ActivityFilters(),
    page: int = 1,
    per_page: int = 50,
) -> ActivityPage:
    """Newest day first; with the total and the sums of the counts over every matching row."""
    page = max(page, 1)
    base = filtered(scoped(select(CampaignActivity), scope), filters)
    rows = session.exec(
        base.order_by(col(CampaignActivity.started_on).desc(), col(CampaignActivity.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    sums = [func.count()] + [func.coalesce(func.sum(getattr(CampaignActivity, c)), 0) for c in COUNTS]
    agg = session.exec(filtered(scoped(select(*sums), scope), filters)).one()
    totals = {name: int(agg[i + 1]) for i, name in enumerate(COUNTS)}
    return ActivityPage(rows=list(rows), total=int(agg[0]), totals=totals)


def iter_activities(
    session: Session, *, scope: CampaignScope, filters: ActivityFilters, limit: int
) -> Sequence[CampaignActivity]:
    """Every matching activity, oldest first, for an export (at most `limit`)."""
    query = filtered(scoped(select(CampaignActivity), scope), filters)
    query = query.order_by(col(CampaignActivity.started_on), col(CampaignActivity.id)).limit(limit)
    return session.exec(query).all()
