"""Personal data in tips: erasure (on request or after retention) and key rotation.

Erasing keeps what the statistics and the registry need (modus, place, date, amount,
status history, the scammer's identifiers) and removes what identifies or describes
the reporter: the story, the contact, the chat account, officers' notes and the
evidence files. File deletion belongs to the caller (it holds the evidence store), so
these functions return the storage keys to delete after the commit.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlmodel import Session, col, select

from storage import audit
from storage.crypto import Cipher, rotate_json
from storage.models import DialogState, Tip, TipEvent, TipEvidence, ZaloToken, utcnow


def erase_personal_data(
    session: Session, *, tip_id: int, actor: str, reason: str = "", now: dt.datetime | None = None
) -> list[str]:
    """Remove the reporter's personal data from one tip; returns evidence keys to delete.

    The caller checks the actor's right to do it (an administrator, the retention job).
    """
    now = now or utcnow()
    tip = session.exec(
        select(Tip).where(Tip.id == tip_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if tip is None or tip.personal_data_erased_at is not None:
        return []
    tip.story = None
    tip.contact_phone = None
    tip.contact_consent_at = None
    tip.reporter_user_key = None
    tip.anonymous = True
    tip.personal_data_erased_at = now
    tip.version += 1
    tip.updated_at = now
    session.add(tip)
    for event in session.exec(
        select(TipEvent).where(TipEvent.tip_id == tip_id, col(TipEvent.note).is_not(None))
    ).all():
        event.note = None
        session.add(event)
    keys: list[str] = []
    for evidence in session.exec(select(TipEvidence).where(TipEvidence.tip_id == tip_id)).all():
        if evidence.storage_key:
            keys.append(evidence.storage_key)
        evidence.storage_key = None
        evidence.filename = ""
        session.add(evidence)
    session.add(
        TipEvent(
            tip_id=tip_id,
            at=now,
            actor=actor,
            kind="erase",
            detail={"scope": "personal_data", "reason": reason[:200]},
        )
    )
    audit.record(
        session,
        actor=actor,
        action="tip.erase",
        target_type="tip",
        target_id=str(tip_id),
        detail={"reason": reason[:200], "files": len(keys)},
    )
    session.flush()
    return keys


def erase_reporter_contacts(
    session: Session, *, channel: str, user_key: str, now: dt.datetime | None = None
) -> int:
    """A reporter's request from chat: drop the contact phone from all their tips; returns how many."""
    now = now or utcnow()
    tips = session.exec(
        select(Tip).where(
            Tip.reporter_channel == channel,
            Tip.reporter_user_key == user_key,
            col(Tip.contact_phone).is_not(None),
        )
    ).all()
    for tip in tips:
        tip.contact_phone = None
        tip.contact_consent_at = None
        tip.anonymous = True
        tip.version += 1
        tip.updated_at = now
        session.add(tip)
        assert tip.id is not None
        session.add(
            TipEvent(tip_id=tip.id, at=now, actor="reporter", kind="erase", detail={"scope": "contact"})
        )
    audit.record(
        session,
        actor="reporter",
        action="reporter.erase_contacts",
        target_type="tips",
        detail={"channel": channel, "tips": len(tips)},
    )
    session.flush()
    return len(tips)


class Retention(NamedTuple):
    tips: int  # tips whose personal data was erased
    files: list[str]  # evidence keys to delete after the commit


def expire_retention(session: Session, *, now: dt.datetime, days: int, limit: int = 200) -> Retention:
    """Erase personal data of up to `limit` tips closed more than `days` ago."""
    cutoff = now - dt.timedelta(days=days)
    ids = session.exec(
        select(Tip.id)
        .where(col(Tip.closed_at) < cutoff, col(Tip.personal_data_erased_at).is_(None))
        .order_by(col(Tip.id))
        .limit(limit)
    ).all()
    keys: list[str] = []
    for tip_id in ids:
        if tip_id is not None:
            keys += erase_personal_data(session, tip_id=tip_id, actor="system", reason="retention", now=now)
    return Retention(len(ids), keys)


def rotate_encrypted(session: Session, *, cipher: Cipher) -> int:
    """Re-encrypt every stored secret (tips, notes, drafts, Zalo tokens) with the current key."""
    count = 0
    for tip in session.exec(select(Tip)).all():
        if tip.story:
            tip.story = cipher.rotate(tip.story)
            count += 1
        if tip.contact_phone:
            tip.contact_phone = cipher.rotate(tip.contact_phone)
            count += 1
        session.add(tip)
    for event in session.exec(select(TipEvent).where(col(TipEvent.note).is_not(None))).all():
        assert event.note is not None
        event.note = cipher.rotate(event.note)
        count += 1
        session.add(event)
    for token in session.exec(select(ZaloToken)).all():
        token.access_token = cipher.rotate(token.access_token)
        token.refresh_token = cipher.rotate(token.refresh_token)
        count += 2
        session.add(token)
    for state in session.exec(select(DialogState)).all():
        data, n = rotate_json(cipher, state.data)
        if n:
            state.data = data
            count += n
            session.add(state)
    session.flush()
    return count
