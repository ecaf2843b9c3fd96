"""The registry of confirmed scam numbers, accounts and links; the engine reads it through a lookup."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import RegistryEntity, utcnow

KINDS = ("phone", "bank_account", "url")
_CHUNK = 400


def lookup_counts(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Confirmed report counts for (kind, value) pairs; absent pairs are left out.

    One query per kind with `kind = ? AND value IN (…)`, so both databases use the
    (kind, value) unique index; a row-value IN list makes SQLite scan the table.
    """
    by_kind: dict[str, list[str]] = {}
    for kind, value in dict.fromkeys(keys):
        by_kind.setdefault(kind, []).append(value)
    found: dict[tuple[str, str], int] = {}
    for kind, values in by_kind.items():
        for start in range(0, len(values), _CHUNK):
            rows = session.exec(
                select(RegistryEntity.value, RegistryEntity.reports).where(
                    RegistryEntity.kind == kind,
                    col(RegistryEntity.value).in_(values[start : start + _CHUNK]),
                )
            ).all()
            for value, reports in rows:
                found[(kind, value)] = reports
    return found


class RegistryReader:
    """A `content.RegistryLookup` backed by the database; one short session per check."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
