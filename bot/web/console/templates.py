"""The console's Jinja2 environment: autoescaped HTML, Vietnam's time zone, Vietnamese labels."""

from __future__ import annotations

import datetime as dt
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


def money(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value:,}".replace(",", ".") + " đ"


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
