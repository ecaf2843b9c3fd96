"""Officer accounts: creation, password checks with lock-out, and linking a chat account.

Passwords are argon2id hashes (`argon2-cffi`); the hasher is passed in so the composition
root chooses its cost. Every failed login is audited; `MAX_FAILURES` in a row lock the
account for `LOCK_MINUTES`, and a correct password does not open a locked account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from storage import audit
from storage.console_sessions import close_sessions_of
from storage.models import AuditEntry, LinkCode, Officer, OfficerLink, Unit, utcnow
from storage.models.base import as_utc
from storage.models.units import ROLES

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
LINK_CODE_MINUTES = 15
LINK_FAILURES_PER_HOUR = 10
# Link codes are typed on a phone: no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V).
LINK_ALPHABET = "ACDEFGHJKMNPRTWXY34679"
LINK_CODE_LENGTH = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_NOT_CODE = re.compile(r"[^A-Z0-9]")
# Verified against when the username is unknown, so the answer takes as long either way.
_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


class OfficerError(ValueError):
    """A request the caller should show to the admin; `code` picks the wording."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class LoginResult:
    """`status`: ok, invalid (unknown user or wrong password), locked, inactive."""

    status: str
    officer: Officer | None = None
    locked_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise OfficerError("password_short")
    if len(password) > 256:
        raise OfficerError("password_long")


def _check_role_unit(session: Session, role: str, unit_id: int | None) -> None:
    """Admins have no unit; province and commune officers belong to a unit of their kind."""
    if role not in ROLES:
        raise OfficerError("role_unknown")
    if role == "admin":
        if unit_id is not None:
            raise OfficerError("admin_no_unit")
        return
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None or unit.kind != role:
        raise OfficerError("unit_mismatch")


def create_officer(
    session: Session,
    *,
    hasher: PasswordHasher,
    username: str,
    full_name: str,
    password: str,
    role: str,
    unit_id: int | None = None,
    actor: str,
) -> Officer:
    """A new console account; the username is case-insensitive and unique."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise OfficerError("username_invalid")
    if not full_name.strip():
        raise OfficerError("full_name_missing")
    check_password_rules(password)
    _check_role_unit(session, role, unit_id)
    if get_by_username(session, name) is not None:
        raise OfficerError("username_taken")
    officer = Officer(
        username=name,
        full_name=full_name.strip()[:200],
        password_hash=hasher.hash(password),
        role=role,
        unit_id=unit_id,
    )
    session.add(officer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="officer.create",
        target_type="officer",
        target_id=str(officer.id),
        detail={"username": name, "role": role, "unit_id": unit_id},
    )
    return officer


def get_officer(session: Session, officer_id: int) -> Officer | None:
    return session.get(Officer, officer_id)


def get_by_username(session: Session, username: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.username == normalize_username(username))).first()


def list_officers(session: Session, *, unit_ids: Sequence[int] | None = None) -> list[Officer]:
    query = select(Officer).order_by(col(Officer.role), col(Officer.username))
    if unit_ids is not None:
        query = query.where(col(Officer.unit_id).in_(list(unit_ids)))
    return list(session.exec(query).all())


def officer_names(session: Session, officer_ids: Sequence[int]) -> dict[int, str]:
    """Full names by id, for showing "who" in histories and the audit log."""
    if not officer_ids:
        return {}
    rows = session.exec(
        select(Officer.id, Officer.full_name).where(col(Officer.id).in_(list(set(officer_ids))))
    ).all()
    return {int(oid): name for oid, name in rows if oid is not None}


def verify_login(
    session: Session,
    *,
    hasher: PasswordHasher,
    username: str,
    password: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a password; count and audit failures, lock after `MAX_FAILURES` in a row."""
    now = now or utcnow()
    name = normalize_username(username)[:64]
    officer = session.exec(select(Officer).where(Officer.username == name).with_for_update()).first()
    if officer is None:
        _verify(hasher, _dummy_hash(hasher), password)
        audit.record(
            session, actor="anonymous", action="console.login_failed", detail={"username": name, "ip": ip}
        )
        return LoginResult("invalid")
    target = {"target_type": "officer", "target_id": str(officer.id)}
    locked_until = as_utc(officer.locked_until)
    if locked_until is not None and locked_until > now:
        audit.record(
            session, actor=_actor(officer), action="console.login_locked", detail={"ip": ip}, **target
        )
        return LoginResult("locked", officer, locked_until)
    if not _verify(hasher, officer.password_hash, password):
        officer.failed_logins += 1
        detail: dict[str, object] = {"ip": ip, "failures": officer.failed_logins}
        result = LoginResult("invalid", officer)
        if officer.failed_logins >= MAX_FAILURES:
            officer.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            officer.failed_logins = 0
            detail["locked_until"] = officer.locked_until.isoformat()
            result = LoginResult("locked", officer, officer.locked_until)
        session.add(officer)
        audit.record(session, actor=_actor(officer), action="console.login_failed", detail=detail, **target)
        return result
    if not officer.active:
        audit.record(
            session, actor=_actor(officer), action="console.login_inactive", detail={"ip": ip}, **target
        )
        return LoginResult("inactive", officer)
    if hasher.check_needs_rehash(officer.password_hash):
        officer.password_hash = hasher.hash(password)
    officer.failed_logins = 0
    officer.locked_until = None
    officer.last_login_at = now
    session.add(officer)
    audit.record(session, actor=_actor(officer), action="console.login", detail={"ip": ip}, **target)
    return LoginResult("ok", officer)


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASHES[key]


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(
    session: Session, *, hasher: PasswordHasher, officer_id: int, password: str, actor: str
) -> Officer:
    """A new password (by an admin, or the officer); every open session of the account ends."""
    officer = _require(session, officer_id)
    check_password_rules(password)
    officer.password_hash = hasher.hash(password)
    officer.failed_logins = 0
    officer.locked_until = None
    session.add(officer)
    close_sessions_of(session, officer_id)
    audit.record(
        session, actor=actor, action="officer.password", target_type="officer", target_id=str(officer_id)
    )
    return officer


def check_own_password(session: Session, *, hasher: PasswordHasher, officer_id: int, password: str) -> bool:
    return _verify(hasher, _require(session, officer_id).password_hash, password)


def set_active(session: Session, *, officer_id: int, active: bool, actor: str) -> Officer:
    """Deactivating ends the officer's sessions at once; accounts are never deleted (the audit names them)."""
    officer = _require(session, officer_id)
    if not active and actor == _actor(officer):
        raise OfficerError("self_deactivate")
    officer.active = active
    session.add(officer)
    if not active:
        close_sessions_of(session, officer_id)
    audit.record(
        session,
        actor=actor,
        action="officer.activate" if active else "officer.deactivate",
        target_type="officer",
        target_id=str(officer_id),
    )
    return officer


def unlock(session: Session, *, officer_id: int, actor: str) -> Officer:
    officer = _require(session, officer_id)
    officer.locked_until = None
    officer.failed_logins = 0
    session.add(officer)
    audit.record(
        session, actor=actor, action="officer.unlock", target_type="officer", target_id=str(officer_id)
    )
    return officer


def _require(session: Session, officer_id: int) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise OfficerError("officer_unknown")
    return officer


def _actor(officer: Officer) -> str:
    return f"officer:{officer.id}"


# --- Linking an officer's Telegram or Zalo account -------------------------------------------


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
    _require(session, officer_id)
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
        actor=_actor(officer),
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
