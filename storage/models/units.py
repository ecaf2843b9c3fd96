"""Police units (province and commune level), their officers, and where they are notified in chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import ts_column, utcnow

UNIT_KINDS = ("province", "commune")
ROLES = ("admin", "province", "commune", "contributor")


class Unit(SQLModel, table=True):
    """A police unit: a province's (PA05 and the provincial police) or a commune's/ward's.

    Codes are those of the official list (`vietnam-provinces`); a commune unit has its
    province unit as parent. A commune with no unit configured falls to its province.
    """

    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    province_code: int = Field(index=True)
    ward_code: int | None = Field(default=None, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class UnitChat(SQLModel, table=True):
    """A unit's officers' group chat on a channel, where new tips are announced."""

    __tablename__ = "unit_chats"
    __table_args__ = (UniqueConstraint("unit_id", "channel", "chat_key", name="uq_unit_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    channel: str = Field(max_length=32)
    chat_key: str = Field(max_length=128)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Officer(SQLModel, table=True):
    """A console account. `role` admin sees everything; province and commune see their units' tips.

    A `contributor` is a non-police body (a commune's People's Committee, a school, a cell,
    a company, an agency): no unit, bound to one organisation or to one commune's office
    (`ward_code`); it logs its own campaign activities and never sees tips.
    """

    __tablename__ = "officers"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    ward_code: int | None = Field(default=None)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: dt.datetime | None = Field(default=None, sa_column=ts_column())
    last_login_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    # which new tips of their scope reach the officer's linked chats: all, urgent, off
    tip_notices: str = Field(default="all", max_length=16, sa_column_kwargs={"server_default": "all"})


class OfficerLink(SQLModel, table=True):
    """An officer's own Telegram or Zalo account, linked with a one-time code, for notifications."""

    __tablename__ = "officer_links"
    __table_args__ = (UniqueConstraint("channel", "user_key", name="uq_officer_link_channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officers.id", index=True)
    channel: str = Field(max_length=32)
    user_key: str = Field(max_length=128)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class LinkCode(SQLModel, table=True):
    """A one-time code an officer types in chat to link that chat account to their console account."""

    __tablename__ = "link_codes"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=128, unique=True)
    officer_id: int = Field(foreign_key="officers.id", index=True)
    expires_at: dt.datetime = Field(sa_column=ts_column(nullable=False))
    used_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
