"""The console's Jinja2 environment: autoescaped HTML, Vietnam's time zone, Vietnamese labels."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.web.console import labels

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "console"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def vn_datetime(value: dt.datetime | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """Stored UTC (SQLite hands back naive UTC), shown in Vietnam's time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(VN_TZ).strftime(fmt)


def vn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return vn_datetime(value, "%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def file_size(size: int) -> str:
    """100 → "100 byte", 2_560 → "2,5 KB", 3_400_000 → "3,2 MB": a small file never shows as 0 KB."""
    if size < 1024:
        return f"{size} byte"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return text.removesuffix(".0").replace(".", ",") + f" {unit}"


def parse_day(value: str) -> dt.date | None:
    """A day typed as dd/mm/yyyy (what the console's date fields ask for; `-` and `.` work too)
    or yyyy-mm-dd (older links); anything else is None."""
    text = value.strip()
    if match := _DMY.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def day_field(value: str) -> str:
    """What a date field shows: the day as dd/mm/yyyy when it reads, else the text as typed."""
    day = parse_day(value)
    return day.strftime("%d/%m/%Y") if day else value


def money(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value:,}".replace(",", ".") + " đ"


def number(value: int | float | None) -> str:
    """1234567 → "1.234.567" (Vietnamese thousands); None → "—"."""
    if value is None:
        return "—"
    return f"{round(value):,}".replace(",", ".")


def percent(value: float | None) -> str:
    """0.855 → "85,5%"; whole values without decimals; None → ""."""
    if value is None:
        return ""
    shown = f"{value * 100:.1f}".replace(".", ",")
    return shown.removesuffix(",0") + "%"


def decimal(value: float | None) -> str:
    """1.3333 → "1,3" (one decimal, Vietnamese comma); None → ""."""
    if value is None:
        return ""
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def query(params: dict[str, Any], **changes: Any) -> str:
    """The current filters with some changed, as a query string (for sort links and paging)."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, str(item)))
    return urlencode(pairs)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        vn_datetime=vn_datetime,
        vn_date=vn_date,
        money=money,
        file_size=file_size,
        day_field=day_field,
        number=number,
        percent=percent,
        decimal=decimal,
        status_label=labels.status,
        alert_status=labels.alert_status,
        role_label=labels.role,
        kind_label=labels.entity_kind,
    )
    env.globals.update(query=query, labels=labels)
    return env


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """A page; the base layout gets the viewer (if logged in) and the notice named in `?ok=`/`?err=`."""
    ctx: dict[str, Any] = {
        "viewer": getattr(request.state, "viewer", None),
        "path": request.url.path,
        "notice": labels.notice(request.query_params.get("ok", "")),
        "problem": labels.problem(request.query_params.get("err", "")),
    }
    ctx.update(context or {})
    html = environment().get_template(name).render(**ctx)
    return HTMLResponse(html, status_code=status)
