"""The registry of confirmed scam numbers, accounts and links; the engine reads it through a lookup."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from content.result import RegistryLookup
from storage.models import RegistryEntity, utcnow

KINDS = ("phone", "bank_account", "url")
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


def import_rows(session: Session, rows: Iterable[RegistryRow]) -> int:
    """Add each row's reports to the registry; returns how many rows were applied."""
    applied = 0
    for row in rows:
        confirm_entity(
            session, kind=row.kind, value=row.value, bank=row.bank, note=row.note, count=row.reports
        )
        applied += 1
    return applied
