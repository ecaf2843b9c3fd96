"""The web chat's waiting messages in Redis: queued by one process, shown by another."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.base import TransientError
from bot.channels.webchat.channel import KEY, WebChatChannel
from content.messages import Reply
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis() -> AsyncIterator[object]:
    if not REDIS_URL:
        pytest.skip("CANHGIAC_TEST_REDIS_URL is not set")
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    await client.delete(KEY + "page-1")
    yield client
    await client.delete(KEY + "page-1")
    await client.aclose()


async def test_a_message_queued_by_the_worker_reaches_the_page_through_another_process(redis: object) -> None:
    worker, serve = WebChatChannel(redis=redis), WebChatChannel(redis=redis)
    await worker.send("page-1", [Reply("Tin báo <b>CG-7</b> đã được tiếp nhận")])
    [shown] = await serve.collect("page-1")
    assert "CG-7" in shown["html"]
    assert await serve.collect("page-1") == []  # shown once


async def test_without_redis_the_send_is_retried_later() -> None:
    from redis.asyncio import Redis

    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.3)
    channel = WebChatChannel(redis=gone)
    with pytest.raises(TransientError):
        await channel.send("page-1", [Reply("x")])
    assert await channel.collect("page-1") == []
    await gone.aclose()
