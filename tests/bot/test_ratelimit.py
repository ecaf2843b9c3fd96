"""Rate limits: overall rate, per-chat gap, the 429 pause, replies first; in one process and through Redis."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from bot.ratelimit import Limiter, RateGate, RedisRateGate, priority_traffic

REDIS_URL = os.environ.get("CANHGIAC_TEST_REDIS_URL")


@pytest.fixture
async def redis_factory() -> AsyncIterator[Callable[..., RedisRateGate]]:
    """Gates on separate Redis connections, as separate processes would have."""
    if not REDIS_URL:
        pytest.skip("CANHGIAC_TEST_REDIS_URL is not set")
    from redis.asyncio import Redis

    prefix = f"test:{uuid.uuid4().hex}:"
    clients: list[Redis] = []

    def make(**kwargs: float) -> RedisRateGate:
        client = Redis.from_url(REDIS_URL)
        clients.append(client)
        return RedisRateGate(client, "telegram", prefix=prefix, **kwargs)  # type: ignore[arg-type]

    yield make
    for client in clients:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _send_times(gates: list[Limiter], count: int, chats: Callable[[int], str | None]) -> list[float]:
    times: list[float] = []

    async def one(i: int) -> None:
        await gates[i % len(gates)].wait(chats(i))
        times.append(time.monotonic())

    await asyncio.gather(*(one(i) for i in range(count)))
    return sorted(times)


def _rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


async def test_overall_rate_in_process() -> None:
    gate = RateGate(per_second=50)
    times = await _send_times([gate], 26, lambda i: f"c{i}")
    assert 25 <= _rate(times) <= 52  # the ceiling is the promise; a loaded machine may be slower


async def test_per_chat_gap_in_process() -> None:
    gate = RateGate(per_second=1000, per_chat_interval=0.2)
    times = await _send_times([gate], 3, lambda i: "same")
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))


async def test_pause_holds_every_sender_but_replies_skip_the_queue() -> None:
    gate = RateGate(per_second=5)
    await gate.wait("a")  # the next slot is 0.2 s away
    started = time.monotonic()
    await gate.wait("b", priority=True)
    assert time.monotonic() - started < 0.05  # a reply does not wait behind broadcasts
    gate.pause(0.3)
    await asyncio.gather(gate.wait("c"), gate.wait("d", priority=True))
    assert time.monotonic() - started >= 0.29


async def test_no_limit_when_rate_is_off() -> None:
    gate = RateGate(per_second=0)
    started = time.monotonic()
    await _send_times([gate], 500, lambda i: None)
    assert time.monotonic() - started < 0.5


@pytest.mark.redis
async def test_processes_share_one_rate_through_redis(redis_factory: Callable[..., RedisRateGate]) -> None:
    gates: list[Limiter] = [redis_factory(per_second=40) for _ in range(3)]
    times = await _send_times(gates, 31, lambda i: f"c{i}")
    assert 20 <= _rate(times) <= 42  # together, not 3 × 40


@pytest.mark.redis
async def test_per_chat_gap_through_redis(redis_factory: Callable[..., RedisRateGate]) -> None:
    one, two = (
        redis_factory(per_second=1000, per_chat_interval=0.2),
        redis_factory(per_second=1000, per_chat_interval=0.2),
    )
    times = await _send_times([one, two], 3, lambda i: "same")
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))
    other = await _send_times([one], 2, lambda i: f"x{i}")
    assert other[-1] - other[0] < 0.1


@pytest.mark.redis
async def test_429_in_one_process_pauses_the_others(redis_factory: Callable[..., RedisRateGate]) -> None:
    one, two = redis_factory(per_second=100), redis_factory(per_second=100)
    await one.pause_shared(0.4)
    started = time.monotonic()
    await two.wait("a")
    assert time.monotonic() - started >= 0.35
    await one.pause_shared(0.3)
    started = time.monotonic()
    await two.wait("b", priority=True)  # replies honour the pause too
    assert time.monotonic() - started >= 0.25


@pytest.mark.redis
async def test_redis_down_falls_back_to_the_process(caplog: pytest.LogCaptureFixture) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    gate = RedisRateGate(client, "telegram", per_second=50)
    times = await _send_times([gate], 11, lambda i: None)
    assert _rate(times) <= 55
    assert "shared rate limiter for telegram unavailable" in caplog.text
    await client.aclose()


async def test_a_429_pause_holds_a_reply_on_its_own() -> None:
    gate = RateGate(per_second=5)
    gate.pause(0.3)
    started = time.monotonic()
    await gate.wait("a", priority=True)  # alone: no broadcast to wait behind
    assert time.monotonic() - started >= 0.29
    gate.pause(0.2)
    started = time.monotonic()
    with priority_traffic():  # how bot.delivery marks a resident's reply
        await gate.wait("b")
    assert time.monotonic() - started >= 0.19


async def test_a_shorter_429_does_not_cut_a_longer_pause_short() -> None:
    gate = RateGate(per_second=100)
    gate.pause(0.4)
    gate.pause(0.1)
    started = time.monotonic()
    await gate.wait("a")
    assert time.monotonic() - started >= 0.35
