"""Officers' triage of a tip: status, assignment, notes, duplicates, confirmed identifiers.

Every change first locks the tip row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite
serialises writers), so two officers acting at once both get their change applied, one
after the other, and both appear in the history. An officer who acted on a stale page
passes `expected_version` and gets `StaleTip` instead of overwriting a newer change.
Import these through `storage.tips`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from content.messages import Reply
from storage import audit, outbox, registry
from storage.crypto import Cipher
from storage.models import Officer, Tip, TipEntity, TipEvent, utcnow
from storage.models.tips import CLOSED_STATUSES, STATUSES
from storage.tip_errors import NotPermitted, StaleTip, TipNotFound, TransitionNotAllowed
from storage.tip_queries import scope_for

# Which status may follow which. "duplicate" is reached only through `link_duplicate`,
# so a duplicate always says which tip it repeats. A closed tip may be reopened.
ALLOWED: dict[str, tuple[str, ...]] = {
    "new": ("received", "verifying", "transferred", "resolved", "unfounded"),
    "received": ("verifying", "transferred", "resolved", "unfounded"),
    "verifying": ("received", "transferred", "resolved", "unfounded"),
    "transferred": ("verifying", "resolved"),
    "resolved": ("verifying",),
    "unfounded": ("verifying",),
    "duplicate": ("verifying",),
}
# Statuses the reporter is told about when a tip reaches them.
REPORTER_NOTIFIED = ("received", "verifying", "transferred", "resolved", "unfounded", "duplicate")
# Renders the reporter's status update (see handlers/report/notify.py).
ReporterNotify = Callable[[Tip, str], list[Reply]]


def change_status(
    session: Session,
    *,
    tip_id: int,
    actor_officer_id: int,
    to_status: str,
    cipher: Cipher,
    note: str | None = None,
    expected_version: int | None = None,
    notify_reporter: ReporterNotify | None = None,
    now: dt.datetime | None = None,
) -> Tip:
    """Move the tip to `to_status` (see ALLOWED); the reporter is told through the outbox."""
    now = now or utcnow()
    if to_status not in STATUSES:
        raise ValueError(f"unknown status: {to_status}")
    tip, officer = lock_for_change(session, tip_id, actor_officer_id, expected_version)
    if to_status not in ALLOWED.get(tip.status, ()):
        raise TransitionNotAllowed(tip.status, to_status)
    from_status = tip.status
    _set_status(tip, to_status, now)
    record_event(
        session,
        tip,
        actor=_actor(officer),
        kind="status",
        from_status=from_status,
        to_status=to_status,
        note=cipher.encrypt(note) if note else None,
        now=now,
    )
    audit.record(
        session,
        actor=_actor(officer),
        action="tip.status",
        target_type="tip",
        target_id=str(tip.id),
        detail={"from": from_status, "to": to_status},
    )
    _tell_reporter(session, tip, to_status, notify_reporter)
    session.add(tip)
    session.flush()
    return tip


def assign(
    session: Session,
    *,
    tip_id: int,
    actor_officer_id: int,
    assignee_id: int | None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Tip:
    """Give the tip to an officer who can see it (None: nobody)."""
    now = now or utcnow()
    tip, officer = lock_for_change(session, tip_id, actor_officer_id, expected_version)
    if assignee_id is not None:
        assignee = session.get(Officer, assignee_id)
        if assignee is None or not assignee.active or not scope_for(session, assignee).allows(tip):
            raise NotPermitted("the assignee cannot see this tip")
    previous = tip.assigned_to
    tip.assigned_to = assignee_id
    touch(tip, now)
    record_event(
        session,
        tip,
        actor=_actor(officer),
        kind="assign",
        now=now,
        detail={"from": previous, "to": assignee_id},
    )
    audit.record(
        session,
        actor=_actor(officer),
        action="tip.assign",
        target_type="tip",
        target_id=str(tip.id),
        detail={"from": previous, "to": assignee_id},
    )
    session.add(tip)
    session.flush()
    return tip


def add_note(
    session: Session,
    *,
    tip_id: int,
    actor_officer_id: int,
    note: str,
    cipher: Cipher,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> TipEvent:
    """An officer's note in the history (encrypted; officers only, never sent to the reporter)."""
    now = now or utcnow()
    if not note.strip():
        raise ValueError("empty note")
    tip, officer = lock_for_change(session, tip_id, actor_officer_id, expected_version)
    touch(tip, now)
    event = record_event(
        session, tip, actor=_actor(officer), kind="note", note=cipher.encrypt(note.strip()), now=now
    )
    audit.record(session, actor=_actor(officer), action="tip.note", target_type="tip", target_id=str(tip.id))
    session.add(tip)
    session.flush()
    return event


def link_duplicate(
    session: Session,
    *,
    tip_id: int,
    actor_officer_id: int,
    original_id: int,
    cipher: Cipher,
    note: str | None = None,
    expected_version: int | None = None,
    notify_reporter: ReporterNotify | None = None,
    now: dt.datetime | None = None,
) -> Tip:
    """Close the tip as a duplicate of `original_id` (followed to the first of a chain)."""
    now = now or utcnow()
    tip, officer = lock_for_change(session, tip_id, actor_officer_id, expected_version)
    original = session.get(Tip, original_id)
    while original is not None and original.duplicate_of is not None:
        original = session.get(Tip, original.duplicate_of)
    if original is None or not scope_for(session, officer).allows(original):
        raise TipNotFound(f"tip {original_id}")
    if original.id == tip.id:
        raise ValueError("a tip cannot duplicate itself")
    from_status = tip.status
    if from_status == "duplicate" and tip.duplicate_of == original.id:
        return tip
    tip.duplicate_of = original.id
    _set_status(tip, "duplicate", now)
    record_event(
        session,
        tip,
        actor=_actor(officer),
        kind="duplicate",
        from_status=from_status,
        to_status="duplicate",
        note=cipher.encrypt(note) if note else None,
        now=now,
        detail={"original_id": original.id, "original_code": original.code},
    )
    audit.record(
        session,
        actor=_actor(officer),
        action="tip.duplicate",
        target_type="tip",
        target_id=str(tip.id),
        detail={"original_id": original.id},
    )
    _tell_reporter(session, tip, "duplicate", notify_reporter)
    session.add(tip)
    session.flush()
    return tip


def confirm_entities(
    session: Session,
    *,
    tip_id: int,
    actor_officer_id: int,
    entity_ids: Sequence[int] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> list[TipEntity]:
    """Count the chosen identifiers (all when None) in the registry, once per tip each."""
    now = now or utcnow()
    tip, officer = lock_for_change(session, tip_id, actor_officer_id, expected_version)
    query = select(TipEntity).where(TipEntity.tip_id == tip.id, col(TipEntity.confirmed_at).is_(None))
    if entity_ids is not None:
        query = query.where(col(TipEntity.id).in_(list(entity_ids)))
    confirmed: list[TipEntity] = []
    for entity in session.exec(query.order_by(col(TipEntity.id))).all():
        registry.confirm_entity(session, kind=entity.kind, value=entity.value, bank=entity.bank)
        entity.confirmed_at = now
        entity.confirmed_by = officer.id
        session.add(entity)
        confirmed.append(entity)
    if confirmed:
        touch(tip, now)
        detail = {"entities": [{"kind": e.kind, "value": e.value} for e in confirmed]}
        record_event(session, tip, actor=_actor(officer), kind="confirm_entity", now=now, detail=detail)
        audit.record(
            session,
            actor=_actor(officer),
            action="tip.confirm_entity",
            target_type="tip",
            target_id=str(tip.id),
            detail=detail,
        )
        session.add(tip)
    session.flush()
    return confirmed


def lock_for_change(
    session: Session, tip_id: int, officer_id: int, expected_version: int | None
) -> tuple[Tip, Officer]:
    officer = session.get(Officer, officer_id)
    if officer is None or not officer.active:
        raise NotPermitted("inactive or unknown officer")
    # populate_existing: the row as committed by whoever held the lock before us.
    tip = session.exec(
        select(Tip).where(Tip.id == tip_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if tip is None:
        raise TipNotFound(f"tip {tip_id}")
    if not scope_for(session, officer).allows(tip):
        raise TipNotFound(f"tip {tip_id}")  # outside the scope looks the same as absent
    if expected_version is not None and tip.version != expected_version:
        raise StaleTip(tip.version)
    return tip, officer


def _set_status(tip: Tip, to_status: str, now: dt.datetime) -> None:
    tip.status = to_status
    tip.closed_at = now if to_status in CLOSED_STATUSES else None
    if to_status != "duplicate":
        tip.duplicate_of = None
    touch(tip, now)


def touch(tip: Tip, now: dt.datetime) -> None:
    tip.version += 1
    tip.updated_at = now


def _actor(officer: Officer) -> str:
    return f"officer:{officer.id}"


def record_event(
    session: Session,
    tip: Tip,
    *,
    actor: str,
    kind: str,
    now: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> TipEvent:
    assert tip.id is not None
    event = TipEvent(
        tip_id=tip.id,
        at=now,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
        detail=dict(detail or {}),
    )
    session.add(event)
    session.flush()
    return event


def _tell_reporter(session: Session, tip: Tip, status: str, notify: ReporterNotify | None) -> None:
    if notify is None or status not in REPORTER_NOTIFIED or not tip.reporter_user_key:
        return
    outbox.enqueue(
        session,
        channel=tip.reporter_channel,
        user_key=tip.reporter_user_key,
        replies=notify(tip, status),
        kind="tip_status",
        priority=outbox.PRIORITY_NOTIFY,
        dedupe_key=f"tip:{tip.id}:v{tip.version}",
    )
