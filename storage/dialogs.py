"""Dialog state and draft, keyed by (channel, user_key), so a restart resumes the dialog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session

from storage.models import DialogState, utcnow
from storage.upsert import upsert_many

StateKey = tuple[str, str]  # (channel, user_key)


@dataclass(frozen=True)
class StoredState:
    step: str | None
    data: dict[str, Any]


EMPTY = StoredState(None, {})


def load_states(session: Session, keys: list[StateKey]) -> dict[StateKey, StoredState]:
    """Several users' states in one query per channel; users without a row are left out."""
    table = _table()
    by_channel: dict[str, list[str]] = {}
    for channel, user_key in dict.fromkeys(keys):
        by_channel.setdefault(channel, []).append(user_key)
    found: dict[StateKey, StoredState] = {}
    for channel, user_keys in by_channel.items():
        query = sa_select(table.c.user_key, table.c.step, table.c.data).where(
            table.c.channel == channel, table.c.user_key.in_(user_keys)
        )
        for user_key, step, data in session.execute(query):
            found[(channel, user_key)] = StoredState(step, data or {})
    return found


def save_states(session: Session, states: dict[StateKey, StoredState]) -> None:
    """Store several users' states in one statement (insert or replace)."""
    now = utcnow()
    rows = [
        {"channel": channel, "user_key": user_key, "step": state.step, "data": state.data, "updated_at": now}
        for (channel, user_key), state in states.items()
    ]
    upsert_many(session, _table(), rows, keys=("channel", "user_key"), update=_replace)


def _replace(new: Any, _table: Any) -> dict[str, Any]:
    return {"step": new.step, "data": new.data, "updated_at": new.updated_at}


def _table() -> Any:
    return DialogState.__table__  # type: ignore[attr-defined]


def save_state(
    session: Session, *, channel: str, user_key: str, step: str | None, data: dict[str, Any]
) -> None:
    """`save_states` for one user."""
    save_states(session, {(channel, user_key): StoredState(step, data)})
