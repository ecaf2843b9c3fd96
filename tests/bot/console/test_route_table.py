"""Every console route, read from the app's own route table: login, CSRF, admin role and scope.

The routes are discovered, not listed, so a page added later is checked the day it is
added. Only the routes in `PUBLIC` may be reached without a login; every state-changing
route refuses a request without its CSRF token; every route under /console/admin refuses
an officer who is not an administrator; every route that names a tip, alert, unit, officer
or linked account in its path (and the campaign's activities, contributors and registers)
refuses an officer outside that object's scope (403 or 404; 400 where a form is checked
first) while an officer inside it gets through.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.routing import BaseRoute

from bot.app import Services
from content.messages import Reply
from storage import alerts, audit, officer_links, officers, units
from storage.campaign import activities, contributors, hamlets, organisations
from storage.campaign import scope as campaign_scope
from storage.db import transaction
from storage.models import TipEvidence, UnitChat
from storage.tips import EvidenceIn
from tests.bot.console.conftest import BA_DINH, FAST_HASHER, HUE, World, csrf_of, login, submit

# Reachable without a login, each for a reason; everything else under /console needs one.
PUBLIC = {
    ("GET", "/console/"): "redirects to the queue, which asks for the login",
    ("GET", "/console/login"): "the login form",
    ("POST", "/console/login"): "the login itself (its CSRF token is a double-submit cookie)",
    ("GET", "/console/static/console.css"): "the stylesheet of the login page",
    ("GET", "/console/campaign"): "redirects to the activities page, which asks for the login",
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
STORY = "Chuyện riêng của người dân Ba Đình"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def url(self, values: dict[str, int]) -> str:
        return _PARAM.sub(lambda m: str(values.get(m.group(1), 1)), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The app's routes with included routers opened (FastAPI keeps an included router whole)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def console_endpoints(app_client: TestClient) -> list[Endpoint]:
    """Every (method, path) under /console in the app's route table."""
    found = [
        Endpoint(method, route.path)
        for route in _api_routes(app_client.app.routes)  # type: ignore[attr-defined]
        if route.path.startswith("/console")
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    assert len(found) > 30, "the console's routes were not found in the app"
    return found


def send(client: TestClient, endpoint: Endpoint, url: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    if endpoint.method == "GET":
        return client.get(url)
    return client.request(endpoint.method, url, data=data or {})


@dataclass
class Objects:
    """One object of each kind a console path can name, away from the commune officer 'xa1'."""

    ids: dict[str, int]
    clients: dict[str, TestClient]
    tokens: dict[str, str]


def _link(services: Services, officer_id: int, user_key: str) -> int:
    with transaction(services.engine) as s:
        code, _ = officer_links.issue_link_code(s, officer_id=officer_id, actor="test")
        result = officer_links.redeem_link_code(s, text=code, channel="telegram", user_key=user_key)
        assert result.status == "linked"
        return next(link.id for link in officer_links.links_of(s, officer_id) if link.user_key == user_key)  # type: ignore[misc]


@pytest.fixture
def objects(app_client: TestClient, console: Services, world: World) -> Iterator[Objects]:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    key = console.evidence.put(png, name="a.png", mime="image/png")
    tip = submit(
        console,
        ward_code=BA_DINH,
        story=STORY,
        evidence=(EvidenceIn("photo", "anh.png", "image/png", len(png), "0" * 64, key),),
    )
    with transaction(console.engine) as s:
        hue = officers.create_officer(
            s,
            hasher=FAST_HASHER,
            username="hue",
            full_name="Cán bộ Huế",
            password="mat-khau-du-dai-1",
            role="province",
            unit_id=world.other_province_unit,
            actor="test",
        )
        alert = alerts.create_alert(
            s,
            officer=hue,
            title="Cảnh báo ở Huế",
            replies=[Reply("Cảnh giác với cuộc gọi giả công an")],
            audience=alerts.Audience(HUE, whole_province=True),
            channels=["telegram"],
        )
        chat = units.add_unit_chat(
            s, unit_id=world.other_province_unit, channel="telegram", chat_key="-100777", actor="test"
        )
        evidence_id = s.exec(select(TipEvidence.id).where(TipEvidence.tip_id == tip)).one()
        assert hue.id and alert.id and isinstance(chat, UnitChat) and chat.id and evidence_id
        hue_id, alert_id, chat_id = hue.id, alert.id, chat.id
    ids = {
        "tip_id": tip,
        "evidence_id": evidence_id,
        "alert_id": alert_id,
        "unit_id": world.other_province_unit,
        "officer_id": hue_id,
        "chat_id": chat_id,
        "link_id": _link(console, world.other_commune_officer, "555"),
    }
    with transaction(console.engine) as s:
        everything = campaign_scope.CampaignScope(everything=True, can_edit_registers=True)
        hamlet = hamlets.create_hamlet(
            s,
            scope=everything,
            data=hamlets.HamletIn(BA_DINH, "Tổ dân phố 1", "to_dan_pho", 40, 1),
            actor="test",
        )
        activity = activities.create_activity(
            s,
            scope=everything,
            data=activities.ActivityIn(
                ward_code=BA_DINH,
                started_on=activities.vn_today(),
                kind="leaflets",
                leaflets=10,
                hamlet_id=hamlet.id,
            ),
            officer_id=world.other_commune_officer,
            actor="test",
        )
        ids["activity_id"] = int(activity.id or 0)
        contributor = contributors.create_contributor(
            s,
            scope=everything,
            hasher=FAST_HASHER,
            username="ubnd-ba-dinh",
            full_name="UBND phường Ba Đình",
            password="mat-khau-du-dai-1",
            organisation_id=None,
            ward_code=BA_DINH,
            actor="test",
        )
        ids["contributor_id"] = int(contributor.id or 0)
        company = organisations.create_organisation(
            s,
            scope=everything,
            data=organisations.OrganisationIn(
                BA_DINH, "Công ty May Ba Đình", "production", staff_or_members=90
            ),
            actor="test",
        )
        ids |= {"ward": BA_DINH, "hamlet_id": int(hamlet.id or 0), "organisation_id": int(company.id or 0)}
    admin_link = _link(console, hue_id, "556")
    clients: dict[str, TestClient] = {}
    tokens: dict[str, str] = {}
    for name in ("quantri", "tinh", "xa1", "xa2", "hue"):
        client = TestClient(app_client.app, follow_redirects=False)
        login(client, name)
        clients[name] = client
        tokens[name] = csrf_of(client.get("/console/me").text)
    yield Objects(ids | {"admin_link_id": admin_link}, clients, tokens)


def values_for(objects: Objects, endpoint: Endpoint) -> dict[str, int]:
    values = dict(objects.ids)
    if endpoint.path.startswith("/console/campaign/contributors/"):
        values["officer_id"] = objects.ids["contributor_id"]  # a contributor account of Ba Đình
    if endpoint.path.startswith("/console/admin/officers/"):
        values["link_id"] = objects.ids["admin_link_id"]  # a link of the officer in the path
    return values


# Who may reach the object a path names, and who may not. A new route naming a new kind of
# object fails `test_every_route_naming_an_object_refuses_an_officer_outside_its_scope` until
# a rule is added here.
NOT_OBJECTS = {"register": "the name of a register (hamlets, organisations), not one object of it"}


def scope_rule(endpoint: Endpoint) -> tuple[str, tuple[str, ...]] | None:
    params = [p for p in endpoint.params if p not in NOT_OBJECTS]
    if not params:
        return None
    if endpoint.path.startswith("/console/admin/"):
        return "quantri", ("tinh", "xa1")
    if "tip_id" in params:  # a tip of Ba Đình: its province sees it, another commune and province do not
        return "tinh", ("xa1", "hue")
    if endpoint.path.startswith("/console/campaign/contributors/"):  # managed by Hà Nội's province
        return "tinh", ("hue",)
    if "ward" in params:  # Ba Đình's registers: its commune and province keep them
        return "xa2", ("xa1", "hue")
    if "activity_id" in params:  # an activity logged in Ba Đình
        return "xa2", ("xa1", "hue")
    if "alert_id" in params:  # an alert to the whole of Huế, by Huế's province officer
        return "hue", ("tinh", "xa1")
    if "unit_id" in params:  # Huế's province unit
        return "hue", ("tinh", "xa1")
    if "link_id" in params:  # a chat account linked by the officer of Ba Đình
        return "xa2", ("xa1",)
    raise AssertionError(f"{endpoint}: say in scope_rule who may and who may not reach {params}")


def test_the_public_routes_exist_and_everything_else_needs_a_login(app_client: TestClient) -> None:
    endpoints = console_endpoints(app_client)
    assert set(PUBLIC) <= {(e.method, e.path) for e in endpoints}, (
        "a public route is gone: drop it from PUBLIC"
    )
    failures = []
    for endpoint in endpoints:
        if (endpoint.method, endpoint.path) in PUBLIC:
            continue
        response = send(app_client, endpoint, endpoint.url({}))
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/console/login"):
            failures.append(f"{endpoint}: {response.status_code} {location}")
    assert failures == []


def test_every_state_changing_route_refuses_a_missing_or_foreign_csrf_token(
    console: Services, objects: Objects
) -> None:
    admin = objects.clients["quantri"]
    failures = []
    for endpoint in console_endpoints(admin):
        if endpoint.method not in STATE_CHANGING:
            continue
        url = endpoint.url(values_for(objects, endpoint))
        for token in ("", "not-the-token", objects.tokens["xa1"]):  # none, made up, another session's
            response = send(admin, endpoint, url, {"csrf_token": token} if token else {})
            if response.status_code != 403:
                failures.append(f"{endpoint} with token {token[:8]!r}: {response.status_code}")
    assert failures == []
    with Session(console.engine) as s:
        refused = {e.detail["path"] for e in audit.entries(s, action="console.csrf_rejected", limit=1000)}
    changing = [e for e in console_endpoints(admin) if e.method in STATE_CHANGING]
    assert {e.url(values_for(objects, e)) for e in changing} <= refused


def test_every_admin_route_refuses_an_officer_who_is_not_an_administrator(objects: Objects) -> None:
    failures = []
    for endpoint in console_endpoints(objects.clients["quantri"]):
        if not endpoint.path.startswith("/console/admin"):
            continue
        url = endpoint.url(values_for(objects, endpoint))
        for name in ("tinh", "xa1"):
            response = send(objects.clients[name], endpoint, url, {"csrf_token": objects.tokens[name]})
            if response.status_code != 403:
                failures.append(f"{endpoint} as {name}: {response.status_code}")
        if endpoint.method == "GET" and objects.clients["quantri"].get(url).status_code != 200:
            failures.append(f"{endpoint} as the administrator: not shown")
    assert failures == []


def test_every_route_naming_an_object_refuses_an_officer_outside_its_scope(objects: Objects) -> None:
    endpoints = console_endpoints(objects.clients["quantri"])
    # Reads first and administration last, so no change made by an insider hides a later route.
    endpoints.sort(key=lambda e: (e.path.startswith("/console/admin"), e.method != "GET", e.path))
    failures = []
    checked = 0
    for endpoint in endpoints:
        rule = scope_rule(endpoint)
        if rule is None:
            continue
        insider, outsiders = rule
        url = endpoint.url(values_for(objects, endpoint))
        for name in outsiders:
            response = send(objects.clients[name], endpoint, url, {"csrf_token": objects.tokens[name]})
            # 400: a form checked before the scope (the campaign pages) refuses all the same.
            if response.status_code not in (400, 403, 404) or STORY in response.text:
                failures.append(f"{endpoint} as {name} (outside): {response.status_code}")
        response = send(objects.clients[insider], endpoint, url, {"csrf_token": objects.tokens[insider]})
        refused = response.status_code in (403, 404) or response.status_code >= 500
        if refused or response.headers.get("location", "").startswith("/console/login"):
            failures.append(f"{endpoint} as {insider} (inside): {response.status_code}")
        checked += 1
    assert failures == [], "\n".join(failures)
    assert checked >= 20


def test_refusals_out_of_scope_are_audited(console: Services, objects: Objects) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    tip = objects.ids["tip_id"]
    objects.clients["xa1"].get(f"/console/tips/{tip}")
    objects.clients["xa1"].post(
        f"/console/tips/{tip}/note", data={"note": "x", "csrf_token": objects.tokens["xa1"]}
    )
    with Session(console.engine) as s:
        refused = audit.entries(s, action="tip.forbidden", target_id=str(tip), since=since)
    assert {e.detail["operation"] for e in refused} == {"view", "note"}
