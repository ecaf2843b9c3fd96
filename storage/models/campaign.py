"""The campaign's offline side: campaigns, the hamlet and organisation registers, the activity log.

Hamlets and organisations are the denominators of the coverage indicators (C1–C12);
activities are the numerators. There is no official code list below the commune, so
hamlets and organisations carry the system's own ids. Activities are soft-deleted:
a report already handed in must still be explainable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import json_column, ts_column, utcnow


class Campaign(SQLModel, table=True):
    """A campaign or its peak period ("Đợt cao điểm … đến hết tháng 2/2024"); sets the default period."""

    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    province_code: int = Field(index=True)
    name: str = Field(max_length=300)
    starts_on: dt.date
    ends_on: dt.date
    created_by: int | None = Field(default=None, foreign_key="officers.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Hamlet(SQLModel, table=True):
    """A «thôn, tổ dân phố, khu dân cư» (also ấp, bản, khóm) of a commune, with its denominators."""

    __tablename__ = "hamlets"
    __table_args__ = (UniqueConstraint("ward_code", "name", name="uq_hamlet_ward_name"),)

    id: int | None = Field(default=None, primary_key=True)
    province_code: int = Field(index=True)
    ward_code: int = Field(index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    households: int | None = Field(default=None)
    notice_boards: int | None = Field(default=None)
    active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Organisation(SQLModel, table=True):
    """A school, cell, company, shop, agency, hospital, public place, bank point or religious site."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    province_code: int = Field(index=True)
    ward_code: int = Field(index=True)
    hamlet_id: int | None = Field(default=None, foreign_key="hamlets.id", index=True)
    name: str = Field(max_length=300)
    category: str = Field(max_length=32)
    school_level: str | None = Field(default=None, max_length=16)
    staff_or_members: int | None = Field(default=None)
    active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class CampaignActivity(SQLModel, table=True):
    """One entry of the «sổ theo dõi hoạt động tuyên truyền»; never a participant's name or phone."""

    __tablename__ = "campaign_activities"
    __table_args__ = (
        Index("ix_campaign_activities_ward_day", "ward_code", "started_on"),
        Index("ix_campaign_activities_province_day", "province_code", "started_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    province_code: int
    ward_code: int
    hamlet_id: int | None = Field(default=None, foreign_key="hamlets.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    organiser: str = Field(default="", max_length=40)
    organiser_note: str = Field(default="", max_length=200)
    audiences: list[str] = Field(default_factory=list, sa_column=json_column())
    started_on: dt.date
    ended_on: dt.date | None = Field(default=None)
    sessions: int = Field(default=1)
    participants: int | None = Field(default=None)
    households_reached: int | None = Field(default=None)
    leaflets: int | None = Field(default=None)
    posters: int | None = Field(default=None)
    notice_boards: int | None = Field(default=None)
    broadcasts: int | None = Field(default=None)
    broadcast_minutes: int | None = Field(default=None)
    posts: int | None = Field(default=None)
    sms_recipients: int | None = Field(default=None)
    staff_engaged: int | None = Field(default=None)
    card_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    note: str = Field(default="", max_length=2000)
    created_by: int | None = Field(default=None, foreign_key="officers.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    deleted_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    deleted_by: int | None = Field(default=None, foreign_key="officers.id")
