"""Officers' console sessions, kept server-side so logout, deactivation and a password reset end them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from storage.models.base import ts_column, utcnow


class ConsoleSession(SQLModel, table=True):
    """One logged-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "console_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    officer_id: int = Field(foreign_key="officers.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_seen_at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: dt.datetime = Field(sa_column=ts_column(nullable=False, index=True))
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class LoginFailure(SQLModel, table=True):
    """A console login attempt from an address: counted before its password is checked,
    deleted when it succeeds, kept as a failure (with the account tried, if any) only as long
    as the per-address windows."""

    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    ip: str = Field(max_length=64, index=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    officer_id: int | None = Field(default=None, index=True)
