"""Dialog state and draft, keyed by (channel, user_key), so a restart resumes the dialog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from storage.models import DialogState, utcnow
from storage.upsert import upsert_many


def load_state(session: Session, *, channel: str, user_key: str) -> DialogState:
    """The user's state row (a fresh, unsaved one when they have none)."""
    row = session.exec(
        select(DialogState).where(DialogState.channel == channel, DialogState.user_key == user_key)
    ).first()
    return row or DialogState(channel=channel, user_key=user_key, step=None, data={})


def save_state(
    session: Session,
    *,
    channel: str,
    user_key: str,
    step: str | None,
    data: dict[str, Any],
    row: DialogState | None = None,
) -> None:
    """Store step and data; `row` is the stored row loaded earlier in this session, if any
    (saves a query; a fresh unsaved row is looked up again, a handler may have saved one)."""
    if row is None or row.id is None:
        row = load_state(session, channel=channel, user_key=user_key)
    row.step = step
    row.data = dict(data)  # a new object, so the JSON column is seen as changed
    row.updated_at = utcnow()
    session.add(row)
    session.flush()


def clear_state(session: Session, *, channel: str, user_key: str) -> None:
    save_state(session, channel=channel, user_key=user_key, step=None, data={})


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
