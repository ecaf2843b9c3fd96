"""Unfinished dialog drafts kept in dialog state: one reminder when idle, deletion when old.

A draft is a dict under a key of `DialogState.data` (the report dialog uses
"report_draft") with an ISO `touched_at`; the flow owning it decides what it holds.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from content.messages import Reply
from storage import outbox
from storage.models import DialogState


def _candidates(session: Session, key: str, before: dt.datetime, limit: int) -> list[DialogState]:
    # updated_at moves with every message of the user, so it bounds touched_at from above.
    return list(
        session.exec(
            select(DialogState)
            .where(col(DialogState.updated_at) < before)
            .where(cast(col(DialogState.data), String).like(f'%"{key}"%'))
            .order_by(col(DialogState.id))
            .limit(limit)
        ).all()
    )


def _touched(draft: dict[str, Any]) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(draft.get("touched_at")))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def remind_idle_drafts(
    session: Session, *, key: str, idle_before: dt.datetime, replies: list[Reply], limit: int = 500
) -> int:
    """Queue one reminder per draft untouched since `idle_before`; returns how many."""
    count = 0
    for row in _candidates(session, key, idle_before, limit):
        draft = (row.data or {}).get(key)
        if not isinstance(draft, dict) or draft.get("reminded"):
            continue
        touched = _touched(draft)
        if touched is None or touched >= idle_before:
            continue
        outbox.enqueue(
            session,
            channel=row.channel,
            user_key=row.user_key,
            replies=replies,
            kind="draft_reminder",
            priority=outbox.PRIORITY_NOTIFY,
            dedupe_key=f"remind:{key}:{row.id}:{draft.get('touched_at')}"[:200],
        )
        data = copy.deepcopy(row.data)
        data[key]["reminded"] = True
        row.data = data  # updated_at unchanged: a reminder is not the user's activity
        session.add(row)
        count += 1
    session.flush()
    return count


def expire_drafts(
    session: Session, *, key: str, step_prefix: str, older_than: dt.datetime, limit: int = 500
) -> list[dict[str, Any]]:
    """Delete drafts untouched since `older_than`; returns them so the caller can delete their files."""
    removed: list[dict[str, Any]] = []
    for row in _candidates(session, key, older_than, limit):
        data = copy.deepcopy(row.data or {})
        draft = data.get(key)
        if not isinstance(draft, dict):
            continue
        touched = _touched(draft)
        if touched is not None and touched >= older_than:
            continue
        del data[key]
        row.data = data
        if (row.step or "").startswith(step_prefix + "."):
            row.step = None
        session.add(row)
        removed.append(draft)
    session.flush()
    return removed
