"""The registry of confirmed scam numbers, accounts and links; the engine reads it through a lookup."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, String, and_, bindparam, case, cast, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from content.result import RegistryLookup
from storage.models import RegistryEntity, utcnow
from storage.upsert import upsert_many

KINDS = ("phone", "bank_account", "url")
# The columns' limits (storage/models/registry.py): an import checks them row by row.
MAX_VALUE, MAX_BANK, MAX_NOTE = 512, 32, 1000
MAX_REPORTS = 2**31 - 1
_CHUNK = 400


def registry_value(kind: str, value: str) -> str:
    """The registry's key for a value: a link counts by its host, since a scam site has many paths.

    Used on every write and read, so "https://Scam.top/a" found in a text and "scam.top"
    confirmed by an officer or imported from a list are the same entry.
    """
    if kind != "url":
        return value
    host = value.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    host = host.split(":", 1)[0].strip(".")
    return host.removeprefix("www.")


def lookup_counts(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Confirmed report counts for (kind, value) pairs; absent pairs are left out.

    One query for all kinds, `(kind = ? AND value IN (…)) OR …`, so both databases use the
    (kind, value) unique index; a row-value IN list makes SQLite scan the table. It runs on
    every check, so the statement is built once per number of kinds and cached.
    """
    wanted = {key: (key[0], registry_value(*key)) for key in dict.fromkeys(keys)}
    by_kind: dict[str, list[str]] = {}
    for kind, value in dict.fromkeys(wanted.values()):
        by_kind.setdefault(kind, []).append(value)
    stored: dict[tuple[str, str], int] = {}
    connection = session.connection()
    longest = max((len(values) for values in by_kind.values()), default=0)
    for start in range(0, longest, _CHUNK):
        parts = [(k, v[start : start + _CHUNK]) for k, v in by_kind.items() if v[start : start + _CHUNK]]
        params: dict[str, object] = {}
        for index, (kind, values) in enumerate(parts):
            params[f"k{index}"], params[f"v{index}"] = kind, values
        for kind, value, reports in connection.execute(_lookup_statement(len(parts)), params):
            stored[(kind, value)] = reports
    return {key: stored[canonical] for key, canonical in wanted.items() if canonical in stored}


@lru_cache(maxsize=8)
def _lookup_statement(kinds: int) -> Any:
    table: Any = RegistryEntity.__table__  # type: ignore[attr-defined]
    return sa_select(table.c.kind, table.c.value, table.c.reports).where(
        or_(
            *(
                and_(
                    table.c.kind == bindparam(f"k{i}"), table.c.value.in_(bindparam(f"v{i}", expanding=True))
                )
                for i in range(kinds)
            )
        )
    )


class RegistryReader:
    """A `content.RegistryLookup` backed by the database; one short session per check."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def bound(self, session: Session) -> RegistryLookup:
        """The same lookup inside an open session (a message's transaction): no extra connection."""

        def lookup(keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
            keys = list(keys)
            return lookup_counts(session, keys) if keys else {}

        return lookup

    def __call__(self, keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
        keys = list(keys)
        if not keys:
            return {}
        with Session(self._engine) as session:
            return lookup_counts(session, keys)


def confirm_entity(
    session: Session,
    *,
    kind: str,
    value: str,
    bank: str | None = None,
    note: str | None = None,
    count: int = 1,
) -> RegistryEntity:
    """Add confirmed reports to an entity (created on first confirmation); callers audit it."""
    if kind not in KINDS:
        raise ValueError(f"unknown entity kind: {kind}")
    value = registry_value(kind, value)
    row = session.exec(
        select(RegistryEntity)
        .where(RegistryEntity.kind == kind, RegistryEntity.value == value)
        .with_for_update()
    ).first()
    now = utcnow()
    if row is None:
        row = RegistryEntity(kind=kind, value=value, reports=0, first_seen=now)
    row.reports += count
    row.last_seen = now
    if bank and not row.bank:
        row.bank = bank
    if note:
        row.note = note[:1000]
    session.add(row)
    session.flush()
    return row


def get_entity(session: Session, *, kind: str, value: str) -> RegistryEntity | None:
    value = registry_value(kind, value)
    return session.exec(
        select(RegistryEntity).where(RegistryEntity.kind == kind, RegistryEntity.value == value)
    ).first()


def most_reported(session: Session, *, limit: int = 20) -> Sequence[RegistryEntity]:
    return session.exec(
        select(RegistryEntity).order_by(col(RegistryEntity.reports).desc()).limit(limit)
    ).all()


@dataclass(frozen=True)
class RegistryRow:
    """One normalised row to import; normalisation belongs to the caller (it knows the engine)."""

    kind: str
    value: str
    reports: int = 1
    bank: str | None = None
    note: str | None = None


def import_rows(session: Session, rows: Iterable[RegistryRow], *, batch: int = 5000) -> int:
    """Add each row's reports to the registry, a batch per statement; returns how many rows were applied.

    One batch is written (on a thread of its own) while the next is read, so a long list
    costs the time of the slower of the two and the memory of two batches.
    """
    applied = 0

    def counted() -> Iterator[RegistryRow]:
        nonlocal applied
        for applied, row in enumerate(rows, start=1):  # noqa: B007 - the count is the point
            yield row

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-import") as writer:
        writing: Future[None] | None = None
        for chunk in _merged_batches(counted(), batch):
            if writing is not None:
                writing.result()  # the session is used by one thread at a time
            writing = writer.submit(_upsert, session, chunk)
        if writing is not None:
            writing.result()
    return applied


def _merged_batches(rows: Iterable[RegistryRow], batch: int) -> Iterator[list[dict[str, Any]]]:
    """Rows in batches unique on (kind, value): one statement may not update a row twice, so a
    value listed twice within a batch is merged first; across batches the upsert adds up."""
    pending: dict[tuple[str, str], dict[str, Any]] = {}
    now = utcnow()
    for row in rows:
        merged = pending.get((row.kind, row.value))
        if merged is None:
            pending[(row.kind, row.value)] = {
                "kind": row.kind,
                "value": row.value,
                "reports": row.reports,
                "bank": row.bank,
                "note": row.note,
                "first_seen": now,
                "last_seen": now,
            }
        else:
            merged["reports"] = min(merged["reports"] + row.reports, MAX_REPORTS)
            merged["bank"] = merged["bank"] or row.bank
            merged["note"] = row.note or merged["note"]
        if len(pending) >= batch:
            yield list(pending.values())
            pending = {}
    if pending:
        yield list(pending.values())


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table: Any = RegistryEntity.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != "postgresql":
        upsert_many(session, table, rows, keys=("kind", "value"), update=_add_reports)
        return
    # PostgreSQL: the batch travels as one array per column in a single statement; row by
    # row (even pipelined) a million-row list takes minutes instead of seconds.
    columns = {name: [row[name] for row in rows] for name in _ARRAY_TYPES}
    session.execute(_unnest_upsert(), {**columns, "now": rows[0]["last_seen"]})


_ARRAY_TYPES: dict[str, Any] = {
    "kind": String,
    "value": String,
    "reports": BigInteger,
    "bank": String,
    "note": String,
}


@lru_cache(maxsize=1)
def _unnest_upsert() -> Any:
    table: Any = RegistryEntity.__table__  # type: ignore[attr-defined]
    batch = (
        func.unnest(*(bindparam(name, type_=postgresql.ARRAY(kind)) for name, kind in _ARRAY_TYPES.items()))
        .table_valued(*_ARRAY_TYPES)
        .render_derived(name="batch")
    )
    now = bindparam("now", type_=table.c.last_seen.type)
    rows = sa_select(*(batch.c[name] for name in _ARRAY_TYPES), now, now)
    stmt = postgresql.insert(table).from_select([*_ARRAY_TYPES, "first_seen", "last_seen"], rows)
    return stmt.on_conflict_do_update(
        index_elements=["kind", "value"], set_=_add_reports(stmt.excluded, table)
    )


def _add_reports(excluded: Any, table: Any) -> dict[str, Any]:
    """Reports add up (capped at the column's range), the first bank stays, the newest note wins."""
    total = cast(table.c.reports, BigInteger) + excluded.reports
    return {
        "reports": case((total > MAX_REPORTS, MAX_REPORTS), else_=total),
        "last_seen": excluded.last_seen,
        "bank": func.coalesce(table.c.bank, excluded.bank),
        "note": func.coalesce(excluded.note, table.c.note),
    }
