"""One user's updates in order and answered once, across several serving processes.

Every pending inbox update is claimed by the process working on it (`claimed_by`, with a
lease that the process renews while it lives). A process handles an update only when it
is its user's turn: no earlier update of the same user is still pending. An update whose
claimer stopped renewing (it died) is taken over by another process after the lease, in
the order recorded. The replies decided for an update are stored in the handling
transaction and cleared when the update is marked done, so an update taken over after a
crash sends the replies already decided instead of being handled a second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from content.messages import Reply, replies_from_payload, replies_to_payload
from storage.models import InboxUpdate, utcnow
from storage.models.base import as_utc


@dataclass(frozen=True)
class Pending:
    """A pending update as the turn check sees it."""

    id: int
    channel: str
    user_key: str
    claimed_by: str | None
    claimed_at: dt.datetime | None

    def claimable_by(self, worker: str, *, expired_before: dt.datetime) -> bool:
        """Mine, never claimed, or claimed by a process whose lease ran out."""
        if self.claimed_by is None or self.claimed_by == worker:
            return True
        return self.claimed_at is None or self.claimed_at < expired_before


@dataclass(frozen=True)
class Turn:
    """Whether an update may be handled now: `mine` is False when it is no longer pending or
    another process took it over; `blocker` is the earliest earlier update of the same user
    still pending (None: it is this update's turn)."""

    mine: bool
    blocker: Pending | None


def turns(session: Session, items: Sequence[tuple[int, str, str]], *, worker: str) -> list[Turn]:
    """For each (update id, channel, user key): may `worker` handle it now? One query for all."""
    if not items:
        return []
    channels = sorted({channel for _, channel, _ in items})
    user_keys = sorted({user_key for _, _, user_key in items})
    table: Any = InboxUpdate.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa_select(table.c.id, table.c.channel, table.c.user_key, table.c.claimed_by, table.c.claimed_at)
        .where(table.c.status == "pending", table.c.channel.in_(channels), table.c.user_key.in_(user_keys))
        .order_by(table.c.id)
    ).all()
    by_user: dict[tuple[str, str], list[Pending]] = {}
    for row_id, channel, user_key, claimed_by, claimed_at in rows:
        pending = Pending(int(row_id or 0), channel, user_key, claimed_by, as_utc(claimed_at))
        by_user.setdefault((channel, user_key), []).append(pending)
    result: list[Turn] = []
    for update_id, channel, user_key in items:
        queue = by_user.get((channel, user_key), [])
        own = next((p for p in queue if p.id == update_id), None)
        mine = own is not None and own.claimed_by == worker
        earlier = next((p for p in queue if p.id < update_id), None)
        result.append(Turn(mine, earlier))
    return result


def claim(session: Session, ids: Iterable[int], *, worker: str, expired_before: dt.datetime) -> list[int]:
    """Claim pending updates that are unclaimed, already ours, or whose lease ran out."""
    ids = list(ids)
    if not ids:
        return []
    result = session.execute(
        update(InboxUpdate)
        .where(
            col(InboxUpdate.id).in_(ids),
            col(InboxUpdate.status) == "pending",
            or_(
                col(InboxUpdate.claimed_by).is_(None),
                col(InboxUpdate.claimed_by) == worker,
                col(InboxUpdate.claimed_at) < expired_before,
            ),
        )
        .values(claimed_by=worker, claimed_at=utcnow())
        .returning(col(InboxUpdate.id))
        .execution_options(synchronize_session=False)
    )
    return sorted(int(row_id) for (row_id,) in result)


def claim_expired(
    session: Session,
    *,
    worker: str,
    expired_before: dt.datetime,
    channels: Sequence[str],
    limit: int = 1000,
) -> list[tuple[int, str, str]]:
    """Take over pending updates nobody holds (recorded before a restart, or by a process
    that died); (id, channel, user key) in the order recorded."""
    query = (
        select(InboxUpdate.id)
        .where(
            col(InboxUpdate.status) == "pending",
            col(InboxUpdate.channel).in_(list(channels)),
            or_(col(InboxUpdate.claimed_at).is_(None), col(InboxUpdate.claimed_at) < expired_before),
        )
        .order_by(col(InboxUpdate.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [int(i) for i in session.exec(query).all() if i is not None]
    taken = set(claim(session, ids, worker=worker, expired_before=expired_before))
    if not taken:
        return []
    rows = session.exec(
        select(InboxUpdate.id, InboxUpdate.channel, InboxUpdate.user_key)
        .where(col(InboxUpdate.id).in_(sorted(taken)))
        .order_by(col(InboxUpdate.id))
    ).all()
    return [(int(row_id or 0), channel, user_key) for row_id, channel, user_key in rows]


def renew(session: Session, *, worker: str) -> int:
    """A live process keeps its pending updates from being taken over."""
    result = session.execute(
        update(InboxUpdate)
        .where(col(InboxUpdate.status) == "pending", col(InboxUpdate.claimed_by) == worker)
        .values(claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(session: Session, *, worker: str) -> int:
    """A process shutting down hands its pending updates to the others at once."""
    result = session.execute(
        update(InboxUpdate)
        .where(col(InboxUpdate.status) == "pending", col(InboxUpdate.claimed_by) == worker)
        .values(claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Answer:
    """The replies decided for an update: to whom, and what (empty: answered with another)."""

    update_id: int
    user_key: str
    replies: list[Reply]


def store_replies(session: Session, answers: Sequence[Answer]) -> None:
    """Keep the decided replies with the update, in the transaction that saved the dialog state."""
    if not answers:
        return
    table: Any = InboxUpdate.__table__  # type: ignore[attr-defined]
    session.execute(
        table.update().where(table.c.id == bindparam("update_id")).values(replies=bindparam("stored")),
        [
            {"update_id": a.update_id, "stored": {"user_key": a.user_key, **replies_to_payload(a.replies)}}
            for a in answers
        ],
        execution_options={"synchronize_session": False},
    )


def stored_answer(row: InboxUpdate) -> Answer | None:
    """The replies decided before a crash, if the update got that far."""
    if row.replies is None:
        return None
    return Answer(
        int(row.id or 0), str(row.replies.get("user_key") or row.user_key), replies_from_payload(row.replies)
    )
