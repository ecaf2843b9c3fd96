"""Reply wording: Jinja2 templates (autoescaped restricted HTML) and button labels.

Templates hold wording and layout, never decisions; handlers pass decided values.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

REPLIES_DIR = Path(__file__).parent / "replies"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _vn_date(value: dt.date | dt.datetime | str | None, with_time: bool = False) -> str:
    """A day (and time) as residents read it: Vietnam's clock, whatever the server's and the
    database's. Stored times are UTC; SQLite hands them back naive, a draft keeps ISO text."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y" if with_time else "%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def _money(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value:,}".replace(",", ".") + " đ"


def _period(days: int) -> str:
    """A span as people say it: 730 → "2 năm", 90 → "3 tháng", 45 → "45 ngày"."""
    if days >= 365 and days % 365 == 0:
        return f"{days // 365} năm"
    if days >= 30 and days % 30 == 0:
        return f"{days // 30} tháng"
    return f"{days} ngày"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(REPLIES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["vn_date"] = _vn_date
    env.filters["money"] = _money
    env.filters["period"] = _period
    return env


def render(key: str, **context: Any) -> str:
    """Render `content/replies/<key>.j2`; surrounding blank lines are trimmed."""
    return _env().get_template(f"{key}.j2").render(**context).strip()


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    data = yaml.safe_load((REPLIES_DIR / "labels.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def label(key: str) -> str:
    """A button label or short phrase by key; a missing key is a bug, so it raises."""
    return _labels()[key]
