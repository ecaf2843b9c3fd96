"""Who hears of a new tip besides the unit's group chats: the officers whose scope holds it,
in the chats they linked, as each chose (every new tip, urgent ones only, or none).

Urgent means money already lost, or a threat going on as the resident writes (the dialog
decides that from the story and the date, see `handlers/report/draft.py`). The notice is
the group chats' own text: no story, no reporter contact, no scammer identifiers.

An administrator is warned of a unit from which a new tip would reach nobody: no group
chat of its own or above it, and no linked officer who hears of every new tip.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from content.messages import Reply
from storage import audit, outbox
from storage.models import Officer, OfficerLink, Tip, Unit, UnitChat
from storage.officers import OfficerError
from storage.tip_queries import scope_for

ALL, URGENT, OFF = "all", "urgent", "off"
CHOICES = (ALL, URGENT, OFF)
NOTICE_KIND = "tip_new"


def is_urgent(tip: Tip, *, threat_now: bool = False) -> bool:
    return bool(tip.amount_lost and tip.amount_lost > 0) or threat_now


def wants(choice: str, *, urgent: bool) -> bool:
    return choice == ALL or (choice == URGENT and urgent)


def set_choice(session: Session, *, officer_id: int, choice: str, actor: str) -> None:
    """The officer's choice of new-tip notices; audited like every account change."""
    if choice not in CHOICES:
        raise OfficerError("notice_choice_unknown")
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise OfficerError("officer_unknown")
    officer.tip_notices = choice
    session.add(officer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="officer.tip_notices",
        target_type="officer",
        target_id=str(officer_id),
        detail={"choice": choice},
    )


def _linked_officers(session: Session) -> dict[int, tuple[Officer, list[OfficerLink]]]:
    """Active unit officers (commune, province) with their linked chats; administrators see every
    tip and hear of none this way, their own unit's group chat is where they follow one."""
    rows = session.exec(
        select(Officer, OfficerLink)
        .join(OfficerLink, col(OfficerLink.officer_id) == col(Officer.id))
        .where(col(Officer.active).is_(True), col(Officer.role).in_(("commune", "province")))
        .order_by(col(OfficerLink.id))
    ).all()
    found: dict[int, tuple[Officer, list[OfficerLink]]] = {}
    for officer, link in rows:
        assert officer.id is not None
        found.setdefault(officer.id, (officer, []))[1].append(link)
    return found


def notify_officers(
    session: Session,
    tip: Tip,
    replies: list[Reply],
    *,
    urgent: bool,
    already: Collection[tuple[str, str]] = (),
) -> int:
    """Queue the new-tip notice to the linked chats of the officers whose scope holds `tip` and
    whose choice covers it; a chat in `already` (a group chat told the same) is skipped. Returns
    how many were queued."""
    queued = 0
    told = set(already)
    for officer, links in _linked_officers(session).values():
        if not wants(officer.tip_notices, urgent=urgent) or not scope_for(session, officer).allows(tip):
            continue
        for link in links:
            if (link.channel, link.user_key) in told:
                continue
            told.add((link.channel, link.user_key))
            outbox.enqueue(
                session,
                channel=link.channel,
                user_key=link.user_key,
                replies=replies,
                kind=NOTICE_KIND,
                priority=outbox.PRIORITY_NOTIFY,
                dedupe_key=f"tip:{tip.id}:new:link:{link.id}",
            )
            queued += 1
    return queued


def unheard_units(session: Session) -> list[Unit]:
    """Active units whose new tips would reach nobody: no group chat on the unit or a unit above
    it, and no linked officer hearing of every new tip there."""
    all_units = {u.id: u for u in session.exec(select(Unit).order_by(col(Unit.id))).all()}
    with_chat = set(session.exec(select(UnitChat.unit_id).distinct()).all())
    listeners = [
        officer
        for officer, _links in _linked_officers(session).values()
        if officer.tip_notices == ALL and officer.unit_id is not None
    ]
    heard_units = {o.unit_id for o in listeners if o.role == "commune"}
    heard_provinces = {
        all_units[o.unit_id].province_code
        for o in listeners
        if o.role == "province" and o.unit_id in all_units
    }
    unheard = []
    for unit in all_units.values():
        if not unit.active or unit.id in heard_units or unit.province_code in heard_provinces:
            continue
        above: Unit | None = unit
        while above is not None and above.id not in with_chat:
            above = all_units.get(above.parent_id) if above.parent_id else None
        if above is None:
            unheard.append(unit)
    return unheard
