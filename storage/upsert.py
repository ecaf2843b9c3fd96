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
    # Ask for the key back: a skipped row returns nothing. (rowcount is -1 on PostgreSQL
    # when SQLAlchemy adds RETURNING itself, which made every repeat look inserted.)
    result: Any = session.execute(stmt.returning(*table.primary_key.columns))
    return result.first() is not None
