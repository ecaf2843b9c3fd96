"""View-model of the tip page, with every decision made for the template.

Who may do what on a tip is decided in `tip_view` (and checked again by the route that
receives the form).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.web.console import labels
from bot.web.console.queue_context import Choice
from bot.web.console.security import Viewer
from content.library import Library
from handlers.report.notify import modus_title, place_name
from storage import officers, registry, tip_lookups, tip_routing, units
from storage.models import Tip
from storage.tips import ALLOWED, Scope, TipDetail, format_code


@dataclass(frozen=True)
class EntityView:
    id: int
    kind: str
    value: str
    bank: str | None
    registry_reports: int
    confirmed: bool


@dataclass(frozen=True)
class EvidenceView:
    id: int
    filename: str
    mime: str
    size: int
    is_image: bool
    available: bool


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    who: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class DuplicateView:
    id: int
    code: str
    status: str
    created_at: dt.datetime | None
    shared: list[tuple[str, str]]


@dataclass
class TipView:
    tip: Tip
    code: str
    modus: str
    place: str
    unit: str
    assignee: str
    story: str | None
    contact_phone: str | None
    entities: list[EntityView]
    evidence: list[EvidenceView]
    history: list[HistoryItem]
    duplicates: list[DuplicateView]
    original: DuplicateView | None
    next_statuses: list[str]
    assignees: list[Choice]
    can_change_status: bool
    can_assign: bool
    can_note: bool
    can_link_duplicate: bool
    can_confirm: bool
    erased: bool
    move_units: list[Choice]


INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")


def can_confirm_entities(viewer: Viewer) -> bool:
    """Confirming makes every later check warn about the identifier: provincial officers and admins."""
    return viewer.role in ("admin", "province")


def assignee_choices(session: Session, tip: Tip) -> list[Choice]:
    """Active officers of the tip's unit and of its province's unit (who can all see it)."""
    unit_ids: list[int] = []
    unit = units.get_unit(session, tip.unit_id) if tip.unit_id else None
    if unit is not None and unit.id is not None:
        unit_ids.append(unit.id)
        if unit.parent_id:
            unit_ids.append(unit.parent_id)
    if tip.province_code is not None:
        province_unit = units.province_unit(session, tip.province_code)
        if province_unit is not None and province_unit.id is not None:
            unit_ids.append(province_unit.id)
    people = [o for o in officers.list_officers(session, unit_ids=sorted(set(unit_ids))) if o.active]
    return [Choice(str(o.id), f"{o.full_name} ({labels.role(o.role).lower()})") for o in people]


def tip_view(
    session: Session, *, viewer: Viewer, detail: TipDetail, library: Library, scope: Scope
) -> TipView:
    tip = detail.tip
    assert tip.id is not None
    counts = registry.lookup_counts(session, [(e.kind, e.value) for e in detail.entities])
    actor_ids = [int(ev.event.actor.split(":", 1)[1]) for ev in detail.events if _is_officer(ev.event.actor)]
    names = officers.officer_names(session, actor_ids + ([tip.assigned_to] if tip.assigned_to else []))
    unit = units.get_unit(session, tip.unit_id) if tip.unit_id else None
    original = None
    if tip.duplicate_of:
        code = next(
            (
                ev.event.detail.get("original_code")
                for ev in reversed(detail.events)
                if ev.event.kind == "duplicate"
            ),
            None,
        )
        original = DuplicateView(
            tip.duplicate_of, format_code(str(code)) if code else f"#{tip.duplicate_of}", "", None, []
        )
    duplicates = [
        DuplicateView(c.tip_id, format_code(c.code), c.status, c.created_at, c.shared)
        for c in tip_lookups.duplicate_candidates(session, tip_id=tip.id, scope=scope)
        if c.tip_id != tip.duplicate_of
    ]
    confirm = can_confirm_entities(viewer)
    return TipView(
        tip=tip,
        code=format_code(tip.code),
        modus=modus_title(library, tip.modus_id),
        place=place_name(tip.province_code, tip.ward_code),
        unit=unit.name if unit else "",
        assignee=names.get(tip.assigned_to, "") if tip.assigned_to else "",
        story=detail.story,
        contact_phone=detail.contact_phone,
        entities=[
            EntityView(
                id=e.id or 0,
                kind=e.kind,
                value=e.value,
                bank=e.bank,
                registry_reports=counts.get((e.kind, e.value), 0),
                confirmed=e.confirmed_at is not None,
            )
            for e in detail.entities
        ],
        evidence=[
            EvidenceView(
                id=ev.id or 0,
                filename=ev.filename or "(đã xóa)",
                mime=ev.mime,
                size=ev.size,
                is_image=ev.mime in INLINE_IMAGES,
                available=ev.storage_key is not None,
            )
            for ev in detail.evidence
        ],
        history=[
            HistoryItem(
                at=ev.event.at,
                who=_who(ev.event.actor, names),
                kind=ev.event.kind,
                from_status=ev.event.from_status,
                to_status=ev.event.to_status,
                note=ev.note,
                detail=dict(ev.event.detail or {}),
            )
            for ev in reversed(detail.events)
        ],
        duplicates=duplicates,
        original=original,
        next_statuses=list(ALLOWED.get(tip.status, ())),
        assignees=assignee_choices(session, tip),
        can_change_status=bool(ALLOWED.get(tip.status)),
        can_assign=True,
        can_note=True,
        can_link_duplicate=tip.status != "duplicate",
        can_confirm=confirm and any(e.confirmed_at is None for e in detail.entities),
        erased=tip.personal_data_erased_at is not None,
        move_units=move_choices(session, viewer),
    )


def move_choices(session: Session, viewer: Viewer) -> list[Choice]:
    """Units an administrator or provincial officer may hand the tip to (empty for others)."""
    me = officers.get_officer(session, viewer.officer_id)
    if me is None:
        return []
    return [Choice(str(u.id), u.name) for u in tip_routing.movable_units(session, me)]


def _is_officer(actor: str) -> bool:
    kind, _, rest = actor.partition(":")
    return kind == "officer" and rest.isdigit()


def _who(actor: str, names: dict[int, str]) -> str:
    if _is_officer(actor):
        return names.get(int(actor.split(":", 1)[1]), actor)
    return {"reporter": "Người báo tin", "system": "Hệ thống"}.get(actor, actor)
