"""Outgoing rate limits per platform: an overall rate, a gap per chat, and a shared pause on 429.

One limiter per platform is shared by every sender of the process (the outbox worker
and the dispatcher's direct replies). `RateGate` keeps the state in the process;
`RedisRateGate` keeps it in Redis, so every process of a deployment shares one rate,
one per-chat gap and one pause (used when CANHGIAC_REDIS_URL is set).

Channels call `wait(chat)` before each API call and `pause(seconds)` on a 429. Queued
traffic (notifications, broadcasts) takes a slot of the overall rate and keeps the
per-chat gap; a direct reply to a resident is sent inside `priority_traffic()` (see
bot.delivery.deliver): it honours a 429 pause but takes no slot, so a broadcast never
delays a reply. The queued rate is set below the platform's ceiling to leave that headroom.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from bot import metrics

log = logging.getLogger(__name__)

_PRIORITY: ContextVar[bool] = ContextVar("canhgiac_priority_traffic", default=False)


@contextmanager
def priority_traffic() -> Iterator[None]:
    """Sends inside this block are replies a resident waits for: they skip the queued rate."""
    token = _PRIORITY.set(True)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


class Limiter(Protocol):
    async def wait(self, chat: str | None = None, *, priority: bool = False) -> None:
        """Return when a message to `chat` may be sent."""
        ...

    def pause(self, seconds: float) -> None:
        """The platform answered 429: every sender waits `seconds`."""
        ...

    @property
    def paused_for(self) -> float: ...


class RateGate:
    """Wait before each API call so the platform's limits hold for every sender in the process."""

    def __init__(
        self,
        *,
        per_second: float | None = None,
        per_chat_interval: float = 0.0,
        platform: str = "",
    ) -> None:
        self.platform = platform
        self.per_second = per_second if per_second and per_second > 0 else None
        self.per_chat_interval = max(per_chat_interval, 0.0)
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: OrderedDict[str, float] = OrderedDict()
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """A 429 told us to wait: every sender of this platform waits that long."""
        self._paused_until = max(self._paused_until, time.monotonic() + max(seconds, 0.0))

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    async def wait(self, chat: str | None = None, *, priority: bool = False) -> None:
        priority = priority or _PRIORITY.get()
        while True:
            async with self._lock:
                now = time.monotonic()
                if priority:
                    ready = self._paused_until
                else:
                    ready = max(self._paused_until, self._next_slot)
                    if chat is not None and self.per_chat_interval:
                        ready = max(ready, self._chat_next.get(chat, 0.0))
                if ready <= now:
                    if priority:
                        return
                    if self.per_second:
                        self._next_slot = max(now, self._next_slot) + 1.0 / self.per_second
                    if chat is not None and self.per_chat_interval:
                        self._chat_next[chat] = now + self.per_chat_interval
                        self._chat_next.move_to_end(chat)
                        while len(self._chat_next) > 100_000:
                            self._chat_next.popitem(last=False)
                    return
                delay = ready - now
            metrics.count_wait(self.platform, delay)
            await asyncio.sleep(delay)


# Times are microseconds of the Redis server's clock, so processes on different hosts agree.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return {0, paused - now} end
if ARGV[4] == '1' then return {1, 0} end
local interval = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local has_chat = ARGV[3] == '1' and gap > 0
if has_chat then
  local chat_next = tonumber(redis.call('GET', KEYS[3]) or '0')
  if chat_next > now then return {0, chat_next - now} end
end
local slot = now
if interval > 0 then
  local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
  if nxt > slot then slot = nxt end
  redis.call('SET', KEYS[1], string.format('%d', slot + interval),
             'PX', math.floor((slot + interval - now) / 1000) + 1000)
end
if has_chat then
  redis.call('SET', KEYS[3], string.format('%d', slot + gap),
             'PX', math.floor((slot + gap - now) / 1000) + 1000)
end
return {1, slot - now}
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then
  redis.call('SET', KEYS[1], string.format('%d', untl), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
end
return untl - now
"""

_PAUSED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return paused - now end
return 0
"""


REDIS_RETRY_SECONDS = 5.0


class RedisRateGate:
    """The same limits as RateGate, shared by every process through Redis.

    Each send reserves the next free slot atomically (a Lua script on the server's
    clock), so N processes together keep the platform's overall rate. If Redis fails,
    the gate logs it and falls back to an in-process gate instead of stopping delivery.
    """

    def __init__(
        self,
        redis: Any,
        platform: str,
        *,
        per_second: float | None = None,
        per_chat_interval: float = 0.0,
        prefix: str = "canhgiac:rate:",
    ) -> None:
        self.redis = redis
        self.platform = platform
        self.per_second = per_second if per_second and per_second > 0 else None
        self.per_chat_interval = max(per_chat_interval, 0.0)
        self._prefix = f"{prefix}{platform}:"
        self._interval_us = int(1_000_000 / self.per_second) if self.per_second else 0
        self._gap_us = int(self.per_chat_interval * 1_000_000)
        self._reserve = redis.register_script(_RESERVE)
        self._pause_script = redis.register_script(_PAUSE)
        self._paused_script = redis.register_script(_PAUSED)
        self._local = RateGate(per_second=per_second, per_chat_interval=per_chat_interval, platform=platform)
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_warning = 0.0
        self._down_until = 0.0  # after a Redis failure, limit in-process for a while

    @property
    def paused_for(self) -> float:
        return self._local.paused_for

    def pause(self, seconds: float) -> None:
        self._local.pause(seconds)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.pause_shared(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def pause_shared(self, seconds: float) -> None:
        """Tell every process to pause (awaitable form of `pause`)."""
        self._local.pause(seconds)
        try:
            await self._pause_script(keys=[self._key("pause")], args=[int(max(seconds, 0.0) * 1_000_000)])
        except Exception as exc:
            self._warn(exc)

    async def wait(self, chat: str | None = None, *, priority: bool = False) -> None:
        priority = priority or _PRIORITY.get()
        while True:
            if time.monotonic() < self._down_until:
                await self._local.wait(chat, priority=priority)
                return
            local_pause = self._local.paused_for
            if local_pause > 0:
                await asyncio.sleep(local_pause)
                continue
            try:
                granted, delay_us = await self._reserve(
                    keys=[self._key("next"), self._key("pause"), self._key(f"chat:{chat}")],
                    args=[
                        self._interval_us,
                        self._gap_us,
                        1 if chat is not None else 0,
                        1 if priority else 0,
                    ],
                )
            except Exception as exc:
                self._warn(exc)
                await self._local.wait(chat, priority=priority)
                return
            delay = int(delay_us) / 1_000_000
            if delay > 0:
                metrics.count_wait(self.platform, delay)
                await asyncio.sleep(delay)
            if not int(granted):
                continue
            if delay > 0 and await self._shared_pause() > 0:
                continue  # a 429 arrived while this slot was waiting: take a new one after it
            return

    async def _shared_pause(self) -> float:
        try:
            return int(await self._paused_script(keys=[self._key("pause")])) / 1_000_000
        except Exception as exc:
            self._warn(exc)
            return self._local.paused_for

    def _key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + REDIS_RETRY_SECONDS
        if now - self._last_warning > 30:
            self._last_warning = now
            log.warning(
                "shared rate limiter for %s unavailable (%s); limiting in this process only",
                self.platform,
                type(exc).__name__,
            )


def make_gate(
    platform: str, *, per_second: float | None, chat_gap: float = 0.0, redis: Any = None
) -> Limiter:
    """A platform's gate: in Redis (shared by every process) when a client is given."""
    if redis is None:
        return RateGate(per_second=per_second, per_chat_interval=chat_gap, platform=platform)
    return RedisRateGate(redis, platform, per_second=per_second, per_chat_interval=chat_gap)
