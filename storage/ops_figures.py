"""Figures an operator watches, read from the database (the outbox backlog, tips by status)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, Tip
from storage.models.base import as_utc


def outbox_depth(session: Session) -> dict[str, tuple[int, dt.datetime | None]]:
    """Per kind of outbox row (reply, notify, broadcast): how many wait to be sent and since when."""
    rows = session.exec(
        select(OutboxMessage.kind, func.count(), func.min(OutboxMessage.created_at))
        .where(col(OutboxMessage.status).in_(("pending", "sending")))
        .group_by(OutboxMessage.kind)
    ).all()
    return {kind: (int(count), as_utc(oldest)) for kind, count, oldest in rows}


def tips_by_status(session: Session) -> dict[str, int]:
    rows = session.exec(select(Tip.status, func.count()).group_by(Tip.status)).all()
    return {status: int(count) for status, count in rows}
