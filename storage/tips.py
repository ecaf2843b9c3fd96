"""Tip operations, one function per state change, each inside the caller's transaction with
its history row, audit row and outbox rows: the chat (submit, status, erasure) and the
officers' console (triage) call the same functions.

This module holds submission, routing and the reporter's reads, and re-exports the rest
so callers import one module: triage (`storage.tip_triage`), reads and scopes
(`storage.tip_queries`), erasure and retention (`storage.tip_privacy`). Wording is not
decided here: callers pass small render callables that turn the changed tip into neutral
`Reply`s (see `handlers/report/notify.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from content.messages import Reply
from storage import audit, outbox, registry, tip_notices
from storage.crypto import Cipher
from storage.models import Tip, TipEntity, TipEvidence, Unit, UnitChat, utcnow
from storage.tip_codes import format_code, new_code, normalize_code
from storage.tip_errors import NotPermitted, StaleTip, TipError, TipNotFound, TransitionNotAllowed
from storage.tip_privacy import erase_personal_data, erase_reporter_contacts, expire_retention
from storage.tip_queries import (
    Scope,
    TipDetail,
    TipFilters,
    TipPage,
    get_tip_detail,
    list_tips,
    scope_for,
    stream_tips,
    visible_unit_ids,
)
from storage.tip_triage import (
    ALLOWED,
    REPORTER_NOTIFIED,
    ReporterNotify,
    add_note,
    assign,
    change_status,
    confirm_entities,
    link_duplicate,
    record_event,
)

__all__ = [
    "ALLOWED",
    "REPORTER_NOTIFIED",
    "EntityIn",
    "EvidenceIn",
    "NotPermitted",
    "OfficerNotify",
    "ReporterNotify",
    "Scope",
    "StaleTip",
    "TipDetail",
    "TipDraft",
    "TipError",
    "TipFilters",
    "TipNotFound",
    "TipPage",
    "TransitionNotAllowed",
    "add_note",
    "assign",
    "change_status",
    "confirm_entities",
    "erase_personal_data",
    "erase_reporter_contacts",
    "expire_retention",
    "format_code",
    "get_tip_detail",
    "get_tip_for_reporter",
    "get_unit",
    "link_duplicate",
    "list_tips",
    "normalize_code",
    "route_unit",
    "scope_for",
    "stream_tips",
    "submit_tip",
    "tips_of_reporter",
    "visible_unit_ids",
]

# Renders the announcement in the unit's officers' chat (see handlers/report/notify.py).
OfficerNotify = Callable[[Tip, Unit | None], list[Reply]]


@dataclass(frozen=True)
class EntityIn:
    kind: str  # phone, bank_account, url (normalised as the engine does)
    value: str
    bank: str | None = None


@dataclass(frozen=True)
class EvidenceIn:
    """A file already put into the evidence store while the draft was open."""

    kind: str
    filename: str
    mime: str
    size: int
    sha256: str
    storage_key: str


@dataclass(frozen=True)
class TipDraft:
    """Everything the report dialog collected; `story` and `contact_phone` are plain text here."""

    reporter_channel: str
    reporter_user_key: str
    consent_at: dt.datetime
    consent_version: str
    modus_id: str = "other"
    story: str = ""
    occurred_on: dt.date | None = None
    amount_lost: int | None = None
    province_code: int | None = None
    ward_code: int | None = None
    anonymous: bool = True
    contact_phone: str | None = None
    contact_consent_at: dt.datetime | None = None
    entities: Sequence[EntityIn] = field(default_factory=tuple)
    evidence: Sequence[EvidenceIn] = field(default_factory=tuple)
    # a threat going on as the resident writes (with money lost, what makes a tip urgent);
    # it decides who hears of the tip and is not stored
    threat_now: bool = False


def route_unit(session: Session, province_code: int | None, ward_code: int | None) -> Unit | None:
    """The commune's active unit; a commune without one falls to its province's unit."""
    if ward_code is not None:
        unit = session.exec(
            select(Unit).where(Unit.ward_code == ward_code, col(Unit.active).is_(True))
        ).first()
        if unit is not None:
            return unit
    if province_code is None:
        return None
    return session.exec(
        select(Unit)
        .where(Unit.kind == "province", Unit.province_code == province_code, col(Unit.active).is_(True))
        .order_by(col(Unit.id))
    ).first()


def get_unit(session: Session, unit_id: int | None) -> Unit | None:
    return session.get(Unit, unit_id) if unit_id is not None else None


def notify_chats(session: Session, unit: Unit | None) -> list[UnitChat]:
    """The unit's officers' group chats; a unit without one is announced to its parent's."""
    while unit is not None:
        chats = list(session.exec(select(UnitChat).where(UnitChat.unit_id == unit.id)).all())
        if chats:
            return chats
        unit = session.get(Unit, unit.parent_id) if unit.parent_id else None
    return []


def submit_tip(
    session: Session,
    *,
    cipher: Cipher,
    draft: TipDraft,
    notify: OfficerNotify | None = None,
    now: dt.datetime | None = None,
) -> Tip:
    """Create the tip with a fresh code and status "new", and queue its announcement: to the
    unit's group chats, and to the linked chats of the officers whose scope holds it."""
    now = now or utcnow()
    if draft.contact_phone and (draft.anonymous or draft.contact_consent_at is None):
        raise ValueError("a contact phone needs its own consent and a non-anonymous tip")
    if draft.amount_lost is not None and draft.amount_lost < 0:
        raise ValueError("amount_lost must not be negative")
    unit = route_unit(session, draft.province_code, draft.ward_code)
    tip = Tip(
        code=_unused_code(session),
        status="new",
        modus_id=draft.modus_id or "other",
        unit_id=unit.id if unit else None,
        province_code=draft.province_code,
        ward_code=draft.ward_code,
        reporter_channel=draft.reporter_channel,
        reporter_user_key=draft.reporter_user_key,
        story=cipher.encrypt(draft.story) if draft.story else None,
        occurred_on=draft.occurred_on,
        amount_lost=draft.amount_lost,
        anonymous=draft.anonymous or not draft.contact_phone,
        contact_phone=cipher.encrypt(draft.contact_phone) if draft.contact_phone else None,
        contact_consent_at=draft.contact_consent_at if draft.contact_phone else None,
        consent_at=draft.consent_at,
        consent_version=draft.consent_version,
        created_at=now,
        updated_at=now,
    )
    session.add(tip)
    session.flush()
    assert tip.id is not None
    seen: set[tuple[str, str]] = set()
    for entity in draft.entities:
        if (entity.kind, entity.value) in seen or entity.kind not in registry.KINDS:
            continue
        seen.add((entity.kind, entity.value))
        session.add(TipEntity(tip_id=tip.id, kind=entity.kind, value=entity.value, bank=entity.bank))
    for ev in draft.evidence:
        session.add(
            TipEvidence(
                tip_id=tip.id,
                kind=ev.kind,
                filename=ev.filename[:255],
                mime=ev.mime[:100],
                size=ev.size,
                sha256=ev.sha256,
                storage_key=ev.storage_key,
                created_at=now,
            )
        )
    record_event(
        session,
        tip,
        actor="reporter",
        kind="created",
        to_status="new",
        now=now,
        detail={"unit_id": tip.unit_id, "entities": len(seen), "evidence": len(draft.evidence)},
    )
    audit.record(
        session,
        actor="reporter",
        action="tip.submit",
        target_type="tip",
        target_id=str(tip.id),
        detail={"channel": draft.reporter_channel, "unit_id": tip.unit_id},
    )
    if notify is not None:
        replies = notify(tip, unit)
        chats = notify_chats(session, unit)
        for chat in chats:
            outbox.enqueue(
                session,
                channel=chat.channel,
                user_key=chat.chat_key,
                replies=replies,
                kind=tip_notices.NOTICE_KIND,
                priority=outbox.PRIORITY_NOTIFY,
                dedupe_key=f"tip:{tip.id}:new:{chat.id}",
            )
        tip_notices.notify_officers(
            session,
            tip,
            replies,
            urgent=tip_notices.is_urgent(tip, threat_now=draft.threat_now),
            already={(chat.channel, chat.chat_key) for chat in chats},
        )
    session.flush()
    return tip


def _unused_code(session: Session) -> str:
    for _ in range(20):
        code = new_code()
        if session.exec(select(Tip.id).where(Tip.code == code)).first() is None:
            return code
    raise RuntimeError("could not draw an unused tracking code")  # 5·10¹⁰ codes: not in practice


def get_tip_for_reporter(session: Session, *, code: str, channel: str, user_key: str) -> Tip | None:
    """The tip behind a typed code, only for the chat account that sent it; otherwise None.

    A code that does not exist and a code of someone else's tip give the same None, so
    the answer reveals nothing about other people's tips.
    """
    normalized = normalize_code(code)
    if normalized is None:
        return None
    tip = session.exec(select(Tip).where(Tip.code == normalized)).first()
    if tip is None or tip.reporter_channel != channel or tip.reporter_user_key != user_key:
        return None
    return tip


def tips_of_reporter(session: Session, *, channel: str, user_key: str, limit: int = 20) -> list[Tip]:
    """The reporter's own tips, newest first (for "my tips" and for erasure)."""
    return list(
        session.exec(
            select(Tip)
            .where(Tip.reporter_channel == channel, Tip.reporter_user_key == user_key)
            .order_by(col(Tip.id).desc())
            .limit(limit)
        ).all()
    )
