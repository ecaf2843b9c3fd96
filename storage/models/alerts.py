"""Residents' alert subscriptions (one commune each) and the alerts officers broadcast to them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from storage.models.base import json_column, ts_column, utcnow

ALERT_STATUSES = ("draft", "pending_approval", "scheduled", "sending", "done", "cancelled")


class Subscription(SQLModel, table=True):
    """A resident on one channel receives the alerts of one commune/ward.

    Rows are never deleted: a change or an unsubscribe ends the row (`active` false,
    `ended_at`, `end_reason`) and a change starts a new one, so reach can be reported
    over time. At most one active row per (channel, user_key).
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index(
            "uq_subscriptions_active_user",
            "channel",
            "user_key",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index("ix_subscriptions_audience", "province_code", "ward_code", "active"),
        # A fan-out walks a province's active subscribers in id order, a chunk at a time.
        Index(
            "ix_subscriptions_fanout",
            "province_code",
            "id",
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    user_key: str = Field(max_length=128)
    province_code: int
    ward_code: int
    # The hamlet the resident named (or the printed QR code they scanned), when they did.
    hamlet_id: int | None = Field(default=None, foreign_key="hamlets.id", index=True)
    active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    ended_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    end_reason: str | None = Field(default=None, max_length=64)


class Alert(SQLModel, table=True):
    """A warning an officer sends to the subscribers of some communes of one province.

    `payload` holds the neutral replies every recipient gets (rendered once, when composed);
    `ward_codes` is the audience unless `whole_province`. Status: draft → pending_approval
    (when a second officer must approve) → scheduled → sending → done, or cancelled.
    """

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="draft", max_length=20, index=True)
    title: str = Field(max_length=200)
    card_id: str | None = Field(default=None, max_length=80)
    body: str = Field(default="", max_length=4000)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    province_code: int = Field(index=True)
    whole_province: bool = Field(default=False)
    ward_codes: list[int] = Field(default_factory=list, sa_column=json_column())
    channels: list[str] = Field(default_factory=list, sa_column=json_column())
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    created_by: int = Field(foreign_key="officers.id", index=True)
    approved_by: int | None = Field(default=None, foreign_key="officers.id")
    cancelled_by: int | None = Field(default=None, foreign_key="officers.id")
    send_at: dt.datetime | None = Field(default=None, sa_column=ts_column(index=True))
    recipients: int = Field(default=0)
    # The fan-out writes a chunk of subscribers per transaction: the last subscription id
    # written, and when the last chunk was (until then a worker resumes it).
    fanout_cursor: int = Field(default=0)
    fanned_out_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    # Rows per outbox status, kept once every row has an outcome (they change no more), so
    # the alert list does not count a finished alert's rows again on every view.
    delivery: dict[str, int] | None = Field(default=None, sa_column=json_column(nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    submitted_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    approved_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    started_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    finished_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    cancelled_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
