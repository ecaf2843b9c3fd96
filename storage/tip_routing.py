"""Which unit holds a tip after submission: moving one by hand, and taking in the stranded ones.

A tip sent before its commune or province had a unit reaches none ("stranded"): it waits in
the national queue, which administrators see, and its province's officers see it too. An
administrator or a provincial officer moves a tip to another unit; when units are created,
the stranded tips of their area are taken in. Neither touches the tip's status, so the
resident is told nothing new: only who handles it changed. Every move is in the tip's
history and the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, func, select

from storage import audit
from storage.models import Officer, Tip, Unit, utcnow
from storage.tip_errors import NotPermitted
from storage.tip_queries import scope_for
from storage.tip_triage import lock_for_change, record_event, touch
from storage.tips import route_unit

MOVERS = ("admin", "province")


def movable_units(session: Session, officer: Officer) -> list[Unit]:
    """The active units this officer may move a tip to: all (an administrator), or their province's."""
    if not officer.active or officer.role not in MOVERS:
        return []
    query = select(Unit).where(col(Unit.active).is_(True))
    if officer.role == "province":
        own = session.get(Unit, officer.unit_id) if officer.unit_id else None
        if own is None:
            return []
        query = query.where(Unit.province_code == own.province_code)
    return list(session.exec(query.order_by(col(Unit.province_code), col(Unit.kind).desc(), col(Unit.name))))


def move_tip(
    session: Session,
    *,
    tip_id: int,
    actor_officer_id: int,
    unit_id: int,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Tip:
    """Give the tip to another unit; an assignee who could no longer see it is unassigned."""
    now = now or utcnow()
    tip, officer = lock_for_change(session, tip_id, actor_officer_id, expected_version)
    target = session.get(Unit, unit_id)
    if target is None or target not in movable_units(session, officer):
        raise NotPermitted("this officer cannot move tips to that unit")
    if tip.unit_id == target.id:
        return tip
    previous = session.get(Unit, tip.unit_id) if tip.unit_id else None
    tip.unit_id = target.id
    if tip.assigned_to is not None:
        assignee = session.get(Officer, tip.assigned_to)
        if assignee is None or not scope_for(session, assignee).allows(tip):
            tip.assigned_to = None
    touch(tip, now)
    detail = {
        "from": previous.id if previous else None,
        "from_name": previous.name if previous else None,
        "to": target.id,
        "to_name": target.name,
    }
    actor = f"officer:{officer.id}"
    record_event(session, tip, actor=actor, kind="unit", now=now, detail=detail)
    audit.record(
        session, actor=actor, action="tip.unit", target_type="tip", target_id=str(tip.id), detail=detail
    )
    session.add(tip)
    session.flush()
    return tip


def _area(query: Any, province_code: int | None, ward_code: int | None) -> Any:
    query = query.where(col(Tip.unit_id).is_(None))
    if province_code is not None:
        query = query.where(Tip.province_code == province_code)
    if ward_code is not None:
        query = query.where(Tip.ward_code == ward_code)
    return query


def stranded_count(
    session: Session, *, province_code: int | None = None, ward_code: int | None = None
) -> int:
    """Tips no unit holds: of a commune, a province, or everywhere."""
    return int(session.exec(_area(select(func.count()).select_from(Tip), province_code, ward_code)).one())


def take_in_stranded(
    session: Session,
    *,
    province_code: int,
    ward_code: int | None = None,
    actor: str,
    now: dt.datetime | None = None,
) -> int:
    """Route every stranded tip of the province (or of one commune) as a new one would be routed
    today: its commune's unit, else the province's. Returns how many found a unit."""
    now = now or utcnow()
    moved: list[int] = []
    query = _area(select(Tip), province_code, ward_code)
    stranded = session.exec(query.order_by(col(Tip.id)).with_for_update()).all()
    for tip in stranded:
        unit = route_unit(session, tip.province_code, tip.ward_code)
        if unit is None:
            continue
        tip.unit_id = unit.id
        touch(tip, now)
        record_event(
            session,
            tip,
            actor=actor,
            kind="unit",
            now=now,
            detail={"from": None, "to": unit.id, "to_name": unit.name},
        )
        session.add(tip)
        assert tip.id is not None
        moved.append(tip.id)
    if moved:
        audit.record(
            session,
            actor=actor,
            action="tip.take_in",
            target_type="tip",
            detail={"province_code": province_code, "ward_code": ward_code, "tip_ids": moved},
        )
    session.flush()
    return len(moved)
