"""Inbound updates recorded before they are acknowledged, so a crash loses nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import json_column, ts_column, utcnow


class InboxUpdate(SQLModel, table=True):
    """One platform update; the unique (channel, platform_id) drops repeats."""

    __tablename__ = "inbox_updates"
    __table_args__ = (
        UniqueConstraint("channel", "platform_id", name="uq_inbox_channel_platform_id"),
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    platform_id: str = Field(max_length=128)
    user_key: str = Field(default="", max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    status: str = Field(default="pending", max_length=16)  # pending, done, failed
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=2000)
    received_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    processed_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    # The serving process working on the update and when it last said it is alive: another
    # process takes a pending update over once the lease has run out (see storage.inbox_lanes).
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    # The replies decided for the update, kept from the handling transaction until they are
    # sent, so a restart sends them instead of handling the message a second time.
    replies: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
