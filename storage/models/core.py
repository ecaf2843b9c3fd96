"""Users per channel, conversation state and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import json_column, ts_column, utcnow


class User(SQLModel, table=True):
    """A person as one channel knows them; `user_key` is the platform's id, kept as text."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "user_key", name="uq_users_channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    user_key: str = Field(max_length=128)
    display_name: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_inbound_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    unreachable_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    unreachable_reason: str | None = Field(default=None, max_length=200)


class DialogState(SQLModel, table=True):
    """Where a user is in a conversation; step names are persisted, so treat them as a schema."""

    __tablename__ = "dialog_states"
    __table_args__ = (UniqueConstraint("channel", "user_key", name="uq_dialog_channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    user_key: str = Field(max_length=128)
    step: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who looked at or changed what, and when; never deleted by the application, and changed
    only to drop the addresses and typed names of login entries after their retention."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    actor: str = Field(max_length=128, index=True)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=64)
    target_id: str = Field(default="", max_length=128, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
