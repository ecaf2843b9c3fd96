"""The filtered queue as CSV (UTF-8 with BOM, so Excel shows Vietnamese) or XLSX.

Residents' text ends up in these files, so nothing in them may run as a formula. In the CSV,
a field a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR) gets an
apostrophe in front, every field is quoted, and so does a formula after a `;` inside a field,
since Excel in a locale whose list separator is `;` splits fields there whatever the quotes.
In the XLSX every text is a typed string cell marked "quote prefix", which Excel shows without
an apostrophe and never evaluates; dates and amounts are real dates and numbers.
Each export is audited with the tips it contained.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request, Response
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from bot.app import Services
from bot.web.console import labels
from bot.web.console.queue import officer_scope
from bot.web.console.queue_context import QueueQuery, short_title
from bot.web.console.security import ConsoleRoute, Viewer, services_of, viewer
from bot.web.console.templates import VN_TZ, vn_datetime
from handlers.report.notify import modus_title, place_name
from storage import audit, officers, tip_lookups, tips, units
from storage.crypto import CipherError
from storage.db import transaction
from storage.models import utcnow

router = APIRouter(route_class=ConsoleRoute)

MAX_ROWS = 10_000
_BATCH = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A formula right after a `;` (spaces between are ignored by Excel too)
_AFTER_SEMICOLON = re.compile(r"(;[ ]*)(?=[=+\-@\t\r])")
HEADER = [
    "Mã tin báo",
    "Ngày nhận",
    "Trạng thái",
    "Thủ đoạn",
    "Nơi ở của người báo",
    "Đơn vị",
    "Thiệt hại (đồng)",
    "Ngày xảy ra",
    "Cán bộ phụ trách",
    "Số điện thoại, tài khoản, đường link",
    "Nội dung",
]


Cell = str | int | dt.date | None


def looks_like_formula(value: str) -> bool:
    """Leading spaces do not hide a formula from a spreadsheet."""
    return value.lstrip(" ").startswith(FORMULA_STARTS)


def neutralize(value: str) -> str:
    """CSV text a spreadsheet must show as text, never evaluate, whichever list separator it uses."""
    value = _AFTER_SEMICOLON.sub(r"\1'", value)
    return "'" + value if looks_like_formula(value) else value


@dataclass(frozen=True)
class Export:
    rows: list[list[Cell]]
    tip_ids: list[int]
    truncated: bool


def collect(services: Services, officer: Viewer, query: QueueQuery) -> Export:
    """Every tip the filters select in the officer's scope (at most MAX_ROWS), one list per row."""
    rows: list[list[Cell]] = []
    ids: list[int] = []
    truncated = False
    with transaction(services.engine) as session:
        scope = officer_scope(session, officer)
        filters = query.filters(officer.officer_id)
        unit_names = {u.id: u.name for u in units.list_units(session) if u.id is not None}
        page_no = 1
        while True:
            page = tips.list_tips(
                session, scope=scope, filters=filters, sort=query.sort, page=page_no, per_page=_BATCH
            )
            entities = tip_lookups.entities_of(session, [t.id for t in page.rows if t.id is not None])
            names = officers.officer_names(session, [t.assigned_to for t in page.rows if t.assigned_to])
            for tip in page.rows:
                if len(ids) >= MAX_ROWS:
                    truncated = True
                    break
                assert tip.id is not None
                ids.append(tip.id)
                rows.append(
                    [
                        tips.format_code(tip.code),
                        _local(tip.created_at),
                        labels.status(tip.status),
                        short_title(modus_title(services.library, tip.modus_id)),
                        place_name(tip.province_code, tip.ward_code),
                        unit_names.get(tip.unit_id, "") if tip.unit_id else "",
                        tip.amount_lost,
                        tip.occurred_on,
                        names.get(tip.assigned_to, "") if tip.assigned_to else "",
                        "; ".join(e.value for e in entities.get(tip.id, [])),
                        _story(services, tip.story),
                    ]
                )
            if truncated or page_no * _BATCH >= page.total or not page.rows:
                break
            page_no += 1
    return Export(rows, ids, truncated)


def _story(services: Services, token: str | None) -> str:
    try:
        return services.cipher.decrypt(token) or ""
    except CipherError:
        return "(không giải mã được)"


def _local(value: dt.datetime) -> dt.datetime:
    """Vietnam's wall-clock time without a zone: spreadsheets keep no time zones."""
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(VN_TZ).replace(tzinfo=None)


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%H:%M %d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return neutralize(value)


def to_csv(rows: list[list[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[list[Cell]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tin báo"
    sheet.append(HEADER)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, int):
                cell.value = value
                cell.number_format = "#,##0"
            elif isinstance(value, dt.datetime):
                cell.value = value
                cell.number_format = "hh:mm dd/mm/yyyy"
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = "dd/mm/yyyy"
            elif value:
                # A string cell, even one starting with "=" (openpyxl would otherwise take it
                # for a formula); the quote prefix keeps Excel from evaluating it once edited.
                cell.value = value
                cell.data_type = TYPE_STRING
                if looks_like_formula(value):
                    cell.quotePrefix = True
    for c, width in enumerate([12, 17, 18, 30, 30, 28, 16, 12, 22, 36, 80], start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _export(request: Request, officer: Viewer, fmt: str) -> Response:
    services = services_of(request)
    query = QueueQuery.parse(request.query_params, request.query_params.getlist("status"))
    result = collect(services, officer, query)
    with transaction(services.engine) as session:
        audit.record(
            session,
            actor=officer.actor,
            action="tip.export",
            target_type="tip",
            detail={
                "format": fmt,
                "filters": query.active(),
                "count": len(result.tip_ids),
                "truncated": result.truncated,
                "tip_ids": result.tip_ids,
            },
        )
    stamp = vn_datetime(utcnow(), "%Y%m%d-%H%M")
    if fmt == "csv":
        body, mime = to_csv(result.rows), "text/csv; charset=utf-8"
    else:
        body, mime = to_xlsx(result.rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        media_type=mime,
        headers={"Content-Disposition": f'attachment; filename="tin-bao-{stamp}.{fmt}"'},
    )


@router.get("/export/tips.csv")
def export_csv(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    return _export(request, officer, "csv")


@router.get("/export/tips.xlsx")
def export_xlsx(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    return _export(request, officer, "xlsx")
