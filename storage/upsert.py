"""INSERT … ON CONFLICT for the two dialects we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignore(session: Session, table: Any, values: dict[str, Any], conflict: list[str]) -> bool:
    """Insert a row unless one with the same conflict columns exists; True when inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result: Any = session.execute(stmt)
    return bool(result.rowcount)
