"""View-model of the tip queue: filters from query parameters, rows, counts, choices.

Filters arrive as query parameters (`QueueQuery.parse`) and become `storage.tips.TipFilters`;
dates are days in Vietnam's time zone.
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
from bot.web.console.templates import VN_TZ, parse_day
from content import places
from content.library import Library
from handlers.report.notify import modus_title, place_name
from storage import officers, tip_queries, tip_routing, units
from storage.tips import TipFilters, TipPage, format_code

PER_PAGE = 50
_DIGITS = re.compile(r"[^0-9]")


def _amount(value: str) -> int | None:
    """ "5.000.000", "5 000 000 đ" → 5000000; empty or junk → None."""
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
    no_unit: bool = False
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
            no_unit=one("unit") == "none",
            sort=sort if sort in labels.SORTS else "newest",
            page=max(page, 1),
        )

    def active(self) -> dict[str, Any]:
        """Only the filters that are set (for the audit log)."""
        return {k: v for k, v in self.params().items() if v not in ("", [], None)}

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
            "unit": "none" if self.no_unit else "",
            "sort": "" if self.sort == "newest" else self.sort,
        }

    def filters(self, officer_id: int) -> TipFilters:
        start, end = parse_day(self.date_from), parse_day(self.date_to)
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
            no_unit=self.no_unit,
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


@dataclass(frozen=True)
class Figure:
    """A count as the tabs show it: exact, or past the count cap an estimate ("≈ 31.000")."""

    value: int
    exact: bool = True

    def __str__(self) -> str:
        if self.exact:
            return str(self.value)
        cap = tip_queries.COUNT_CAP
        if self.value <= cap + 1:  # no estimate to offer, only the floor
            return f"hơn {cap:,}".replace(",", ".")
        rounded = round(self.value, -(len(str(self.value)) - 3))  # three significant digits
        return f"≈ {rounded:,}".replace(",", ".")


@dataclass
class QueuePage:
    query: QueueQuery
    rows: list[QueueRow]
    total: Figure
    counts: list[tuple[str, Figure]]
    all_count: Figure
    pages: int
    modus_choices: list[Choice]
    province_choices: list[Choice]
    ward_choices: list[Choice]
    stranded: int = 0  # tips no unit holds, in the viewer's reach (admins and provinces)
    sort_choices: list[Choice] = field(
        default_factory=lambda: [Choice(k, v) for k, v in labels.SORTS.items()]
    )


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
    page: TipPage,
) -> QueuePage:
    provinces = scope_provinces(session, viewer)
    province_choices = (
        [Choice(str(p.province_code), p.province_name) for p in places.provinces()]
        if provinces is None
        else []
    )
    ward_province = _int(query.province) if provinces is None else (provinces[0] if provinces else None)
    wards = places.wards_of(ward_province) if ward_province else []
    if viewer.role == "commune":
        wards = []  # a commune officer sees one commune: nothing to choose
    rows = page.rows
    unit_names = units.unit_names(session, [t.unit_id for t in rows])
    names = officers.officer_names(session, [t.assigned_to for t in rows if t.assigned_to])
    counts = page.counts_by_status
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
        total=Figure(page.total, page.total_exact),
        counts=[(s, Figure(counts.get(s, 0), s not in page.estimated)) for s in labels.STATUSES],
        all_count=Figure(sum(counts.values()), not page.estimated),
        pages=max((page.total + PER_PAGE - 1) // PER_PAGE, 1),
        modus_choices=modus_choices(library),
        province_choices=province_choices,
        ward_choices=[
            Choice(str(w.ward_code), w.ward_name or w.name)
            for w in sorted(wards, key=lambda w: places.fold(w.name))
        ],
        stranded=_stranded(session, viewer, provinces),
    )


def _stranded(session: Session, viewer: Viewer, provinces: list[int] | None) -> int:
    if viewer.role == "commune":
        return 0
    if provinces is None:
        return tip_routing.stranded_count(session)
    return sum(tip_routing.stranded_count(session, province_code=code) for code in provinces)
