"""Dialog state and draft, keyed by (channel, user_key), so a restart resumes the dialog."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import DialogState, utcnow


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
