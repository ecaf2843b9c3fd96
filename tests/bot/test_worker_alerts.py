"""Broadcast delivery by the outbox worker: crash and resume, several workers, 429, 403, window, cancel."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.base import RetryAfter, TransientError, Unreachable
from bot.ratelimit import RateGate
from bot.runtime import end_subscriptions_hook
from bot.worker import OutboxWorker
from content.alerts import compose_alert
from storage import alerts, outbox
from storage.alerts import Audience
from storage.db import make_engine, transaction
from storage.models import OutboxMessage, Subscription, User, utcnow
from tests.alert_factories import HANOI, HOAN_KIEM, add_subscribers, make_officer
from tests.bot.recording import RecordingChannel, wait_until


def start_alert(engine: Engine, *, channels: tuple[str, ...] = ("telegram",)) -> int:
    """An alert to Hoàn Kiếm, submitted and fanned out."""
    officer = make_officer(engine, username=f"hk{time.monotonic_ns()}")
    with transaction(engine) as session:
        alert = alerts.create_alert(
            session,
            officer=officer,
            title="Cảnh báo",
            replies=[compose_alert(title="Cảnh báo", body="Cẩn thận cuộc gọi giả danh công an.")],
            audience=Audience(HANOI, (HOAN_KIEM,)),
            channels=list(channels),
        )
        alert_id = int(alert.id or 0)
        alerts.submit_alert(session, alert_id=alert_id, officer=officer, require_approval=False)
        alerts.start_due(session)
    return alert_id


def figures(engine: Engine, alert_id: int) -> alerts.AlertFigures:
    with Session(engine) as session:
        return alerts.figures(session, alert_id)


async def drain(*workers: OutboxWorker) -> None:
    while sum(await asyncio.gather(*(w.run_once() for w in workers))):
        pass


def run_in_thread(worker: OutboxWorker) -> tuple[threading.Thread, asyncio.AbstractEventLoop]:
    """Run `worker.run()` on its own event loop, as a separate process would."""
    loop = asyncio.new_event_loop()

    def target() -> None:
        asyncio.set_event_loop(loop)
        _TASKS.append(loop.create_task(worker.run()))
        loop.run_forever()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, loop


# Killed loops and their tasks are kept for the whole session: collecting them would run
# their finally blocks later, in the middle of another test.
_KILLED: list[asyncio.AbstractEventLoop] = []
_TASKS: list[asyncio.Task[None]] = []


def kill(thread: threading.Thread, loop: asyncio.AbstractEventLoop) -> None:
    """Stop the loop where it stands: no finally blocks, no last flush, like a killed process."""
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    _KILLED.append(loop)


async def test_every_recipient_gets_the_alert_once(engine: Engine) -> None:
    add_subscribers(engine, 120)
    alert_id = start_alert(engine)
    channel = RecordingChannel()
    worker = OutboxWorker(engine, {"telegram": channel}, batch=25)
    await drain(worker)
    assert channel.received() == {f"u{i}": 1 for i in range(120)}
    worker.tick_alerts()
    result = figures(engine, alert_id)
    assert (result.recipients, result.get("sent"), result.progress) == (120, 120, 1.0)
    with Session(engine) as session:
        alert = alerts.get_alert(session, alert_id)
        assert alert is not None and alert.status == "done"


def test_killed_worker_resumes_and_only_the_in_flight_batch_may_repeat(db_url: str) -> None:
    engine = make_engine(db_url)
    add_subscribers(engine, 300)
    alert_id = start_alert(engine)
    channel = RecordingChannel(latency=0.002)
    channel.hang_after = 150  # the worker is killed in the middle of a batch
    batch = 20
    first = OutboxWorker(engine, {"telegram": channel}, batch=batch, lease=0.5, flush_every=0.05, name="w1")
    thread, loop = run_in_thread(first)
    wait_until(lambda: len(channel.sent) >= 150)
    time.sleep(0.05)
    kill(thread, loop)
    channel.hang_after = None
    with Session(engine) as session:
        stuck = session.exec(select(OutboxMessage).where(OutboxMessage.status == "sending")).all()
    assert 0 < len(stuck) <= batch

    second = OutboxWorker(engine, {"telegram": channel}, batch=batch, lease=0.5, flush_every=0.05, name="w2")
    thread, loop = run_in_thread(second)
    wait_until(lambda: figures(engine, alert_id).get("sent") == 300)
    second.stop()
    kill(thread, loop)
    received = channel.received()
    assert set(received) == {f"u{i}" for i in range(300)}
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= len(stuck)
    engine.dispose()


@pytest.mark.postgres
async def test_two_workers_on_postgres_never_send_to_anyone_twice(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is the PostgreSQL case")
    engine = make_engine(db_url)
    add_subscribers(engine, 600)
    start_alert(engine)
    channel = RecordingChannel(latency=0.001)
    one = OutboxWorker(engine, {"telegram": channel}, batch=30, name="w1")
    two = OutboxWorker(engine, {"telegram": channel}, batch=30, name="w2")
    await drain(one, two)
    assert channel.received() == {f"u{i}": 1 for i in range(600)}
    with Session(engine) as session:
        by = {r.claimed_by for r in session.exec(select(OutboxMessage)).all()}
    assert by == {"w1", "w2"}
    engine.dispose()


async def test_429_pauses_every_sender(engine: Engine) -> None:
    add_subscribers(engine, 60)
    alert_id = start_alert(engine)
    channel = RecordingChannel(latency=0.001, gate=RateGate(per_second=200))
    channel.script["u10"] = [RetryAfter(0.4)]
    workers = [OutboxWorker(engine, {"telegram": channel}, batch=10, name=f"w{i}") for i in range(2)]
    await drain(*workers)
    (hit,) = channel.errors_at
    during = [t for t, _ in channel.sent if hit < t < hit + 0.38]
    assert during == []
    assert channel.received() == {f"u{i}": 1 for i in range(60)}
    assert figures(engine, alert_id).get("sent") == 60


async def test_403_marks_unreachable_and_ends_the_subscription(engine: Engine) -> None:
    add_subscribers(engine, 5)
    alert_id = start_alert(engine)
    channel = RecordingChannel()
    channel.script["u3"] = [Unreachable("Forbidden: bot was blocked by the user")]
    channel.script["u4"] = [Unreachable("Bad Request: chat not found")]
    worker = OutboxWorker(engine, {"telegram": channel})
    worker.on_unreachable.append(end_subscriptions_hook(engine))
    await drain(worker)
    result = figures(engine, alert_id)
    assert (result.get("sent"), result.get("unreachable")) == (3, 2)
    with Session(engine) as session:
        subs = {s.user_key: s for s in session.exec(select(Subscription)).all()}
        gone = session.exec(select(User).where(User.user_key == "u3")).one()
    assert (subs["u3"].active, subs["u3"].end_reason) == (False, "unreachable")
    assert not subs["u4"].active and subs["u2"].active
    assert gone.unreachable_at is not None and "blocked" in (gone.unreachable_reason or "")


async def test_transient_errors_are_retried_with_backoff(engine: Engine) -> None:
    add_subscribers(engine, 3)
    alert_id = start_alert(engine)
    channel = RecordingChannel()
    channel.script["u1"] = [TransientError("502 Bad Gateway")]
    worker = OutboxWorker(engine, {"telegram": channel})
    await drain(worker)
    with transaction(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.user_key == "u1")).one()
        if row.status == "pending":  # the jittered backoff put it in the future: make it due
            assert row.error and "502" in row.error
            session.execute(
                OutboxMessage.__table__.update().values(next_attempt_at=utcnow())  # type: ignore[attr-defined]
            )
    await drain(worker)
    assert len(channel.errors_at) == 1
    assert channel.received() == {"u0": 1, "u1": 1, "u2": 1}
    assert figures(engine, alert_id).get("sent") == 3
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.user_key == "u1")).one()
    assert row.attempts == 2


def test_cancel_stops_the_remaining_sends(db_url: str) -> None:
    engine = make_engine(db_url)
    add_subscribers(engine, 200)
    alert_id = start_alert(engine)
    channel = RecordingChannel(gate=RateGate(per_second=100))
    worker = OutboxWorker(engine, {"telegram": channel}, batch=20, flush_every=0.05)
    thread, loop = run_in_thread(worker)
    wait_until(lambda: len(channel.sent) >= 30)
    with transaction(engine) as session:
        officer_id = alerts.get_alert(session, alert_id).created_by  # type: ignore[union-attr]
        from storage.models import Officer

        officer = session.get(Officer, officer_id)
        assert officer is not None
        alerts.cancel_alert(session, alert_id=alert_id, officer=officer)
    at_cancel = len(channel.sent)
    time.sleep(0.5)
    worker.stop()
    kill(thread, loop)
    assert len(channel.sent) <= at_cancel + 10  # at most what was already waiting for its slot
    result = figures(engine, alert_id)
    assert result.get("sent") == len(channel.sent)
    assert result.get("sent") + result.get("cancelled") == 200
    engine.dispose()


async def test_notifications_go_before_broadcast_rows(engine: Engine) -> None:
    add_subscribers(engine, 5)
    start_alert(engine)
    with transaction(engine) as session:
        outbox.enqueue(
            session, channel="telegram", user_key="officer", replies=[compose_alert(title="x", body="y")]
        )
    channel = RecordingChannel()
    worker = OutboxWorker(engine, {"telegram": channel}, batch=1)
    await worker.run_once()
    assert [key for _, key in channel.sent] == ["officer"]


@pytest.mark.redis
async def test_429_pauses_workers_of_other_processes_through_redis(engine: Engine) -> None:
    import os
    import uuid

    from redis.asyncio import Redis

    from bot.ratelimit import RedisRateGate

    url = os.environ.get("CANHGIAC_TEST_REDIS_URL")
    if not url:
        pytest.skip("CANHGIAC_TEST_REDIS_URL is not set")
    add_subscribers(engine, 60)
    alert_id = start_alert(engine)
    prefix = f"test:{uuid.uuid4().hex}:"
    clients = [Redis.from_url(url), Redis.from_url(url)]  # one connection per "process"
    channels = [
        RecordingChannel(latency=0.001, gate=RedisRateGate(c, "telegram", per_second=200, prefix=prefix))
        for c in clients
    ]
    channels[0].script["u10"] = [RetryAfter(0.4)]
    channels[1].script["u10"] = [RetryAfter(0.4)]
    workers = [
        OutboxWorker(engine, {"telegram": channel}, batch=10, name=f"w{i}")
        for i, channel in enumerate(channels)
    ]
    await drain(*workers)
    (hit,) = channels[0].errors_at + channels[1].errors_at
    sent = sorted(channels[0].sent + channels[1].sent)
    assert [t for t, _ in sent if hit + 0.03 < t < hit + 0.38] == []
    assert {key for _, key in sent} == {f"u{i}" for i in range(60)} and len(sent) == 60
    assert figures(engine, alert_id).get("sent") == 60
    for client in clients:
        await client.aclose()


@pytest.mark.postgres
async def test_lease_renewals_and_flushes_never_lose_an_outcome(db_url: str) -> None:
    """Renewing the lease and recording outcomes touch the same rows: neither may block the other."""
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks are the PostgreSQL case")
    engine = make_engine(db_url)
    add_subscribers(engine, 1500)
    alert_id = start_alert(engine)
    channel = RecordingChannel(latency=0.002)
    workers = [
        OutboxWorker(engine, {"telegram": channel}, batch=100, lease=0.15, flush_every=0.01, name=f"w{i}")
        for i in range(2)
    ]
    beats = [asyncio.create_task(w._heartbeat()) for w in workers]  # renew every 50 ms
    try:
        await drain(*workers)
    finally:
        for beat in beats:
            beat.cancel()
    result = figures(engine, alert_id)
    assert result.get("sent") == 1500 and result.open == 0
    assert channel.received() == {f"u{i}": 1 for i in range(1500)}
    engine.dispose()
