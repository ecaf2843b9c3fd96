"""INSERT … ON CONFLICT DO NOTHING for the two dialects we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignore(session: Session, table: Any, values: dict[str, Any], conflict: list[str]) -> int | None:
    """Insert a row unless one with the same conflict columns exists; the new id, or None.

    RETURNING yields a row only when the insert happened (rowcount is not reliable here).
    """
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(table.c.id)
    )
    row = session.execute(stmt).first()
    return int(row[0]) if row is not None else None
