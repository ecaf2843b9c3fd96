"""View-models of the tip queue and the tip page, with every decision made for the templates.

Filters arrive as query parameters (`QueueQuery.parse`) and become `storage.tips.TipFilters`;
dates are days in Vietnam's time zone. Who may do what on a tip is decided in
`tip_view` (and checked again by the route that receives the form).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.web.console import labels
from bot.web.console.security import Viewer
from bot.web.console.templates import VN_TZ
from content import places
from content.library import Library
from handlers.report.notify import modus_title, place_name
from storage import officers, registry, tip_lookups, units
from storage.models import Tip
from storage.tips import ALLOWED, Scope, TipDetail, TipFilters, format_code

PER_PAGE = 50
_DIGITS = re.compile(r"[^0-9]")


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _amount(value: str) -> int | None:
    """"5.000.000", "5 000 000 đ" → 5000000; empty or junk → None."""
    digits = _DIGITS.sub("", value)
    return int(digits[:15]) if digits else None


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def day_start_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ).astimezone(dt.UTC)


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters as the officer set them (strings echo back into the form)."""

    statuses: tuple[str, ...] = ()
    province: str = ""
    ward: str = ""
    modus: str = ""
    date_from: str = ""
    date_to: str = ""
    amount_min: str = ""
    amount_max: str = ""
    code: str = ""
    mine: bool = False
    sort: str = "newest"
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, Any], multi: list[str]) -> QueueQuery:
        def one(name: str, limit: int = 64) -> str:
            return str(params.get(name, "") or "").strip()[:limit]

        page = _int(one("page")) or 1
        sort = one("sort")
        return cls(
            statuses=tuple(s for s in dict.fromkeys(multi) if s in labels.STATUSES),
            province=one("province"),
            ward=one("ward"),
            modus=one("modus"),
            date_from=one("from", 10),
            date_to=one("to", 10),
            amount_min=one("amount_min", 24),
            amount_max=one("amount_max", 24),
            code=one("code", 16),
            mine=one("mine") == "1",
            sort=sort if sort in labels.SORTS else "newest",
            page=max(page, 1),
        )

    def params(self) -> dict[str, Any]:
        """Back to query parameters (for links that keep the filters)."""
        return {
            "status": list(self.statuses),
            "province": self.province,
            "ward": self.ward,
            "modus": self.modus,
            "from": self.date_from,
            "to": self.date_to,
            "amount_min": self.amount_min,
            "amount_max": self.amount_max,
            "code": self.code,
            "mine": "1" if self.mine else "",
            "sort": "" if self.sort == "newest" else self.sort,
        }

    def filters(self, officer_id: int) -> TipFilters:
        start, end = _day(self.date_from), _day(self.date_to)
        return TipFilters(
            statuses=self.statuses,
            province_code=_int(self.province),
            ward_code=_int(self.ward),
            modus_id=self.modus or None,
            assigned_to=officer_id if self.mine else None,
            created_from=day_start_utc(start) if start else None,
            created_to=day_start_utc(end + dt.timedelta(days=1)) if end else None,
            amount_min=_amount(self.amount_min),
            amount_max=_amount(self.amount_max),
            code=self.code or None,
        )


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class QueueRow:
    id: int
    code: str
    created_at: dt.datetime
    status: str
    modus: str
    place: str
    unit: str
    amount: int | None
    assignee: str


@dataclass
class QueuePage:
    query: QueueQuery
    rows: list[QueueRow]
    total: int
    counts: list[tuple[str, int]]
    all_count: int
    pages: int
    modus_choices: list[Choice]
    province_choices: list[Choice]
    ward_choices: list[Choice]
    sort_choices: list[Choice] = field(default_factory=lambda: [Choice(k, v) for k, v in labels.SORTS.items()])


def scope_provinces(session: Session, viewer: Viewer) -> list[int] | None:
    """The provinces an officer works in; None for an admin (all)."""
    if viewer.is_admin:
        return None
    unit = units.get_unit(session, viewer.unit_id) if viewer.unit_id else None
    return [unit.province_code] if unit else []


def modus_choices(library: Library) -> list[Choice]:
    cards = sorted(library.modus_cards(), key=lambda c: places.fold(c.title))
    return [Choice(c.id, short_title(c.title)) for c in cards] + [Choice("other", "Khác, chưa rõ thủ đoạn")]


def short_title(title: str) -> str:
    """The head of a card title, for a dropdown: "Giả mạo ngân hàng (tin nhắn…)" → "Giả mạo ngân hàng"."""
    for cut in (" (", " — ", "; "):
        title = title.split(cut, 1)[0]
    return title


def queue_page(
    session: Session,
    *,
    viewer: Viewer,
    library: Library,
    query: QueueQuery,
    rows: list[Tip],
    total: int,
    counts: dict[str, int],
) -> QueuePage:
    provinces = scope_provinces(session, viewer)
    province_choices = (
        [Choice(str(p.province_code), p.province_name) for p in places.provinces()] if provinces is None else []
    )
    ward_province = _int(query.province) if provinces is None else (provinces[0] if provinces else None)
    wards = places.wards_of(ward_province) if ward_province else []
    if viewer.role == "commune":
        wards = []  # a commune officer sees one commune: nothing to choose
    unit_names = {u.id: u.name for u in units.list_units(session) if u.id is not None}
    names = officers.officer_names(session, [t.assigned_to for t in rows if t.assigned_to])
    return QueuePage(
        query=query,
        rows=[
            QueueRow(
                id=t.id or 0,
                code=format_code(t.code),
                created_at=t.created_at,
                status=t.status,
                modus=short_title(modus_title(library, t.modus_id)),
                place=place_name(t.province_code, t.ward_code),
                unit=unit_names.get(t.unit_id, "") if t.unit_id else "",
                amount=t.amount_lost,
                assignee=names.get(t.assigned_to, "") if t.assigned_to else "",
            )
            for t in rows
        ],
        total=total,
        counts=[(s, counts.get(s, 0)) for s in labels.STATUSES],
        all_count=sum(counts.values()),
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        modus_choices=modus_choices(library),
        province_choices=province_choices,
        ward_choices=[
            Choice(str(w.ward_code), w.ward_name or w.name) for w in sorted(wards, key=lambda w: places.fold(w.name))
        ],
    )


@dataclass(frozen=True)
class EntityView:
    id: int
    kind: str
    value: str
    bank: str | None
    registry_reports: int
    confirmed: bool


@dataclass(frozen=True)
class EvidenceView:
    id: int
    filename: str
    mime: str
    size: int
    is_image: bool
    available: bool


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    who: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class DuplicateView:
    id: int
    code: str
    status: str
    created_at: dt.datetime | None
    shared: list[tuple[str, str]]


@dataclass
class TipView:
    tip: Tip
    code: str
    modus: str
    place: str
    unit: str
    assignee: str
    story: str | None
    contact_phone: str | None
    entities: list[EntityView]
    evidence: list[EvidenceView]
    history: list[HistoryItem]
    duplicates: list[DuplicateView]
    original: DuplicateView | None
    next_statuses: list[str]
    assignees: list[Choice]
    can_change_status: bool
    can_assign: bool
    can_note: bool
    can_link_duplicate: bool
    can_confirm: bool
    erased: bool


INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")


def can_confirm_entities(viewer: Viewer) -> bool:
    """Confirming makes every later check warn about the identifier: provincial officers and admins."""
    return viewer.role in ("admin", "province")


def assignee_choices(session: Session, tip: Tip) -> list[Choice]:
    """Active officers of the tip's unit and of its province's unit (who can all see it)."""
    unit_ids: list[int] = []
    unit = units.get_unit(session, tip.unit_id) if tip.unit_id else None
    if unit is not None and unit.id is not None:
        unit_ids.append(unit.id)
        if unit.parent_id:
            unit_ids.append(unit.parent_id)
    if tip.province_code is not None:
        province_unit = units.province_unit(session, tip.province_code)
        if province_unit is not None and province_unit.id is not None:
            unit_ids.append(province_unit.id)
    people = [o for o in officers.list_officers(session, unit_ids=sorted(set(unit_ids))) if o.active]
    return [Choice(str(o.id), f"{o.full_name} ({labels.role(o.role).lower()})") for o in people]


def tip_view(session: Session, *, viewer: Viewer, detail: TipDetail, library: Library, scope: Scope) -> TipView:
    tip = detail.tip
    assert tip.id is not None
    counts = registry.lookup_counts(session, [(e.kind, e.value) for e in detail.entities])
    actor_ids = [int(ev.event.actor.split(":", 1)[1]) for ev in detail.events if _is_officer(ev.event.actor)]
    names = officers.officer_names(session, actor_ids + ([tip.assigned_to] if tip.assigned_to else []))
    unit = units.get_unit(session, tip.unit_id) if tip.unit_id else None
    original = None
    if tip.duplicate_of:
        code = next(
            (ev.event.detail.get("original_code") for ev in reversed(detail.events) if ev.event.kind == "duplicate"),
            None,
        )
        original = DuplicateView(tip.duplicate_of, format_code(str(code)) if code else f"#{tip.duplicate_of}", "", None, [])
    duplicates = [
        _dup(c.tip, c.shared)
        for c in tip_lookups.duplicate_candidates(session, tip_id=tip.id, scope=scope)
        if c.tip.id != tip.duplicate_of
    ]
    confirm = can_confirm_entities(viewer)
    return TipView(
        tip=tip,
        code=format_code(tip.code),
        modus=modus_title(library, tip.modus_id),
        place=place_name(tip.province_code, tip.ward_code),
        unit=unit.name if unit else "",
        assignee=names.get(tip.assigned_to, "") if tip.assigned_to else "",
        story=detail.story,
        contact_phone=detail.contact_phone,
        entities=[
            EntityView(
                id=e.id or 0,
                kind=e.kind,
                value=e.value,
                bank=e.bank,
                registry_reports=counts.get((e.kind, e.value), 0),
                confirmed=e.confirmed_at is not None,
            )
            for e in detail.entities
        ],
        evidence=[
            EvidenceView(
                id=ev.id or 0,
                filename=ev.filename or "(đã xóa)",
                mime=ev.mime,
                size=ev.size,
                is_image=ev.mime in INLINE_IMAGES,
                available=ev.storage_key is not None,
            )
            for ev in detail.evidence
        ],
        history=[
            HistoryItem(
                at=ev.event.at,
                who=_who(ev.event.actor, names),
                kind=ev.event.kind,
                from_status=ev.event.from_status,
                to_status=ev.event.to_status,
                note=ev.note,
                detail=dict(ev.event.detail or {}),
            )
            for ev in reversed(detail.events)
        ],
        duplicates=duplicates,
        original=original,
        next_statuses=list(ALLOWED.get(tip.status, ())),
        assignees=assignee_choices(session, tip),
        can_change_status=bool(ALLOWED.get(tip.status)),
        can_assign=True,
        can_note=True,
        can_link_duplicate=tip.status != "duplicate",
        can_confirm=confirm and any(e.confirmed_at is None for e in detail.entities),
        erased=tip.personal_data_erased_at is not None,
    )


def _dup(tip: Tip, shared: list[tuple[str, str]]) -> DuplicateView:
    return DuplicateView(tip.id or 0, format_code(tip.code), tip.status, tip.created_at, shared)


def _is_officer(actor: str) -> bool:
    kind, _, rest = actor.partition(":")
    return kind == "officer" and rest.isdigit()


def _who(actor: str, names: dict[int, str]) -> str:
    if _is_officer(actor):
        return names.get(int(actor.split(":", 1)[1]), actor)
    return {"reporter": "Người báo tin", "system": "Hệ thống"}.get(actor, actor)
