"""Contributor accounts: created by a province officer, 403 (audited) on every route but their own
campaign pages, proved by walking the app's whole route table."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Services
from bot.web.console.security import contributor_may_open
from storage import audit
from storage.models import CampaignActivity, Officer
from tests.bot.console.campaign.conftest import Registers
from tests.bot.console.conftest import BA_DINH, HOAN_KIEM, PASSWORD, World, csrf_of, login, submit


def _route_table(routes: list[Any]) -> list[APIRoute]:
    """Every API route of the app, through included routers (FastAPI may include them lazily)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            out.extend(_route_table(list(inner.routes)))
    return out


def _make(client: TestClient, binding: str, username: str) -> int:
    page = client.get("/console/campaign/contributors")
    assert page.status_code == 200, page.text
    made = client.post(
        "/console/campaign/contributors",
        data={
            "csrf_token": csrf_of(page.text),
            "username": username,
            "full_name": "Hiệu trưởng",
            "password": PASSWORD,
            "binding": binding,
        },
    )
    assert made.status_code == 303, made.text
    return int(
        re.findall(r"/console/campaign/contributors/(\d+)/active", client.get(made.headers["location"]).text)[
            -1
        ]
    )


def test_a_contributor_is_refused_every_route_but_its_own(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    tip = submit(console_db)
    login(client, "tinh")
    school_account = _make(client, f"org:{registers.school}", "truong.thcs")
    client.cookies.clear()
    landing = login(client, "truong.thcs").get("/console/")
    assert landing.status_code == 303, (landing.status_code, landing.text[:500])
    assert landing.headers["location"] == "/console/campaign"
    token = csrf_of(client.get("/console/campaign/activities/new").text)
    app_routes = _route_table(client.app.routes)  # type: ignore[attr-defined]
    walked = refused = 0
    refused_paths: set[str] = set()
    ids = {
        "tip_id": tip,
        "evidence_id": 1,
        "alert_id": 1,
        "unit_id": cworld.commune_unit,
        "chat_id": 1,
        "officer_id": cworld.commune_officer,
        "link_id": 1,
        "activity_id": 1,
        "ward": HOAN_KIEM,
        "hamlet_id": registers.hamlet_a,
        "organisation_id": registers.school,
        "register": "hamlets",
    }
    with Session(console_db.engine) as s:
        before = audit.count_entries(s, action="console.forbidden", actor=f"officer:{school_account}")
        before += audit.count_entries(s, action="campaign.forbidden", actor=f"officer:{school_account}")
    for route in app_routes:
        if not route.path.startswith("/console") or route.path in ("/console/login", "/console/logout"):
            continue
        path = route.path.format(**{k: ids.get(k, 1) for k in re.findall(r"{(\w+)}", route.path)})
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            walked += 1
            response = client.request(method, path, data={"csrf_token": token} if method == "POST" else None)
            if contributor_may_open(route.path) or route.path in ("/console/", "/console/static/console.css"):
                assert response.status_code != 403 or "campaign" in path, (method, path)
                continue
            assert response.status_code == 403, (method, path, response.status_code)
            refused += 1
            refused_paths.add(route.path)
    assert walked > 50 and refused > 40
    for kind in (
        "/console/tips",
        "/console/tips/{tip_id}/evidence/{evidence_id}",
        "/console/export/tips.xlsx",
        "/console/alerts/new",
        "/console/admin/units",
        "/console/admin/audit",
        "/console/campaign/registers",
        "/console/campaign/import/{register}",
        "/console/campaign/contributors",
    ):
        assert kind in refused_paths, kind
    with Session(console_db.engine) as s:
        after = audit.count_entries(s, action="console.forbidden", actor=f"officer:{school_account}")
        after += audit.count_entries(s, action="campaign.forbidden", actor=f"officer:{school_account}")
    assert after - before >= refused
    # What it may do: log its own school's activity and read its own coverage row.
    form = {
        "csrf_token": token,
        "ward_code": str(HOAN_KIEM),
        "kind": "school_session",
        "started_on": "01/12/2026",
        "organisation_id": str(registers.company),
    }
    assert client.post("/console/campaign/activities", data=form).status_code == 303
    coverage = client.get("/console/campaign/coverage")
    assert coverage.status_code == 200 and "Trường THCS Hoàn Kiếm" in coverage.text
    assert "Công ty May Hồ Gươm" not in coverage.text and "Tổ dân phố số 2" not in coverage.text
    with Session(console_db.engine) as s:
        row = s.exec(select(CampaignActivity)).one()
        assert row.organisation_id == registers.school and row.created_by == school_account


def test_contributors_see_only_their_own_activities_and_are_deactivated(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "tinh")
    committee = _make(client, f"ward:{HOAN_KIEM}", "ubnd.hoankiem")
    client.cookies.clear()
    login(client, "xa1")
    token = csrf_of(client.get("/console/campaign/activities/new").text)
    police = {
        "csrf_token": token,
        "ward_code": str(HOAN_KIEM),
        "kind": "conference",
        "started_on": "01/12/2026",
    }
    assert client.post("/console/campaign/activities", data=police).status_code == 303
    assert (
        client.get("/console/campaign/contributors").status_code == 403
    )  # commune officers do not manage them
    client.cookies.clear()
    login(client, "ubnd.hoankiem")
    token = csrf_of(client.get("/console/campaign/activities/new").text)
    mine = dict(
        police,
        csrf_token=token,
        organiser="commune_committee",
        kind="hamlet_session",
        hamlet_id=str(registers.hamlet_b),
    )
    assert client.post("/console/campaign/activities", data=mine).status_code == 303
    other_ward = dict(mine, ward_code=str(BA_DINH), hamlet_id=str(registers.hamlet_other))
    assert client.post("/console/campaign/activities", data=other_ward).status_code == 403
    with Session(console_db.engine) as s:
        police_row = s.exec(
            select(CampaignActivity).where(CampaignActivity.created_by == cworld.commune_officer)
        ).one()
    listing = client.get("/console/campaign/activities").text
    assert "Hội nghị" not in listing.split("<tbody>")[1] and "Tổ dân phố số 2" in listing.split("<tbody>")[1]
    assert client.get(f"/console/campaign/activities/{police_row.id}").status_code == 403
    coverage = client.get("/console/campaign/coverage")
    assert coverage.status_code == 200 and "Tổ dân phố số 2" in coverage.text  # the commune's hamlets
    client.cookies.clear()
    login(client, "tinh")
    page = client.get("/console/campaign/contributors")
    off = client.post(
        f"/console/campaign/contributors/{committee}/active",
        data={"csrf_token": csrf_of(page.text), "active": "0"},
    )
    assert off.status_code == 303
    with Session(console_db.engine) as s:
        account = s.get(Officer, committee)
        assert account is not None and not account.active and account.ward_code == HOAN_KIEM
        assert audit.count_entries(s, action="campaign.contributor_bind") == 1
        assert audit.count_entries(s, action="officer.deactivate") == 1
    client.cookies.clear()
    page = client.get("/console/login")
    refused = client.post(
        "/console/login",
        data={"username": "ubnd.hoankiem", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 401
