"""The Zalo OA token pair: one row per Zalo app, tokens stored encrypted by the caller."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.models.base import ts_column, utcnow


class ZaloToken(SQLModel, table=True):
    """The current OAuth pair of a Zalo app.

    The refresh token is single-use and rotates, so this row is the only copy that
    counts: it is locked while a refresh is in flight and rewritten before the new
    access token is used. Both tokens are ciphertext; storage never sees them in clear.
    """

    __tablename__ = "zalo_tokens"

    id: int | None = Field(default=None, primary_key=True)
    app_id: str = Field(max_length=64, unique=True)
    oa_id: str | None = Field(default=None, max_length=64)
    access_token: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))
    access_expires_at: dt.datetime = Field(sa_column=ts_column(nullable=False))
    refresh_expires_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    version: int = Field(default=1)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    failed_at: dt.datetime | None = Field(default=None, sa_column=ts_column())
    failure: str | None = Field(default=None, max_length=500)
