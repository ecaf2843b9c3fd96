"""Officer accounts: creation, password checks with lock-out, activation (links: `officer_links`).

Passwords are argon2id hashes (`argon2-cffi`); the hasher is passed in so the composition
root chooses its cost. Every failed login is audited; `MAX_FAILURES` from one address within
`LOCK_MINUTES` lock the account for that address (a stranger elsewhere cannot lock an
officer out), and a correct password does not open it there. An address with
`MAX_FAILURES_PER_IP` attempts within `IP_WINDOW_MINUTES`, whatever the accounts tried
(password spraying), is refused until the oldest leaves the window, before any password is
checked. Every refusal but that one reads the same and costs one hash (no account probing).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage import audit
from storage.console_sessions import close_sessions_of
from storage.db import transaction
from storage.models import LoginFailure, Officer, Unit, utcnow
from storage.models.base import as_utc
from storage.models.units import ROLES

MAX_FAILURES = 5
LOCK_MINUTES = 15
# Generous: a commune office behind one address may mistype a few times, a script will not stop.
MAX_FAILURES_PER_IP = 20
IP_WINDOW_MINUTES = 15
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Verified against when the username is unknown, so the answer takes as long either way.
_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


class OfficerError(ValueError):
    """A request the caller should show to the admin; `code` picks the wording."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class LoginResult:
    """`status`: ok, invalid (unknown user or wrong password), locked (for this address),
    inactive, throttled (too many attempts from this address; `locked_until` says until when),
    busy (every password-check slot taken). The console shows the first four alike."""

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
    if role == "contributor":  # bound to an organisation or a commune office instead (storage.campaign)
        if unit_id is not None:
            raise OfficerError("unit_mismatch")
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


class LoginGate(Protocol):
    """A bound on password checks running at once: entered, it says whether a slot was free."""

    def __call__(self) -> AbstractContextManager[bool]: ...


def attempt_login(
    engine: Engine,
    *,
    hasher: PasswordHasher,
    username: str,
    password: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
    gate: LoginGate | None = None,
) -> LoginResult:
    """One login attempt, counted against its address before any password is checked.

    The attempt is committed first and the address's attempts counted after, so of any number
    of concurrent attempts at most `MAX_FAILURES_PER_IP` pass (each sees every earlier commit).
    A wrong password, an unknown name, an account locked for this address and a deactivated
    account all check exactly one hash and come back to the caller alike apart from `status`
    (which the console does not show). `gate` bounds the hashes computed at once ("busy").
    """
    now = now or utcnow()
    address = (ip or "unknown")[:64]
    name = normalize_username(username)[:64]
    with transaction(engine) as session:
        attempt = LoginFailure(ip=address, at=now)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    assert attempt_id is not None
    with transaction(engine) as session:
        until = _throttled_until(session, address, attempt_id, now)
        if until is not None:
            session.execute(delete(LoginFailure).where(col(LoginFailure.id) == attempt_id))
            audit.record(
                session,
                actor="anonymous",
                action="console.login_throttled",
                detail={"username": _loggable(name), "ip": address},
            )
            return LoginResult("throttled", locked_until=until)
    with gate() if gate is not None else nullcontext(True) as admitted:
        if not admitted:
            with transaction(engine) as session:
                session.execute(delete(LoginFailure).where(col(LoginFailure.id) == attempt_id))
            return LoginResult("busy")
        with transaction(engine) as session:
            return _check_password(session, hasher, name, password, address, attempt_id, now)


def _check_password(
    session: Session,
    hasher: PasswordHasher,
    name: str,
    password: str,
    ip: str,
    attempt_id: int,
    now: dt.datetime,
) -> LoginResult:
    # A name no account can have (a NUL byte, spaces, 200 characters) is not looked up at all.
    officer = (
        session.exec(select(Officer).where(Officer.username == name).with_for_update()).first()
        if _USERNAME.match(name)
        else None
    )
    valid = _verify(hasher, officer.password_hash if officer else _dummy_hash(hasher), password)
    # Counted for every name, so an unknown one costs the same queries as a real one.
    locked_until = _locked_until(session, officer.id if officer else None, ip, now)
    if officer is None:
        audit.record(
            session,
            actor="anonymous",
            action="console.login_failed",
            detail={"username": _loggable(name), "ip": ip},
        )
        return LoginResult("invalid")
    target = {"target_type": "officer", "target_id": str(officer.id)}
    if valid and officer.active and locked_until is None:
        session.execute(
            delete(LoginFailure).where(
                or_(
                    col(LoginFailure.id) == attempt_id,
                    and_(col(LoginFailure.officer_id) == officer.id, col(LoginFailure.ip) == ip),
                )
            )
        )
        if hasher.check_needs_rehash(officer.password_hash):
            officer.password_hash = hasher.hash(password)
        officer.failed_logins = 0
        officer.last_login_at = now
        session.add(officer)
        audit.record(session, actor=_actor(officer), action="console.login", detail={"ip": ip}, **target)
        return LoginResult("ok", officer)
    # Every other outcome stays counted against this account from this address.
    session.execute(
        update(LoginFailure).where(col(LoginFailure.id) == attempt_id).values(officer_id=officer.id)
    )
    if locked_until is not None:
        audit.record(
            session, actor=_actor(officer), action="console.login_locked", detail={"ip": ip}, **target
        )
        return LoginResult("locked", officer, locked_until)
    if not valid:
        officer.failed_logins += 1
        detail: dict[str, object] = {"ip": ip, "failures": officer.failed_logins}
        result = LoginResult("invalid", officer)
        now_locked = _locked_until(session, officer.id, ip, now)
        if now_locked is not None:
            # Shown to administrators; it holds only for this address (see `_locked_until`).
            officer.locked_until = now_locked
            officer.failed_logins = 0
            detail["locked_until"] = now_locked.isoformat()
            result = LoginResult("locked", officer, now_locked)
        session.add(officer)
        audit.record(session, actor=_actor(officer), action="console.login_failed", detail=detail, **target)
        return result
    audit.record(session, actor=_actor(officer), action="console.login_inactive", detail={"ip": ip}, **target)
    return LoginResult("inactive", officer)


def _loggable(name: str) -> str:
    return name.replace("\x00", "")


def _throttled_until(session: Session, ip: str, attempt_id: int, now: dt.datetime) -> dt.datetime | None:
    """When this address may try again, or None when attempt `attempt_id` may go on."""
    since = now - dt.timedelta(minutes=IP_WINDOW_MINUTES)
    times = session.exec(
        select(LoginFailure.at)
        .where(LoginFailure.ip == ip, col(LoginFailure.at) > since, col(LoginFailure.id) != attempt_id)
        .order_by(col(LoginFailure.at).desc())
        .limit(MAX_FAILURES_PER_IP)
    ).all()
    if len(times) < MAX_FAILURES_PER_IP:
        return None
    oldest = as_utc(times[-1])
    assert oldest is not None
    return oldest + dt.timedelta(minutes=IP_WINDOW_MINUTES)


def _locked_until(session: Session, officer_id: int | None, ip: str, now: dt.datetime) -> dt.datetime | None:
    """An account is locked for one address after `MAX_FAILURES` failures from it within
    `LOCK_MINUTES`, until the oldest leaves that window; other addresses are not locked out."""
    since = now - dt.timedelta(minutes=LOCK_MINUTES)
    times = session.exec(
        select(LoginFailure.at)
        .where(
            LoginFailure.officer_id == (officer_id or 0),
            LoginFailure.ip == ip,
            col(LoginFailure.at) > since,
        )
        .order_by(col(LoginFailure.at).desc())
        .limit(MAX_FAILURES)
    ).all()
    if len(times) < MAX_FAILURES:
        return None
    oldest = as_utc(times[-1])
    assert oldest is not None
    return oldest + dt.timedelta(minutes=LOCK_MINUTES)


def purge_login_failures(session: Session, *, now: dt.datetime | None = None) -> int:
    """Drop the attempts that left every window (addresses are personal data); returns how many."""
    since = (now or utcnow()) - dt.timedelta(minutes=max(IP_WINDOW_MINUTES, LOCK_MINUTES))
    result = session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= since))
    return int(getattr(result, "rowcount", 0) or 0)


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
    session.execute(delete(LoginFailure).where(col(LoginFailure.officer_id) == officer_id))
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
    session.execute(delete(LoginFailure).where(col(LoginFailure.officer_id) == officer_id))
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
