"""Admin pages: units from the official list, group chats, accounts, linking a chat account, the audit log."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Services
from content import places
from storage import audit, officer_links, officers
from storage.db import transaction
from storage.models import Officer, OfficerLink, Unit, UnitChat
from tests.bot.console.conftest import World, csrf_of, login
from tests.harness import Conversation


def test_admin_builds_units_from_the_official_list(app_client: TestClient, console: Services) -> None:
    with Session(console.engine) as s:
        from storage.officers import create_officer
        from tests.bot.console.conftest import FAST_HASHER, PASSWORD

        create_officer(
            s,
            hasher=FAST_HASHER,
            username="admin",
            full_name="Quản trị",
            password=PASSWORD,
            role="admin",
            actor="test",
        )
        s.commit()
    login(app_client, "admin")
    page = app_client.get("/console/admin/units")
    assert page.status_code == 200
    assert "Thành phố Huế" in page.text  # a province of the official list to choose
    created = app_client.post(
        "/console/admin/units", data={"province_code": "46", "csrf_token": csrf_of(page.text)}
    )
    unit_page = app_client.get(created.headers["location"])
    assert "Công an Thành phố Huế" in unit_page.text
    token = csrf_of(unit_page.text)
    unit_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    ward = sorted(places.wards_of(46), key=lambda p: p.ward_code or 0)[0]
    app_client.post(
        f"/console/admin/units/{unit_id}/communes",
        data={"ward_code": str(ward.ward_code), "csrf_token": token},
    )
    app_client.post(f"/console/admin/units/{unit_id}/communes", data={"everything": "1", "csrf_token": token})
    app_client.post(
        f"/console/admin/units/{unit_id}/chats",
        data={"channel": "telegram", "chat_key": "-1001234567890", "csrf_token": token},
    )
    bad = app_client.post(
        f"/console/admin/units/{unit_id}/chats", data={"channel": "fax", "chat_key": "1", "csrf_token": token}
    )
    assert bad.headers["location"].endswith("err=channel_unknown")
    with Session(console.engine) as s:
        communes = s.exec(select(Unit).where(Unit.parent_id == unit_id)).all()
        chats = s.exec(select(UnitChat)).all()
        assert len(communes) == len(places.wards_of(46))
        assert all(c.name.startswith("Công an ") for c in communes)
        assert [(c.channel, c.chat_key) for c in chats] == [("telegram", "-1001234567890")]
        assert {e.action for e in audit.entries(s, action="unit.")} >= {
            "unit.create",
            "unit.create_all",
            "unit.chat_add",
        }
    listing = app_client.get("/console/admin/units")
    assert "Công an Thành phố Huế" in listing.text


def test_admin_creates_officer_accounts_with_matching_units(
    app_client: TestClient, console: Services, world: World
) -> None:
    login(app_client, "quantri")
    token = csrf_of(app_client.get("/console/admin/officers").text)
    wrong_unit = app_client.post(
        "/console/admin/officers",
        data={
            "username": "xa3",
            "full_name": "Nguyễn Văn Ba",
            "role": "commune",
            "unit_id": str(world.province_unit),
            "password": "mot-mat-khau-dai",
            "csrf_token": token,
        },
    )
    assert wrong_unit.headers["location"].endswith("err=unit_mismatch")
    assert "cấp xã thuộc đơn vị cấp xã" in app_client.get(wrong_unit.headers["location"]).text
    made = app_client.post(
        "/console/admin/officers",
        data={
            "username": "Xa3",
            "full_name": "Nguyễn Văn Ba",
            "role": "commune",
            "unit_id": str(world.commune_unit),
            "password": "mot-mat-khau-dai",
            "csrf_token": token,
        },
    )
    assert made.status_code == 303 and "ok=officer_created" in made.headers["location"]
    taken = app_client.post(
        "/console/admin/officers",
        data={
            "username": "xa3",
            "full_name": "Khác",
            "role": "commune",
            "unit_id": str(world.commune_unit),
            "password": "mot-mat-khau-dai",
            "csrf_token": token,
        },
    )
    assert taken.headers["location"].endswith("err=username_taken")
    with Session(console.engine) as s:
        officer = officers.get_by_username(s, "xa3")
        assert officer is not None and officer.password_hash.startswith("$argon2id$")
        assert "mot-mat-khau-dai" not in officer.password_hash
    listing = app_client.get("/console/admin/officers")
    assert "Nguyễn Văn Ba" in listing.text


def test_an_officer_links_their_telegram_with_a_one_time_code(
    app_client: TestClient, console: Services, world: World
) -> None:
    login(app_client, "xa1")
    page = app_client.post(
        "/console/me/link-code", data={"csrf_token": csrf_of(app_client.get("/console/me").text)}
    )
    code = re.search(r"/lienket ([A-Z0-9]{8})", page.text)
    assert code, page.text
    chat = Conversation(console.conversations, channel="telegram", user_key="777")
    chat.say(f"/lienket {code.group(1).lower()[:4]}-{code.group(1).lower()[4:]}")
    assert "Đã liên kết" in chat.text and "Cán bộ xa1" in chat.text
    # One time only: the same code again, from another account, links nothing.
    other = Conversation(console.conversations, channel="zalo", user_key="888")
    other.say(f"/lienket {code.group(1)}")
    assert "không đúng hoặc đã hết hạn" in other.text
    with Session(console.engine) as s:
        links = s.exec(select(OfficerLink)).all()
        assert [(link.officer_id, link.channel, link.user_key) for link in links] == [
            (world.commune_officer, "telegram", "777")
        ]
        assert officer_links.officer_for_chat(s, channel="telegram", user_key="777") is not None
    me = app_client.get("/console/me")
    assert "777" in me.text
    link_id = links[0].id
    app_client.post(f"/console/me/links/{link_id}/remove", data={"csrf_token": csrf_of(me.text)})
    with Session(console.engine) as s:
        assert s.exec(select(OfficerLink)).all() == []


def test_lienket_without_a_code_explains_itself(console: Services) -> None:
    chat = Conversation(console.conversations, channel="telegram", user_key="1")
    chat.say("/lienket")
    assert "/lienket" in chat.text and "8 ký tự" in chat.text


def test_guessing_link_codes_is_throttled(console: Services, world: World) -> None:
    chat = Conversation(console.conversations, channel="telegram", user_key="guesser")
    for _ in range(officer_links.LINK_FAILURES_PER_HOUR):
        chat.say("/lienket AAAAAAAA")
        assert "không đúng" in chat.text
    with Session(console.engine) as s:
        code, _ = officer_links.issue_link_code(s, officer_id=world.admin, actor="test")
        s.commit()
    chat.say(f"/lienket {code}")
    assert "sai mã nhiều lần" in chat.text


def test_audit_log_lists_who_did_what_with_filters(
    app_client: TestClient, console: Services, world: World
) -> None:
    token = csrf_of(app_client.get("/console/login").text)
    app_client.post("/console/login", data={"username": "xa1", "password": "sai", "csrf_token": token})
    login(app_client, "quantri")
    page = app_client.get("/console/admin/audit?action=console.")
    assert page.status_code == 200
    assert "console.login_failed" in page.text and "Cán bộ xa1" in page.text
    only = app_client.get(f"/console/admin/audit?actor=officer:{world.admin}&action=console.login")
    assert "console.login_failed" not in only.text and "Cán bộ quantri" in only.text
    with Session(console.engine) as s:
        admin = s.get(Officer, world.admin)
        assert admin is not None and admin.last_login_at is not None


def test_audit_log_pages_without_counting_the_whole_log(
    app_client: TestClient, console: Services, world: World
) -> None:
    with transaction(console.engine) as s:
        for i in range(150):
            audit.record(s, actor="system", action="bench.step", target_type="tip", target_id=str(1000 + i))
    login(app_client, "quantri")
    first = app_client.get("/console/admin/audit?action=bench.")
    assert "tin báo #1149" in first.text and "tin báo #1000<" not in first.text
    assert "Cũ hơn" in first.text and "Mới hơn" not in first.text
    second = app_client.get("/console/admin/audit?action=bench.&page=2")
    assert "tin báo #1000<" in second.text and "tin báo #1149" not in second.text
    assert "Cũ hơn" not in second.text and "Mới hơn" in second.text
