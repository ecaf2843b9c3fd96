"""The registry of scammers' numbers, accounts and links confirmed by officers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import ts_column, utcnow


class RegistryEntity(SQLModel, table=True):
    """One normalised value (E.164 phone, digits-only account, lower-case host or URL).

    Only confirmed reports count: a single resident's tip never flags an entity.
    """

    __tablename__ = "registry_entities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_registry_kind_value"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    value: str = Field(max_length=512)
    bank: str | None = Field(default=None, max_length=32)
    reports: int = Field(default=0)
    first_seen: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_seen: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    note: str | None = Field(default=None, max_length=1000)
