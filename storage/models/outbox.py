"""Outgoing messages that are not direct replies: notifications, status updates, broadcasts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models.base import json_column, ts_column, utcnow


class OutboxMessage(SQLModel, table=True):
    """A row per recipient, written in the same transaction as the change that caused it.

    `payload` holds neutral replies (see storage.outbox); `priority` 0 goes first, so
    residents' replies and officers' notifications overtake broadcast traffic.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_claim", "status", "priority", "next_attempt_at", "id"),
        # Claiming walks due rows in (priority, id) order without sorting a large broadcast.
        Index("ix_outbox_due", "status", "priority", "id"),
        Index("ix_outbox_alert_figures", "alert_id", "status", "ward_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    user_key: str = Field(max_length=128)
    kind: str = Field(default="notify", max_length=32)
    priority: int = Field(default=5)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    alert_id: int | None = Field(default=None, index=True)
    # The recipient's commune for a broadcast row, so an alert's figures split per commune.
    ward_code: int | None = Field(default=None)
    status: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    sent_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    error: str | None = Field(default=None, max_length=2000)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
