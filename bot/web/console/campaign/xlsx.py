"""The campaign's spreadsheets: the activity list and the gap list.

Numbers are number cells, days are date cells shown dd/mm/yyyy, and every text cell
is stored as text and quote-prefixed when it looks like a formula, as in the tip export
(officers' and contributors' text is typed by people; a spreadsheet must never evaluate it).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from bot.web.console.export import looks_like_formula
from content import places
from content.campaign_terms import AUDIENCES, CATEGORIES, HAMLET_KINDS, INDICATOR_BY_ID, KINDS, ORGANISERS
from storage.campaign.gaps import Gap
from storage.models import CampaignActivity

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | dt.date | None

ACTIVITY_HEADER = [
    "Mã",
    "Loại hoạt động",
    "Xã/phường",
    "Thôn/tổ dân phố",
    "Cơ quan, tổ chức",
    "Đơn vị tổ chức",
    "Ghi rõ đơn vị",
    "Đối tượng",
    "Ngày bắt đầu",
    "Ngày kết thúc",
    "Số buổi",
    "Số người tham dự",
    "Số hộ được tuyên truyền",
    "Số tờ rơi",
    "Số pano, áp phích, băng rôn",
    "Số bảng tin",
    "Số lần phát thanh",
    "Số phút phát thanh",
    "Số tin, bài",
    "Số thuê bao nhận tin nhắn",
    "Số cán bộ tham gia chia sẻ",
    "Tài liệu sử dụng (thẻ thư viện)",
    "Ghi chú",
]


def activity_rows(rows: Iterable[CampaignActivity], names: dict[str, dict[int, str]]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for r in rows:
        ward = places.ward(r.ward_code)
        out.append(
            [
                r.id,
                KINDS.get(r.kind, r.kind),
                ward.ward_name if ward else str(r.ward_code),
                names["hamlet"].get(r.hamlet_id, "") if r.hamlet_id else "",
                names["organisation"].get(r.organisation_id, "") if r.organisation_id else "",
                ORGANISERS.get(r.organiser, r.organiser),
                r.organiser_note,
                ", ".join(AUDIENCES.get(a, a) for a in r.audiences),
                r.started_on,
                r.ended_on,
                r.sessions,
                r.participants,
                r.households_reached,
                r.leaflets,
                r.posters,
                r.notice_boards,
                r.broadcasts,
                r.broadcast_minutes,
                r.posts,
                r.sms_recipients,
                r.staff_engaged,
                ", ".join(r.card_ids),
                r.note,
            ]
        )
    return out


def activities_book(rows: Sequence[CampaignActivity], names: dict[str, dict[int, str]]) -> bytes:
    return book([("Hoạt động tuyên truyền", ACTIVITY_HEADER, activity_rows(rows, names))])


GAP_HEADER = ["Xã/phường", "Loại", "Tên", "Phân loại", "Chưa đạt", "Số hộ đã tuyên truyền", "Số hộ"]


def gap_rows(gaps: Iterable[Gap]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for g in gaps:
        hamlet = g.level == "hamlet"
        out.append(
            [
                g.ward_name,
                "Thôn/TDP" if hamlet else "Cơ quan, tổ chức",
                g.name,
                HAMLET_KINDS.get(g.detail, g.detail) if hamlet else CATEGORIES.get(g.detail, g.detail),
                "; ".join(f"{k} {INDICATOR_BY_ID[k].label}" for k in g.missing),
                g.reached if hamlet else None,
                g.households if hamlet else None,
            ]
        )
    return out


def gaps_book(gaps: Sequence[Gap], title: str) -> bytes:
    return book([("Chưa thực hiện", GAP_HEADER, gap_rows(gaps))], title=title)


def book(sheets: Sequence[tuple[str, list[str], list[list[Cell]]]], *, title: str = "") -> bytes:
    """One sheet per (name, header, rows); a title, when given, is the first line of the first sheet."""
    workbook = Workbook()
    first = True
    for name, header, rows in sheets:
        if first:
            sheet: Any = workbook.active
            sheet.title = name[:31]
            first = False
        else:
            sheet = workbook.create_sheet(name[:31])
        offset = 1
        if title:
            _put(sheet.cell(row=1, column=1), title)
            offset = 3
            title = ""
        for c, label in enumerate(header, start=1):
            sheet.cell(row=offset, column=c, value=label)
        for r, row in enumerate(rows, start=offset + 1):
            for c, value in enumerate(row, start=1):
                _put(sheet.cell(row=r, column=c), value)
        for c, label in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = max(10, min(40, len(label) + 4))
        sheet.freeze_panes = sheet.cell(row=offset + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put(cell: Any, value: Cell) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        cell.value = int(value)
    elif isinstance(value, int):
        cell.value = value
        cell.number_format = "#,##0"
    elif isinstance(value, float):
        cell.value = value
        cell.number_format = "0.0%"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "dd/mm/yyyy"
    else:
        # Text as typed, stored as a string and quote-prefixed when it looks like a formula,
        # as the tip export does: a spreadsheet shows it and never evaluates it.
        cell.value = value
        cell.data_type = TYPE_STRING
        if looks_like_formula(value):
            cell.quotePrefix = True
