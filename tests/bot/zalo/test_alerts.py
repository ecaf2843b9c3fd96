"""Alerts on Zalo through the real OA channel and the fake Zalo server, wired by build_runtime."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import Session, select

from bot.runtime import build_runtime, build_worker
from bot.settings import Settings
from bot.web.app import create_app
from content.alerts import compose_alert
from storage import alerts, subscriptions, users
from storage.alerts import Audience
from storage.db import transaction
from storage.models import Subscription, utcnow
from tests.alert_factories import HANOI, HOAN_KIEM, add_subscribers, make_officer
from tests.bot.zalo.conftest import ZaloHarness, event, payloads, texts
from tests.fakes.zalo import FakeZalo

IN_WINDOW, OUTSIDE, NEVER = "1000000000000000001", "1000000000000000002", "1000000000000000003"


@pytest.fixture
async def runtime_zalo(zalo_settings: Settings, fake: FakeZalo) -> AsyncIterator[ZaloHarness]:
    """Like the `zalo` fixture, but wired the way `canhgiac serve` wires it."""
    services = build_runtime(zalo_settings, migrate=False)
    app = create_app(services, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zalo.test") as http:
        harness = ZaloHarness(services, fake, http)
        await harness.authorize()
        yield harness
        await services.dispatcher.drain()
    for stop in services.shutdown:
        await stop()
    services.engine.dispose()


def _send_alert(zalo: ZaloHarness) -> int:
    engine = zalo.services.engine
    officer = make_officer(engine, username="hoankiem")
    with transaction(engine) as session:
        alert = alerts.create_alert(
            session,
            officer=officer,
            title="Giả danh công an",
            replies=[compose_alert(title="Giả danh công an", body="Công an không gọi điện đòi chuyển tiền.")],
            audience=Audience(HANOI, (HOAN_KIEM,)),
            channels=["zalo"],
        )
        alerts.submit_alert(session, alert_id=int(alert.id or 0), officer=officer, require_approval=False)
        alerts.start_due(session)
        return int(alert.id or 0)


async def _drain(zalo: ZaloHarness) -> None:
    worker = build_worker(zalo.services)
    while await worker.run_once():
        pass


async def test_outside_the_7_day_window_is_recorded_not_sent(runtime_zalo: ZaloHarness) -> None:
    zalo = runtime_zalo
    engine = zalo.services.engine
    for key in (IN_WINDOW, OUTSIDE, NEVER):
        add_subscribers(engine, 1, channel="zalo", prefix=key)
    now = utcnow()
    with transaction(engine) as session:
        users.record_inbound(
            session, channel="zalo", user_key=IN_WINDOW + "0", inbound_at=now - dt.timedelta(days=6)
        )
        users.record_inbound(
            session, channel="zalo", user_key=OUTSIDE + "0", inbound_at=now - dt.timedelta(days=8)
        )
    alert_id = _send_alert(zalo)
    await _drain(zalo)
    assert next(m["text"] for m in zalo.fake.sent(IN_WINDOW + "0")).startswith("🚨 CẢNH BÁO LỪA ĐẢO")
    assert zalo.fake.sent(OUTSIDE + "0") == [] and zalo.fake.sent(NEVER + "0") == []
    assert len(zalo.fake.calls("oa/message/cs")) == 1  # no API call for a closed window
    with Session(engine) as session:
        figures = alerts.figures(session, alert_id)
    assert (figures.get("sent"), figures.get("window_closed")) == (1, 2)


async def test_subscribe_on_zalo_then_unfollow_ends_it(runtime_zalo: ZaloHarness) -> None:
    zalo, user = runtime_zalo, IN_WINDOW
    answer = await zalo.post(event("follow", user))
    assert answer.status_code == 200
    assert "#cg:alerts" in payloads(await zalo.answers(user))
    await zalo.press(user, "alerts")
    await zalo.say(user, "ha noi")
    done = texts(await zalo.say(user, "phuong hoan kiem"))
    assert "Đã đăng ký" in done and "Phường Hoàn Kiếm" in done
    with transaction(zalo.services.engine) as session:
        assert subscriptions.current(session, channel="zalo", user_key=user) is not None
    await zalo.post(event("unfollow", user))
    await zalo.services.dispatcher.drain()
    with Session(zalo.services.engine) as session:
        (sub,) = session.exec(select(Subscription)).all()
    assert (sub.active, sub.end_reason) == (False, "unreachable")


async def test_not_a_follower_any_more_ends_the_subscription(runtime_zalo: ZaloHarness) -> None:
    zalo = runtime_zalo
    engine = zalo.services.engine
    add_subscribers(engine, 2, channel="zalo", prefix=IN_WINDOW)
    with transaction(engine) as session:
        for i in range(2):
            users.record_inbound(session, channel="zalo", user_key=f"{IN_WINDOW}{i}")
    zalo.fake.fail("oa/message/cs", error=-213, times=1)
    alert_id = _send_alert(zalo)
    await _drain(zalo)
    with Session(engine) as session:
        figures = alerts.figures(session, alert_id)
        active = session.exec(select(Subscription).where(Subscription.active)).all()
    assert (figures.get("sent"), figures.get("unreachable")) == (1, 1)
    assert len(active) == 1
