"""Column helpers shared by the tables: aware UTC timestamps and JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ts_column(*, nullable: bool = True, index: bool = False) -> Any:
    """An aware timestamp column; stored as UTC, shown in Vietnam's time zone only when rendered."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def json_column(*, nullable: bool = False) -> Any:
    return Column(JSON, nullable=nullable)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were written as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
