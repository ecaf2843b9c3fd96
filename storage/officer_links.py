"""Linking an officer's own Telegram or Zalo account with a one-time code, for notifications in chat.

The console shows the code once; only its SHA-256 is stored. It works once, for
`LINK_CODE_MINUTES`, and a chat account that types `LINK_FAILURES_PER_HOUR` wrong codes
is refused for an hour (each failure is audited, and the audit log is what is counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from content.messages import Reply
from storage import audit, outbox
from storage.models import AuditEntry, LinkCode, Officer, OfficerLink, utcnow
from storage.models.base import as_utc
from storage.officers import OfficerError

LINK_CODE_MINUTES = 15
LINK_FAILURES_PER_HOUR = 10
# Link codes are typed on a phone: no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V).
LINK_ALPHABET = "ACDEFGHJKMNPRTWXY34679"
LINK_CODE_LENGTH = 8
_NOT_CODE = re.compile(r"[^A-Z0-9]")


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def normalize_link_code(text: str) -> str | None:
    """What was typed (any case, spaces, dashes) → the code, or None if it cannot be one."""
    cleaned = _NOT_CODE.sub("", text.upper())
    if len(cleaned) != LINK_CODE_LENGTH or any(ch not in LINK_ALPHABET for ch in cleaned):
        return None
    return cleaned


def issue_link_code(
    session: Session, *, officer_id: int, actor: str, now: dt.datetime | None = None
) -> tuple[str, dt.datetime]:
    """A fresh one-time code (only its hash is stored); earlier unused codes of the officer stop working."""
    now = now or utcnow()
    if session.get(Officer, officer_id) is None:
        raise OfficerError("officer_unknown")
    for old in session.exec(
        select(LinkCode).where(LinkCode.officer_id == officer_id, col(LinkCode.used_at).is_(None))
    ).all():
        old.used_at = now
        session.add(old)
    code = "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_CODE_LENGTH))
    expires = now + dt.timedelta(minutes=LINK_CODE_MINUTES)
    session.add(LinkCode(code_hash=_code_hash(code), officer_id=officer_id, expires_at=expires))
    session.flush()
    audit.record(
        session, actor=actor, action="officer.link_code", target_type="officer", target_id=str(officer_id)
    )
    return code, expires


@dataclass(frozen=True)
class LinkResult:
    """`status`: linked, invalid (unknown, used or expired code), throttled."""

    status: str
    officer: Officer | None = None


def redeem_link_code(
    session: Session, *, text: str, channel: str, user_key: str, now: dt.datetime | None = None
) -> LinkResult:
    """Link this chat account to the code's officer; a chat account belongs to one officer at a time."""
    now = now or utcnow()
    chat = f"{channel}:{user_key}"
    since = now - dt.timedelta(hours=1)
    failures = session.exec(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == "officer.link_failed",
            AuditEntry.target_id == chat,
            col(AuditEntry.at) >= since,
        )
    ).one()
    if failures >= LINK_FAILURES_PER_HOUR:
        return LinkResult("throttled")
    code = normalize_link_code(text)
    row = None
    if code is not None:
        row = session.exec(
            select(LinkCode).where(LinkCode.code_hash == _code_hash(code)).with_for_update()
        ).first()
    expires = as_utc(row.expires_at) if row is not None else None
    if row is None or row.used_at is not None or expires is None or expires <= now:
        audit.record(session, actor="chat", action="officer.link_failed", target_type="chat", target_id=chat)
        return LinkResult("invalid")
    officer = session.get(Officer, row.officer_id)
    if officer is None or not officer.active:
        audit.record(session, actor="chat", action="officer.link_failed", target_type="chat", target_id=chat)
        return LinkResult("invalid")
    row.used_at = now
    session.add(row)
    link = session.exec(
        select(OfficerLink).where(OfficerLink.channel == channel, OfficerLink.user_key == user_key)
    ).first()
    if link is None:
        link = OfficerLink(officer_id=row.officer_id, channel=channel, user_key=user_key, created_at=now)
    link.officer_id = row.officer_id
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=f"officer:{officer.id}",
        action="officer.link",
        target_type="officer",
        target_id=str(officer.id),
        detail={"channel": channel},
    )
    return LinkResult("linked", officer)


def links_of(session: Session, officer_id: int) -> list[OfficerLink]:
    return list(
        session.exec(
            select(OfficerLink).where(OfficerLink.officer_id == officer_id).order_by(col(OfficerLink.id))
        ).all()
    )


def remove_link(session: Session, *, link_id: int, officer_id: int, actor: str) -> bool:
    """Unlink one chat account of `officer_id` (the id guards against removing someone else's)."""
    link = session.get(OfficerLink, link_id)
    if link is None or link.officer_id != officer_id:
        return False
    session.delete(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="officer.unlink",
        target_type="officer",
        target_id=str(officer_id),
        detail={"channel": link.channel},
    )
    return True


def officer_for_chat(session: Session, *, channel: str, user_key: str) -> Officer | None:
    """The active officer a chat account is linked to (for officer commands and notifications)."""
    link = session.exec(
        select(OfficerLink).where(OfficerLink.channel == channel, OfficerLink.user_key == user_key)
    ).first()
    if link is None:
        return None
    officer = session.get(Officer, link.officer_id)
    return officer if officer is not None and officer.active else None


def notify_officer(
    session: Session, *, officer_id: int, replies: list[Reply], kind: str, dedupe_key: str
) -> int:
    """Queue a message to every chat account the officer linked; returns how many were queued."""
    queued = 0
    for link in links_of(session, officer_id):
        outbox.enqueue(
            session,
            channel=link.channel,
            user_key=link.user_key,
            replies=replies,
            kind=kind,
            priority=outbox.PRIORITY_NOTIFY,
            dedupe_key=f"{dedupe_key}:{link.id}"[:200],
        )
        queued += 1
    return queued
