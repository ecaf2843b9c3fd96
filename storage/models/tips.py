"""Tips (tin báo) from residents: the tip, the scammer's identifiers, evidence files, history.

Fields marked "encrypted" hold `storage.crypto.Cipher` tokens, never plain text: a whole
tip is sensitive data under the personal-data law, and a database dump alone must not
reveal what a resident told the police or how to reach them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import json_column, ts_column, utcnow

# Stable ids, persisted and used in payloads; Vietnamese labels live in content/replies/labels.yaml.
STATUSES = ("new", "received", "verifying", "transferred", "resolved", "unfounded", "duplicate")
OPEN_STATUSES = ("new", "received", "verifying")
CLOSED_STATUSES = ("transferred", "resolved", "unfounded", "duplicate")
EVENT_KINDS = ("created", "status", "assign", "note", "duplicate", "confirm_entity", "erase")


class Tip(SQLModel, table=True):
    """One resident's tip, routed to a police unit; `version` grows with every change."""

    __tablename__ = "tips"
    __table_args__ = (
        Index("ix_tips_reporter", "reporter_channel", "reporter_user_key"),
        # The console's shapes: a scope or filter column, then status (the tabs' counts), or
        # then creation time (a page in the default order). See docs/scale.md.
        Index("ix_tips_unit_status", "unit_id", "status"),
        Index("ix_tips_province_status", "province_code", "status", "created_at"),
        Index("ix_tips_province_created", "province_code", "created_at", "id"),
        Index("ix_tips_modus_status", "modus_id", "status"),
        Index("ix_tips_province_modus", "province_code", "modus_id", "status", "created_at"),
        Index("ix_tips_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    status: str = Field(default="new", max_length=16)
    modus_id: str = Field(default="other", max_length=64)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    province_code: int | None = Field(default=None)
    ward_code: int | None = Field(default=None, index=True)
    reporter_channel: str = Field(max_length=32)
    reporter_user_key: str | None = Field(default=None, max_length=128)
    story: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # encrypted
    occurred_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    amount_lost: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    anonymous: bool = Field(default=True)
    contact_phone: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # encrypted
    contact_consent_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    consent_at: dt.datetime = Field(sa_column=ts_column(nullable=False))
    consent_version: str = Field(max_length=32)
    assigned_to: int | None = Field(default=None, foreign_key="officers.id", index=True)
    duplicate_of: int | None = Field(default=None, foreign_key="tips.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    closed_at: dt.datetime | None = Field(default=None, sa_column=ts_column(index=True))
    version: int = Field(default=1)
    personal_data_erased_at: dt.datetime | None = Field(default=None, sa_column=ts_column())


class TipEntity(SQLModel, table=True):
    """A number, account or link the reporter named; counted in the registry only once confirmed."""

    __tablename__ = "tip_entities"
    __table_args__ = (UniqueConstraint("tip_id", "kind", "value", name="uq_tip_entity"),)

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tips.id", index=True)
    kind: str = Field(max_length=16)
    value: str = Field(max_length=512, index=True)
    bank: str | None = Field(default=None, max_length=32)
    confirmed_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    confirmed_by: int | None = Field(default=None, foreign_key="officers.id")


class TipEvidence(SQLModel, table=True):
    """A photo, screenshot or file; the bytes live in an evidence store under `storage_key`."""

    __tablename__ = "tip_evidence"

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tips.id", index=True)
    kind: str = Field(max_length=16)
    filename: str = Field(max_length=255)
    mime: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str | None = Field(default=None, max_length=255)  # None once erased
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class TipEvent(SQLModel, table=True):
    """The tip's history, one row per change; `actor` is "officer:<id>", "reporter" or "system"."""

    __tablename__ = "tip_events"

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tips.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=24)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # encrypted
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
