"""Officer accounts, lock-out, link codes and console sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from storage import audit, console_sessions, officer_links, officers, units
from storage.db import transaction
from storage.models import utcnow

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "mot-mat-khau-dai"


def _officer(engine: Engine, role: str = "admin", username: str = "qtv") -> int:
    with transaction(engine) as s:
        unit_id = None
        if role != "admin":
            unit = units.province_unit(s, 1) or units.create_province_unit(s, province_code=1, actor="t")
            unit_id = unit.id
        o = officers.create_officer(
            s,
            hasher=HASHER,
            username=username,
            full_name="A",
            password=PASSWORD,
            role=role,
            unit_id=unit_id,
            actor="t",
        )
        assert o.id is not None
        return o.id


def _try(engine: Engine, username: str, password: str, **kwargs: object) -> officers.LoginResult:
    return officers.attempt_login(engine, hasher=HASHER, username=username, password=password, **kwargs)  # type: ignore[arg-type]


def test_lock_after_failures_then_unlock_after_the_lock_ends(engine: Engine) -> None:
    officer_id = _officer(engine)
    now = utcnow()
    for _ in range(officers.MAX_FAILURES - 1):
        assert _try(engine, "qtv", "x", now=now).status == "invalid"
    result = _try(engine, "qtv", "x", now=now)
    assert result.status == "locked"
    assert result.locked_until == now + dt.timedelta(minutes=officers.LOCK_MINUTES)
    assert _try(engine, "QTV", PASSWORD, now=now).status == "locked"
    later = now + dt.timedelta(minutes=officers.LOCK_MINUTES, seconds=1)
    assert _try(engine, "qtv", PASSWORD, now=later).ok
    with transaction(engine) as s:
        actions = [e.action for e in audit.entries(s, target_type="officer", target_id=str(officer_id))]
    assert actions.count("console.login_failed") == officers.MAX_FAILURES
    assert actions[0] == "console.login"


def test_a_lock_holds_for_the_address_that_caused_it_only(engine: Engine) -> None:
    officer_id = _officer(engine)
    now = utcnow()
    stranger, office = "203.0.113.9", "198.51.100.20"
    for _ in range(officers.MAX_FAILURES):
        _try(engine, "qtv", "doan-mo", ip=stranger, now=now)
    assert _try(engine, "qtv", PASSWORD, ip=stranger, now=now).status == "locked"
    assert _try(engine, "qtv", PASSWORD, ip=office, now=now).ok  # the officer works on
    # Failures from the office do not add to the stranger's; an admin's unlock clears them all.
    with transaction(engine) as s:
        officers.unlock(s, officer_id=officer_id, actor="t")
    assert _try(engine, "qtv", PASSWORD, ip=stranger, now=now).ok


def test_an_unknown_name_or_one_with_a_nul_byte_is_invalid_not_an_error(engine: Engine) -> None:
    _officer(engine)
    assert _try(engine, "ai-do", "x").status == "invalid"
    assert _try(engine, "qtv\x00", PASSWORD).status == "invalid"
    assert _try(engine, "\x00" * 50, "x", ip="203.0.113.1").status == "invalid"


def test_inactive_officer_cannot_log_in(engine: Engine) -> None:
    officer_id = _officer(engine)
    other = _officer(engine, username="qtv2")
    with transaction(engine) as s:
        with pytest.raises(officers.OfficerError, match="self_deactivate"):
            officers.set_active(s, officer_id=officer_id, active=False, actor=f"officer:{officer_id}")
        officers.set_active(s, officer_id=officer_id, active=False, actor=f"officer:{other}")
    assert _try(engine, "qtv", PASSWORD).status == "inactive"


def test_roles_need_units_of_their_kind(engine: Engine) -> None:
    with transaction(engine) as s:
        province = units.create_province_unit(s, province_code=1, actor="t")
        with pytest.raises(officers.OfficerError, match="unit_mismatch"):
            officers.create_officer(
                s,
                hasher=HASHER,
                username="xa1",
                full_name="X",
                password=PASSWORD,
                role="commune",
                unit_id=province.id,
                actor="t",
            )
        with pytest.raises(officers.OfficerError, match="admin_no_unit"):
            officers.create_officer(
                s,
                hasher=HASHER,
                username="xa2",
                full_name="X",
                password=PASSWORD,
                role="admin",
                unit_id=province.id,
                actor="t",
            )
        with pytest.raises(officers.OfficerError, match="password_short"):
            officers.create_officer(
                s, hasher=HASHER, username="xa3", full_name="X", password="ngan", role="admin", actor="t"
            )
        with pytest.raises(officers.OfficerError, match="username_invalid"):
            officers.create_officer(
                s,
                hasher=HASHER,
                username="tên có dấu",
                full_name="X",
                password=PASSWORD,
                role="admin",
                actor="t",
            )


def test_link_codes_are_hashed_one_time_and_expire(engine: Engine) -> None:
    officer_id = _officer(engine)
    now = utcnow()
    with transaction(engine) as s:
        code, expires = officer_links.issue_link_code(s, officer_id=officer_id, actor="t", now=now)
        from sqlmodel import select

        from storage.models import LinkCode

        stored = s.exec(select(LinkCode)).one()
        assert code not in stored.code_hash and len(stored.code_hash) == 64
    late = expires + dt.timedelta(seconds=1)
    with transaction(engine) as s:
        assert (
            officer_links.redeem_link_code(s, text=code, channel="telegram", user_key="1", now=late).status
            == "invalid"
        )
    with transaction(engine) as s:
        # A new code replaces the old one; the new one works once.
        old = code
        code, _ = officer_links.issue_link_code(s, officer_id=officer_id, actor="t", now=now)
        assert (
            officer_links.redeem_link_code(s, text=old, channel="telegram", user_key="1", now=now).status
            == "invalid"
        )
        assert (
            officer_links.redeem_link_code(s, text=code, channel="telegram", user_key="1", now=now).status
            == "linked"
        )
        assert (
            officer_links.redeem_link_code(s, text=code, channel="zalo", user_key="2", now=now).status
            == "invalid"
        )
        assert [link.user_key for link in officer_links.links_of(s, officer_id)] == ["1"]


def test_a_chat_account_moves_to_the_officer_whose_code_it_typed(engine: Engine) -> None:
    first, second = _officer(engine), _officer(engine, username="qtv2")
    with transaction(engine) as s:
        c1, _ = officer_links.issue_link_code(s, officer_id=first, actor="t")
        officer_links.redeem_link_code(s, text=c1, channel="telegram", user_key="9")
        c2, _ = officer_links.issue_link_code(s, officer_id=second, actor="t")
        officer_links.redeem_link_code(s, text=c2, channel="telegram", user_key="9")
        linked = officer_links.officer_for_chat(s, channel="telegram", user_key="9")
        assert linked is not None and linked.id == second
        assert officer_links.links_of(s, first) == []


def test_sessions_expire_idle_and_end_with_a_password_change(engine: Engine) -> None:
    officer_id = _officer(engine)
    now = utcnow()
    idle = dt.timedelta(minutes=30)
    with transaction(engine) as s:
        token, _ = console_sessions.open_session(
            s, officer_id=officer_id, lifetime=dt.timedelta(hours=8), now=now
        )
        idle_token, _ = console_sessions.open_session(
            s, officer_id=officer_id, lifetime=dt.timedelta(hours=8), now=now
        )
    with transaction(engine) as s:
        assert console_sessions.resolve_session(s, token=token, idle=idle, now=now + dt.timedelta(minutes=20))
        assert console_sessions.resolve_session(s, token="nope", idle=idle, now=now) is None
    with transaction(engine) as s:
        # Touched 20 minutes in, so still alive at 45; the other one was idle for 45 minutes.
        assert console_sessions.resolve_session(s, token=token, idle=idle, now=now + dt.timedelta(minutes=45))
        assert (
            console_sessions.resolve_session(
                s, token=idle_token, idle=idle, now=now + dt.timedelta(minutes=45)
            )
            is None
        )
    with transaction(engine) as s:
        officers.set_password(s, hasher=HASHER, officer_id=officer_id, password="mat-khau-moi-dai", actor="t")
    with transaction(engine) as s:
        assert (
            console_sessions.resolve_session(s, token=token, idle=idle, now=now + dt.timedelta(minutes=46))
            is None
        )


def test_an_account_switched_off_outside_the_console_has_no_session(engine: Engine) -> None:
    """A database administrator may set `active` by hand; the session check does not rely on the
    console having ended the sessions."""
    officer_id = _officer(engine)
    with transaction(engine) as s:
        token, _ = console_sessions.open_session(s, officer_id=officer_id, lifetime=dt.timedelta(hours=8))
    with transaction(engine) as s:
        officer = officers.get_officer(s, officer_id)
        assert officer is not None
        officer.active = False
        s.add(officer)
    with transaction(engine) as s:
        assert console_sessions.resolve_session(s, token=token, idle=dt.timedelta(minutes=30)) is None


def test_units_follow_the_official_list(engine: Engine) -> None:
    with transaction(engine) as s:
        with pytest.raises(units.UnitError, match="province_unit_missing"):
            units.create_commune_unit(s, ward_code=units.places.wards_of(1)[0].ward_code or 0, actor="t")
        hanoi = units.create_province_unit(s, province_code=1, actor="t")
        assert hanoi.name == "Công an Thành phố Hà Nội"
        with pytest.raises(units.UnitError, match="unit_exists"):
            units.create_province_unit(s, province_code=1, actor="t")
        with pytest.raises(units.UnitError, match="province_unknown"):
            units.create_province_unit(s, province_code=999, actor="t")
        ward = units.places.wards_of(1)[0]
        commune = units.create_commune_unit(s, ward_code=ward.ward_code or 0, actor="t")
        assert commune.parent_id == hanoi.id and commune.name.startswith("Công an ")
        assert hanoi.id is not None
        made = units.create_all_commune_units(s, province_unit_id=hanoi.id, actor="t")
        assert made == len(units.places.wards_of(1)) - 1
        assert units.create_all_commune_units(s, province_unit_id=hanoi.id, actor="t") == 0
        chat = units.add_unit_chat(s, unit_id=hanoi.id, channel="telegram", chat_key=" -100123 ", actor="t")
        assert chat.chat_key == "-100123"
        with pytest.raises(units.UnitError, match="chat_exists"):
            units.add_unit_chat(s, unit_id=hanoi.id, channel="telegram", chat_key="-100123", actor="t")
        assert units.remove_unit_chat(s, chat_id=chat.id or 0, actor="t")


def test_an_address_that_sprays_passwords_is_refused_until_its_window_passes(engine: Engine) -> None:
    from sqlmodel import select

    from storage.models import LoginFailure

    _officer(engine)
    start = utcnow()
    spray = "203.0.113.7"
    for n in range(officers.MAX_FAILURES_PER_IP):  # a few tries each on many accounts, no lock-out
        assert _try(engine, f"user{n % 7}", "x", ip=spray, now=start).status == "invalid"
    last = start + dt.timedelta(minutes=1)
    refused = _try(engine, "qtv", PASSWORD, ip=spray, now=last)
    elsewhere = _try(engine, "qtv", PASSWORD, ip="198.51.100.2", now=last)
    assert refused.status == "throttled" and refused.officer is None
    assert refused.locked_until == start + dt.timedelta(minutes=officers.IP_WINDOW_MINUTES)
    assert elsewhere.ok  # another office is not punished, and the account was never locked
    with transaction(engine) as s:
        assert len(audit.entries(s, action="console.login_throttled")) == 1
    after = start + dt.timedelta(minutes=officers.IP_WINDOW_MINUTES, seconds=1)
    assert _try(engine, "qtv", PASSWORD, ip=spray, now=after).ok
    with transaction(engine) as s:
        assert officers.purge_login_failures(s, now=after) == officers.MAX_FAILURES_PER_IP
        assert s.exec(select(LoginFailure)).all() == []
