"""View-models for the account and admin pages: what a template shows, with decisions made.

Templates only word and lay out these values; who may do what is decided here (and
enforced again by the route that receives the form).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from content import places
from storage import audit, officer_links, officers, tip_notices, tip_routing, units
from storage.models import AuditEntry, Officer, OfficerLink, Unit, UnitChat
from storage.tip_notices import ALL as NOTICES_ALL
from storage.tip_notices import CHOICES as NOTICE_CHOICES


@dataclass(frozen=True)
class MePage:
    officer_id: int
    full_name: str
    username: str
    role: str
    unit_name: str | None
    links: list[OfficerLink]
    links_action: str
    link_code_action: str
    link_code: str | None = None
    link_code_expires: dt.datetime | None = None
    # which new tips reach the linked chats; administrators hear of none this way
    tip_notices: str = NOTICES_ALL
    tip_notices_action: str | None = None
    tip_notice_choices: tuple[str, ...] = NOTICE_CHOICES


def me_page(
    session: Session,
    officer_id: int,
    *,
    self_service: bool,
    code: tuple[str, dt.datetime] | None = None,
) -> MePage:
    """The officer's account as they see it (`self_service`) or as an admin sees it."""
    officer = officers.get_officer(session, officer_id)
    assert officer is not None and officer.id is not None
    unit = units.get_unit(session, officer.unit_id) if officer.unit_id else None
    base = "/console/me" if self_service else f"/console/admin/officers/{officer.id}"
    return MePage(
        officer_id=officer.id,
        full_name=officer.full_name,
        username=officer.username,
        role=officer.role,
        unit_name=unit.name if unit else None,
        links=officer_links.links_of(session, officer.id),
        links_action=f"{base}/links",
        link_code_action=f"{base}/link-code",
        link_code=code[0] if code else None,
        link_code_expires=code[1] if code else None,
        tip_notices=officer.tip_notices,
        tip_notices_action=None if officer.role == "admin" else f"{base}/tip-notices",
    )


@dataclass(frozen=True)
class OfficerRow:
    officer: Officer
    unit_name: str
    locked: bool


@dataclass(frozen=True)
class OfficersPage:
    rows: list[OfficerRow]
    unit_choices: list[Unit]
    roles: list[str]


def officers_page(session: Session, *, now: dt.datetime) -> OfficersPage:
    all_units = units.list_units(session)
    by_id = {u.id: u for u in all_units}
    rows = []
    for officer in officers.list_officers(session):
        unit = by_id.get(officer.unit_id) if officer.unit_id else None
        rows.append(OfficerRow(officer, unit.name if unit else "—", _locked(officer, now)))
    return OfficersPage(
        rows=rows,
        unit_choices=[u for u in all_units if u.active],
        roles=["commune", "province", "admin"],
    )


@dataclass(frozen=True)
class OfficerDetail:
    officer: Officer
    account: MePage
    locked: bool
    can_deactivate: bool


def officer_detail(
    session: Session,
    officer_id: int,
    *,
    viewer_id: int,
    now: dt.datetime,
    code: tuple[str, dt.datetime] | None,
) -> OfficerDetail | None:
    officer = officers.get_officer(session, officer_id)
    if officer is None:
        return None
    return OfficerDetail(
        officer=officer,
        account=me_page(session, officer_id, self_service=False, code=code),
        locked=_locked(officer, now),
        can_deactivate=officer.active and officer.id != viewer_id,
    )


def _locked(officer: Officer, now: dt.datetime) -> bool:
    until = officer.locked_until
    if until is None:
        return False
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return until > now


@dataclass(frozen=True)
class ProvinceGroup:
    unit: Unit
    communes: list[Unit]
    chats: list[UnitChat]
    missing_communes: int


@dataclass(frozen=True)
class UnitsPage:
    groups: list[ProvinceGroup]
    provinces_without_unit: list[places.Place]
    # units from which a new tip would reach nobody (no group chat, no linked officer)
    unheard: list[Unit] = field(default_factory=list)


def units_page(session: Session) -> UnitsPage:
    all_units = units.list_units(session)
    provinces = [u for u in all_units if u.kind == "province"]
    chats = units.chats_of(session, [u.id for u in provinces if u.id is not None])
    groups = []
    for unit in provinces:
        communes = [u for u in all_units if u.kind == "commune" and u.parent_id == unit.id]
        total = len(places.wards_of(unit.province_code))
        groups.append(
            ProvinceGroup(
                unit=unit,
                communes=communes,
                chats=[c for c in chats if c.unit_id == unit.id],
                missing_communes=max(total - len(communes), 0),
            )
        )
    covered = {u.province_code for u in provinces}
    return UnitsPage(
        groups,
        [p for p in places.provinces() if p.province_code not in covered],
        unheard=tip_notices.unheard_units(session),
    )


@dataclass(frozen=True)
class UnitDetail:
    unit: Unit
    parent: Unit | None
    communes: list[Unit]
    chats: list[UnitChat]
    officers: list[Officer]
    wards_without_unit: list[places.Place]
    channels: tuple[str, ...] = units.CHAT_CHANNELS
    unheard: bool = False  # a new tip here would reach nobody
    stranded: int = 0  # tips of this unit's area sent before any unit held them


def unit_detail(session: Session, unit_id: int) -> UnitDetail | None:
    unit = units.get_unit(session, unit_id)
    if unit is None or unit.id is None:
        return None
    parent = units.get_unit(session, unit.parent_id) if unit.parent_id else None
    communes: list[Unit] = []
    missing: list[places.Place] = []
    if unit.kind == "province":
        communes = [
            u for u in units.list_units(session, province_code=unit.province_code) if u.parent_id == unit.id
        ]
        have = {u.ward_code for u in communes}
        missing = sorted(
            (p for p in places.wards_of(unit.province_code) if p.ward_code not in have),
            key=lambda p: places.fold(p.name),
        )
    return UnitDetail(
        unit=unit,
        parent=parent,
        communes=communes,
        chats=units.chats_of(session, [unit.id]),
        officers=officers.list_officers(session, unit_ids=[unit.id]),
        wards_without_unit=missing,
        unheard=any(u.id == unit.id for u in tip_notices.unheard_units(session)),
        stranded=tip_routing.stranded_count(
            session,
            province_code=unit.province_code,
            ward_code=unit.ward_code if unit.kind == "commune" else None,
        ),
    )


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor_name: str


@dataclass
class AuditPage:
    """One page of the log, newest first. The log only grows (millions of rows): no total is
    counted, the page only knows whether an older one follows."""

    rows: list[AuditRow]
    page: int
    has_next: bool
    params: dict[str, str] = field(default_factory=dict)


AUDIT_PER_PAGE = 100


def audit_page(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    target_type: str | None,
    target_id: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    page: int,
    params: dict[str, str],
) -> AuditPage:
    filters: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "since": since,
        "until": until,
    }
    page = min(max(page, 1), 10_000)
    found = audit.entries(session, **filters, limit=AUDIT_PER_PAGE + 1, offset=(page - 1) * AUDIT_PER_PAGE)
    entries = found[:AUDIT_PER_PAGE]
    ids = [int(e.actor.split(":", 1)[1]) for e in entries if _officer_actor(e.actor)]
    names = officers.officer_names(session, ids)
    rows = []
    for entry in entries:
        name = entry.actor
        if _officer_actor(entry.actor):
            name = names.get(int(entry.actor.split(":", 1)[1]), entry.actor)
        rows.append(AuditRow(entry, name))
    return AuditPage(rows, page, len(found) > AUDIT_PER_PAGE, params)


def _officer_actor(actor: str) -> bool:
    kind, _, rest = actor.partition(":")
    return kind == "officer" and rest.isdigit()
