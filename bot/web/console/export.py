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
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter
from sqlmodel import Session

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


@dataclass
class Export:
    """The tips written so far (for the audit log) and whether MAX_ROWS cut the list."""

    tip_ids: list[int] = field(default_factory=list)
    truncated: bool = False


def rows_of(
    services: Services, session: Session, officer: Viewer, query: QueueQuery, done: Export
) -> Iterator[list[Cell]]:
    """Every tip the filters select in the officer's scope (at most MAX_ROWS), one list per row.

    One streamed query in the queue's order; each batch of tips gets its identifiers and
    officers' names in one look-up each, so memory holds a batch, never the export.
    """
    scope = officer_scope(session, officer)
    for batch in tips.stream_tips(
        session,
        scope=scope,
        filters=query.filters(officer.officer_id),
        sort=query.sort,
        limit=MAX_ROWS + 1,
        batch=_BATCH,
    ):
        ids = [t.id for t in batch if t.id is not None]
        entities = tip_lookups.entities_of(session, ids)
        names = officers.officer_names(session, [t.assigned_to for t in batch if t.assigned_to])
        unit_names = units.unit_names(session, [t.unit_id for t in batch])
        for tip in batch:
            if len(done.tip_ids) >= MAX_ROWS:
                done.truncated = True
                return
            assert tip.id is not None
            done.tip_ids.append(tip.id)
            yield [
                tips.format_code(tip.code),
                _local(tip.created_at),
                labels.status(tip.status),
                short_title(modus_title(services.library, tip.modus_id)),
                place_name(tip.province_code, tip.ward_code),
                unit_names.get(tip.unit_id, "") if tip.unit_id else "",
                tip.amount_lost,
                tip.occurred_on,
                names.get(tip.assigned_to, "") if tip.assigned_to else "",
                "; ".join(entities.get(tip.id, [])),
                _story(services, tip.story),
            ]


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


def write_csv(rows: Iterable[list[Cell]], out: IO[bytes]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    text.flush()
    text.detach()


def write_xlsx(rows: Iterable[list[Cell]], out: IO[bytes]) -> None:
    """A write-only workbook: rows go to a temporary file as they come, not into memory."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tin báo")
    for c, width in enumerate([12, 17, 18, 30, 30, 28, 16, 12, 22, 36, 80], start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(HEADER)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    book.save(out)


def _xlsx_cell(sheet: Any, value: Cell) -> WriteOnlyCell | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and not looks_like_formula(value):
        return value  # a plain string cell: no cell object for ordinary text
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, int):
        cell.number_format = "#,##0"
    elif isinstance(value, dt.datetime):
        cell.number_format = "hh:mm dd/mm/yyyy"
    elif isinstance(value, dt.date):
        cell.number_format = "dd/mm/yyyy"
    else:
        # A string cell, even one starting with "=" (openpyxl would otherwise take it for a
        # formula); the quote prefix keeps Excel from evaluating it once edited.
        cell.data_type = TYPE_STRING
        cell.quotePrefix = True
    return cell


def _export(request: Request, officer: Viewer, fmt: str) -> Response:
    services = services_of(request)
    query = QueueQuery.parse(request.query_params, request.query_params.getlist("status"))
    # The file is built before anything is sent, so the audit row names exactly what left;
    # it spills to disk past a megabyte.
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 (closed by the response)
    done = Export()
    with transaction(services.engine) as session:
        rows = rows_of(services, session, officer, query, done)
        (write_csv if fmt == "csv" else write_xlsx)(rows, body)
    with transaction(services.engine) as session:
        audit.record(
            session,
            actor=officer.actor,
            action="tip.export",
            target_type="tip",
            detail={
                "format": fmt,
                "filters": query.active(),
                "count": len(done.tip_ids),
                "truncated": done.truncated,
                "tip_ids": done.tip_ids,
            },
        )
    stamp = vn_datetime(utcnow(), "%Y%m%d-%H%M")
    mime = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    body.seek(0)
    return StreamingResponse(
        _chunks(body),
        media_type=mime,
        headers={"Content-Disposition": f'attachment; filename="tin-bao-{stamp}.{fmt}"'},
    )


def _chunks(body: IO[bytes]) -> Iterator[bytes]:
    with body:
        while chunk := body.read(1 << 16):
            yield chunk


@router.get("/export/tips.csv")
def export_csv(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    return _export(request, officer, "csv")


@router.get("/export/tips.xlsx")
def export_xlsx(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    return _export(request, officer, "xlsx")
