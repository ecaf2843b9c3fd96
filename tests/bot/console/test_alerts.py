"""Alert pages over HTTP: compose and preview, audience within the units, figures, cancel, approval."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Services, build_services
from bot.channels.base import Capabilities
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.console.routes import build_router
from bot.worker import OutboxWorker
from storage import alerts, audit
from storage.db import transaction
from storage.models import Alert
from tests.alert_factories import add_subscribers
from tests.bot.console.conftest import (
    BA_DINH,
    FAST_HASHER,
    HANOI,
    HOAN_KIEM,
    HUE,
    World,
    csrf_of,
    login,
    make_world,
)
from tests.bot.recording import RecordingChannel

_ALERT_URL = re.compile(r"/console/alerts/(\d+)\?ok=")


def _services(url: str, tmp_path: Path, library: Any, **values: Any) -> Services:
    settings = Settings(data_dir=tmp_path, database_url=url, run_worker=False, _env_file=None, **values)  # type: ignore[call-arg]
    services = build_services(settings, library=library)
    services.hasher = FAST_HASHER
    services.routers.append(build_router())
    services.channels["telegram"] = RecordingChannel("telegram")
    zalo = RecordingChannel("zalo")
    zalo.capabilities = Capabilities(max_len=2000, buttons=True, html=False)
    services.channels["zalo"] = zalo
    return services


@pytest.fixture
def console(sqlite_url: str, tmp_path: Path, test_library: Any) -> Iterator[Services]:
    services = _services(sqlite_url, tmp_path, test_library)
    yield services
    services.engine.dispose()


def _client(services: Services, username: str) -> TestClient:
    return login(TestClient(create_app(services, background=False), follow_redirects=False), username)


def _form(client: TestClient, **values: Any) -> dict[str, Any]:
    page = client.get("/console/alerts/new")
    data: dict[str, Any] = {"csrf_token": csrf_of(page.text), "source": "card", "card_id": "fake-bank"}
    data.update(values)
    return data


def _alerts(services: Services) -> list[Alert]:
    with Session(services.engine) as session:
        return list(session.exec(select(Alert)).all())


def test_commune_officer_previews_then_sends_to_their_commune(console: Services) -> None:
    make_world(console)
    add_subscribers(console.engine, 3, ward_code=HOAN_KIEM)
    client = _client(console, "xa1")
    form = client.get("/console/alerts/new")
    assert form.status_code == 200 and "Phường Hoàn Kiếm" in form.text
    shown = client.post(
        "/console/alerts/new", data=_form(client, action="preview", channel=["telegram", "zalo"])
    )
    assert shown.status_code == 200
    assert "Xem trước" in shown.text and "3 người đang đăng ký nhận" in shown.text
    assert "Telegram" in shown.text and "Zalo (OA)" in shown.text
    assert "<b>CẢNH BÁO LỪA ĐẢO</b>" in shown.text  # Telegram keeps bold; Zalo shows plain text
    assert _alerts(console) == []
    sent = client.post("/console/alerts/new", data=_form(client, action="send", channel=["telegram"]))
    assert sent.status_code == 303
    (alert,) = _alerts(console)
    assert (alert.status, alert.ward_codes, alert.channels) == ("scheduled", [HOAN_KIEM], ["telegram"])
    assert "Công an" in alert.payload["replies"][0]["text"]  # the unit is named as the sender
    assert _ALERT_URL.search(sent.headers["location"])


def test_an_officer_cannot_target_a_commune_outside_their_units(console: Services) -> None:
    make_world(console)
    commune = _client(console, "xa1")
    forged = commune.post(
        "/console/alerts/new",
        data=_form(commune, action="send", province=str(HANOI), ward=[str(BA_DINH)], channel=["telegram"]),
    )
    assert forged.status_code == 422 and "địa bàn đơn vị mình phụ trách" in forged.text
    whole = commune.post(
        "/console/alerts/new",
        data=_form(commune, action="send", province=str(HANOI), whole_province="1", channel=["telegram"]),
    )
    assert whole.status_code == 422
    province = _client(console, "tinh")
    other = province.post(
        "/console/alerts/new",
        data=_form(province, action="send", province=str(HUE), whole_province="1", channel=["telegram"]),
    )
    assert other.status_code == 422
    assert _alerts(console) == []
    ok = province.post(
        "/console/alerts/new",
        data=_form(
            province,
            action="send",
            province=str(HANOI),
            ward=[str(BA_DINH), str(HOAN_KIEM)],
            channel=["zalo"],
        ),
    )
    assert ok.status_code == 303
    (alert,) = _alerts(console)
    assert sorted(alert.ward_codes) == sorted([BA_DINH, HOAN_KIEM])


def test_own_text_is_escaped_and_checked(console: Services) -> None:
    make_world(console)
    client = _client(console, "xa1")
    long = client.post(
        "/console/alerts/new",
        data=_form(
            client, action="send", source="text", title="Cảnh báo", body="x" * 1300, channel=["telegram"]
        ),
    )
    assert long.status_code == 422 and "1.200 ký tự" in long.text
    sent = client.post(
        "/console/alerts/new",
        data=_form(
            client,
            action="send",
            source="text",
            title="<script>alert(1)</script>",
            body="Đừng bấm link lạ.",
            channel=["telegram"],
        ),
    )
    assert sent.status_code == 303
    for page in (client.get("/console/alerts"), client.get(sent.headers["location"])):
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;" in page.text


def test_figures_per_commune_and_cancel_while_sending(console: Services) -> None:
    make_world(console)
    add_subscribers(console.engine, 6, ward_code=HOAN_KIEM, prefix="h")
    add_subscribers(console.engine, 4, ward_code=BA_DINH, prefix="b")
    client = _client(console, "tinh")
    sent = client.post(
        "/console/alerts/new",
        data=_form(client, action="send", province=str(HANOI), whole_province="1", channel=["telegram"]),
    )
    alert_id = int(_ALERT_URL.search(sent.headers["location"]).group(1))  # type: ignore[union-attr]
    with transaction(console.engine) as session:
        alerts.start_due(session)
    import asyncio

    worker = OutboxWorker(console.engine, console.channels, batch=5)
    asyncio.run(worker.run_once())  # five recipients served, five still queued
    page = client.get(f"/console/alerts/{alert_id}")
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in page.text  # progress while sending
    assert (
        "<b>Tổng: 10</b>" in page.text
        and "Phường Hoàn Kiếm (6)" in page.text
        and "Phường Ba Đình (4)" in page.text
    )
    assert '<progress max="10" value="5">' in page.text
    stop = client.post(f"/console/alerts/{alert_id}/cancel", data={"csrf_token": csrf_of(page.text)})
    assert stop.status_code == 303 and "ok=alert_cancelled" in stop.headers["location"]
    with Session(console.engine) as session:
        figures = alerts.figures(session, alert_id)
    assert (figures.get("sent"), figures.get("cancelled")) == (5, 5)
    assert asyncio.run(worker.run_once()) == 0


def test_an_alert_outside_the_units_is_403_and_audited(console: Services) -> None:
    world: World = make_world(console)
    province = _client(console, "tinh")
    sent = province.post(
        "/console/alerts/new",
        data=_form(province, action="send", province=str(HANOI), ward=[str(BA_DINH)], channel=["telegram"]),
    )
    url = sent.headers["location"].split("?")[0]
    other = _client(console, "xa1")  # Hoàn Kiếm's officer
    assert other.get(url).status_code == 403
    page = other.get("/console/alerts")
    assert url not in page.text
    refused = other.post(url + "/cancel", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403
    with Session(console.engine) as session:
        entries = audit.entries(session, action="alert.forbidden")
    assert {e.actor for e in entries} == {f"officer:{world.commune_officer}"}
    assert _alerts(console)[0].status == "scheduled"


def test_forms_need_the_csrf_token(console: Services) -> None:
    make_world(console)
    client = _client(console, "xa1")
    response = client.post("/console/alerts/new", data={"action": "send", "card_id": "fake-bank"})
    assert response.status_code == 403
    assert _alerts(console) == []


def test_second_officer_approves_when_required(sqlite_url: str, tmp_path: Path, test_library: Any) -> None:
    services = _services(sqlite_url, tmp_path, test_library, alert_approval=True)
    make_world(services)
    author = _client(services, "xa1")
    sent = author.post("/console/alerts/new", data=_form(author, action="send", channel=["telegram"]))
    assert "ok=alert_pending" in sent.headers["location"]
    url = sent.headers["location"].split("?")[0]
    page = author.get(url)
    assert "chờ một cán bộ khác duyệt" in page.text and "/approve" not in page.text
    own = author.post(url + "/approve", data={"csrf_token": csrf_of(page.text)})
    assert "err=alert_own_alert" in own.headers["location"]
    colleague = _client(services, "tinh")
    page = colleague.get(url)
    assert "Duyệt và gửi" in page.text
    done = colleague.post(url + "/approve", data={"csrf_token": csrf_of(page.text)})
    assert "ok=alert_approved" in done.headers["location"]
    (alert,) = _alerts(services)
    assert alert.status == "scheduled" and alert.approved_by is not None
    services.engine.dispose()


def test_compose_starts_from_the_officers_unit_and_sorts_provinces_by_name(console: Services) -> None:
    make_world(console)
    province = _client(console, "tinh").get("/console/alerts/new").text
    assert "Tỉnh/thành: <b>Thành phố Hà Nội</b>" in province and "Phường Hoàn Kiếm" in province
    admin = _client(console, "quantri").get("/console/alerts/new").text
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]+)</option>', admin.split("</select>")[0])
    assert options[0] == ("", "— Chọn tỉnh/thành —")
    assert re.search(r'<option value="" disabled\s+selected>', admin)  # not An Giang by default
    names = [label for _, label in options[1:]]
    assert names.index("Thành phố Hà Nội") < names.index("Hà Tĩnh") < names.index("Lâm Đồng")
    assert names.index("Thành phố Hồ Chí Minh") < names.index("Hưng Yên")


def test_bold_and_italic_reach_each_channel_as_it_can_show_them(console: Services) -> None:
    make_world(console)
    client = _client(console, "xa1")
    body = "*Không* chuyển tiền cho ai, _hãy gọi 113_. Lãi 5 * 3 * 2 là lừa; tên_tệp giữ nguyên."
    shown = client.post(
        "/console/alerts/new",
        data=_form(
            client, action="preview", source="text", title="Cảnh báo", body=body, channel=["telegram", "zalo"]
        ),
    ).text.split("<h2>Xem trước", 1)[1]
    assert (
        "<b>Không</b> chuyển tiền cho ai, <i>hãy gọi 113</i>. Lãi 5 * 3 * 2 là lừa; tên_tệp giữ nguyên."
        in shown
    )
    assert "Không chuyển tiền cho ai, hãy gọi 113. Lãi 5 * 3 * 2 là lừa; tên_tệp giữ nguyên." in shown  # Zalo
    assert "*Không*" not in shown and "_hãy" not in shown
    sent = client.post(
        "/console/alerts/new",
        data=_form(client, action="send", source="text", title="Cảnh báo", body=body, channel=["telegram"]),
    )
    assert sent.status_code == 303
    (alert,) = _alerts(console)
    assert "<b>Không</b>" in alert.payload["replies"][0]["text"]
