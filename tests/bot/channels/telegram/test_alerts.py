"""Alerts on Telegram: the real aiogram channel and `canhgiac worker` processes against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import Services
from bot.runtime import build_runtime, build_worker
from bot.settings import Settings
from content.alerts import compose_alert
from storage import alerts, outbox, subscriptions
from storage.alerts import Audience
from storage.db import transaction
from storage.models import Officer, Subscription
from tests.alert_factories import HANOI, HOAN_KIEM, add_subscribers, make_officer
from tests.bot.channels.telegram.conftest import Webhook, load_update
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram import CHAT_NOT_FOUND, FakeTelegram

REPO = Path(__file__).parents[4]
PREFIX = "7000"  # chat ids 70000, 70001, …


def _settings(tmp_path: Path, db_url: str, fake: FakeTelegram, **values: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": db_url,
        "run_worker": False,
        "webchat": False,
        "console": False,
        "secret_keys": TEST_SECRET_KEY,
        "telegram_token": fake.token,
        "telegram_api_url": fake.url,
        "telegram_rate_limit": 0,
        "telegram_chat_gap": 0,
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def make_services(
    tmp_path: Path, db_url: str, fake: FakeTelegram, test_library: Any
) -> AsyncIterator[Callable[..., Services]]:
    """Services as a `canhgiac` process builds them; several calls = several processes."""
    made: list[Services] = []

    def make(**values: Any) -> Services:
        services = build_runtime(
            _settings(tmp_path, db_url, fake, **values), migrate=False, library=test_library
        )
        made.append(services)
        return services

    yield make
    for services in made:
        for stop in services.shutdown:
            await stop()
        services.engine.dispose()


def start_alert(engine: Engine) -> tuple[int, Officer]:
    officer = make_officer(engine, username=f"hk{time.monotonic_ns()}")
    with transaction(engine) as session:
        alert = alerts.create_alert(
            session,
            officer=officer,
            title="Giả danh công an",
            replies=[
                compose_alert(title="Giả danh công an", body="Công an không gọi video đòi chuyển tiền.")
            ],
            audience=Audience(HANOI, (HOAN_KIEM,)),
            channels=["telegram"],
        )
        alerts.submit_alert(session, alert_id=int(alert.id or 0), officer=officer, require_approval=False)
        alerts.start_due(session)
        return int(alert.id or 0), officer


def figures(engine: Engine, alert_id: int) -> alerts.AlertFigures:
    with Session(engine) as session:
        return alerts.figures(session, alert_id)


def received(fake: FakeTelegram) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in fake.sent("sendMessage"):
        counts[str(call.chat_id)] = counts.get(str(call.chat_id), 0) + 1
    return counts


async def drain(*services: Services, **worker_args: Any) -> None:
    workers = [build_worker(s, name=f"w{i}") for i, s in enumerate(services)]
    for worker, extra in ((w, worker_args) for w in workers):
        for key, value in extra.items():
            setattr(worker, key, value)
    while sum(await asyncio.gather(*(w.run_once() for w in workers))):
        pass


async def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@pytest.mark.postgres
async def test_killed_worker_process_resumes_and_only_its_batch_may_repeat(
    db_url: str, tmp_path: Path, fake: FakeTelegram, make_services: Callable[..., Services]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("separate worker processes share PostgreSQL")
    engine = make_services().engine
    keys = add_subscribers(engine, 400, prefix=PREFIX)
    alert_id, _ = start_alert(engine)
    batch = 20
    env = {
        **os.environ,
        "CANHGIAC_DATABASE_URL": db_url,
        "CANHGIAC_DATA_DIR": str(tmp_path),
        "CANHGIAC_SECRET_KEYS": TEST_SECRET_KEY,
        "CANHGIAC_TELEGRAM_TOKEN": fake.token,
        "CANHGIAC_TELEGRAM_API_URL": fake.url,
        "CANHGIAC_TELEGRAM_RATE_LIMIT": "150",
        "CANHGIAC_OUTBOX_BATCH": str(batch),
        "CANHGIAC_OUTBOX_LEASE": "1",
        "CANHGIAC_LOG_LEVEL": "WARNING",
    }
    env.pop("CANHGIAC_REDIS_URL", None)

    def worker(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "bot", "worker", "--name", name], env=env, cwd=REPO)

    first = worker("first")
    try:
        await wait_for(lambda: len(fake.sent("sendMessage")) >= 150)
        first.send_signal(signal.SIGKILL)  # no goodbye: rows stay claimed, outcomes unwritten
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = figures(engine, alert_id)
    assert 0 < at_kill.get("sent") < 400
    assert at_kill.get("sending") <= batch  # only the batch in flight was claimed
    second = worker("second")
    try:
        await wait_for(lambda: figures(engine, alert_id).get("sent") == 400, timeout=90)
    finally:
        second.terminate()
        try:
            second.wait(15)
        finally:
            if second.poll() is None:
                second.kill()
    counts = received(fake)
    assert set(counts) == set(keys)
    assert sum(n - 1 for n in counts.values()) <= at_kill.get("sending")


@pytest.mark.postgres
async def test_two_workers_never_send_to_anyone_twice(
    db_url: str, fake: FakeTelegram, make_services: Callable[..., Services]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is the PostgreSQL case")
    one, two = make_services(outbox_batch=25), make_services(outbox_batch=25)
    keys = add_subscribers(one.engine, 500, prefix=PREFIX)
    alert_id, _ = start_alert(one.engine)
    await drain(one, two)
    assert received(fake) == dict.fromkeys(keys, 1)
    assert figures(one.engine, alert_id).get("sent") == 500
    with Session(one.engine) as session:
        rows = session.exec(select(outbox.OutboxMessage)).all()
    assert {r.claimed_by for r in rows} == {"w0", "w1"}


async def test_429_pauses_every_sender(fake: FakeTelegram, make_services: Callable[..., Services]) -> None:
    redis = os.environ.get("CANHGIAC_TEST_REDIS_URL")
    # Two processes sharing Redis when it is there; else the senders of one process.
    made = [make_services(redis_url=redis), make_services(redis_url=redis)] if redis else [make_services()]
    keys = add_subscribers(made[0].engine, 120, prefix=PREFIX)
    alert_id, _ = start_alert(made[0].engine)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, skip=30)
    await drain(*made)
    (hit,) = [c.at for c in fake.attempts("sendMessage") if c.error == 429]
    # Requests already on the wire when the 429 went out still arrive; nothing new is sent after.
    during = [c for c in fake.sent("sendMessage") if hit + 0.25 < c.at < hit + 0.95]
    assert during == []
    assert received(fake) == dict.fromkeys(keys, 1)
    assert figures(made[0].engine, alert_id).get("sent") == 120


async def test_403_and_chat_not_found_end_the_subscription(
    fake: FakeTelegram, make_services: Callable[..., Services]
) -> None:
    services = make_services()
    keys = add_subscribers(services.engine, 5, prefix=PREFIX)
    fake.block(keys[1])
    fake.fail("sendMessage", 400, CHAT_NOT_FOUND, chat_id=keys[2])
    alert_id, _ = start_alert(services.engine)
    await drain(services)
    result = figures(services.engine, alert_id)
    assert (result.get("sent"), result.get("unreachable")) == (3, 2)
    with Session(services.engine) as session:
        subs = {s.user_key: s for s in session.exec(select(Subscription)).all()}
    assert [k for k in keys if not subs[k].active] == [keys[1], keys[2]]
    assert subs[keys[1]].end_reason == "unreachable"


async def test_blocking_the_bot_ends_the_subscription(webhook: Webhook) -> None:
    engine = webhook.services.engine
    chat = 5120334455
    with transaction(engine) as session:
        subscriptions.subscribe(
            session, channel="telegram", user_key=str(chat), province_code=HANOI, ward_code=HOAN_KIEM
        )
    await webhook.post(load_update("my_chat_member_kicked", update_id=900, chat_id=chat))
    await webhook.settle()
    with Session(engine) as session:
        (sub,) = session.exec(select(Subscription)).all()
    assert sub.user_key == str(chat) and (sub.active, sub.end_reason) == (False, "unreachable")


async def test_cancel_stops_the_remaining_sends(
    fake: FakeTelegram, make_services: Callable[..., Services]
) -> None:
    services = make_services(telegram_rate_limit=40, outbox_batch=10)
    add_subscribers(services.engine, 200, prefix=PREFIX)
    alert_id, officer = start_alert(services.engine)
    worker = build_worker(services)
    worker.flush_every = 0.05
    running = asyncio.create_task(worker.run())
    await wait_for(lambda: len(fake.sent("sendMessage")) >= 20)
    with transaction(services.engine) as session:
        alerts.cancel_alert(session, alert_id=alert_id, officer=officer)
    at_cancel = len(fake.sent("sendMessage"))
    await asyncio.sleep(0.6)
    worker.stop()
    await running
    assert len(fake.sent("sendMessage")) <= at_cancel + 10  # at most the batch in hand
    result = figures(services.engine, alert_id)
    assert result.get("sent") == len(fake.sent("sendMessage"))
    assert result.get("sent") + result.get("cancelled") == 200


async def test_queued_messages_to_one_chat_are_a_second_apart(
    fake: FakeTelegram, make_services: Callable[..., Services]
) -> None:
    services = make_services(telegram_rate_limit=25, telegram_chat_gap=1.0)
    with transaction(services.engine) as session:
        for text in ("một", "hai"):
            outbox.enqueue(
                session, channel="telegram", user_key="70000", replies=[compose_alert(title=text, body=text)]
            )
    await drain(services)
    first, second = fake.sent("sendMessage", chat_id="70000")
    assert second.at - first.at >= 0.95


async def test_replies_go_ahead_of_a_running_broadcast(fake: FakeTelegram, webhook: Webhook) -> None:
    services = webhook.services
    add_subscribers(services.engine, 12, prefix=PREFIX)
    start_alert(services.engine)
    worker = build_worker(services)
    gate = services.channels["telegram"].gate  # type: ignore[attr-defined]
    gate.per_second = 5.0  # a slow broadcast: more than 2 seconds for 12 recipients
    running = asyncio.create_task(worker.run())
    await wait_for(lambda: len(fake.sent("sendMessage")) >= 2)
    asked = time.monotonic()
    from tests.bot.channels.telegram.conftest import text_update

    await webhook.post(text_update("/start", update_id=901))
    await webhook.settle()
    reply = next(c for c in fake.sent("sendMessage", chat_id=5120334455))
    worker.stop()
    await running
    alerts_after = [
        c for c in fake.sent("sendMessage") if c.at > reply.at and c.params["chat_id"] != "5120334455"
    ]
    # not behind the ten alerts still queued (at 5 a second they take two seconds)
    assert len(alerts_after) >= 5, (reply.at - asked, len(alerts_after))
