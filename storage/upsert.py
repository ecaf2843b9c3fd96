"""INSERT … ON CONFLICT for the two dialects we run on, one row or many.

The many-row forms build their statement once per table and dialect and hand the rows to
the driver as one executemany (batched into multi-row VALUES by SQLAlchemy): a statement
with the rows inlined would be compiled, and its cache key walked value by value, on every
call, which costs more than the write itself on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

# (excluded, table) → the SET clause of the update; a module-level function, so it caches
UpdateSpec = Callable[[Any, Any], dict[str, Any]]


def insert_ignore_many(
    session: Session,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    conflict: tuple[str, ...],
    returning: tuple[str, ...],
) -> Sequence[Row[Any]]:
    """Insert the rows that do not clash on `conflict`; the `returning` columns of those inserted
    (in no set order). Every row must carry the same keys."""
    if not rows:
        return []
    stmt = _insert_ignore_statement(session.get_bind().dialect.name, table, conflict, returning)
    return session.execute(stmt, rows).all()


def upsert_many(
    session: Session,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    keys: tuple[str, ...],
    update: UpdateSpec,
) -> None:
    """Insert the rows, updating those that clash on `keys` as `update` says.

    Rows must be unique on `keys` (PostgreSQL refuses to update one row twice in a statement)
    and carry the same columns.
    """
    if not rows:
        return
    session.execute(_upsert_statement(session.get_bind().dialect.name, table, keys, update), rows)


def _module(dialect: str) -> Any:
    return postgresql if dialect == "postgresql" else sqlite


@lru_cache(maxsize=32)
def _insert_ignore_statement(
    dialect: str, table: Any, conflict: tuple[str, ...], returning: tuple[str, ...]
) -> Any:
    return (
        _module(dialect)
        .insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(*(table.c[name] for name in returning))
    )


@lru_cache(maxsize=32)
def _upsert_statement(dialect: str, table: Any, keys: tuple[str, ...], update: UpdateSpec) -> Any:
    stmt = _module(dialect).insert(table)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=update(stmt.excluded, table))
