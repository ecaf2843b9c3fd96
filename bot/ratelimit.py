"""Outgoing rate limits per platform: an overall rate, a gap per chat, and a shared pause on 429.

In one process this object is the limiter; several processes share one through Redis
(see bot.ratelimit_redis when configured).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict


class RateGate:
    """Wait before each API call so the platform's limits hold for every sender in the process."""

    def __init__(
        self,
        *,
        per_second: float | None = None,
        per_chat_interval: float = 0.0,
    ) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
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

    async def wait(self, chat: str | None = None) -> None:
        while True:
            async with self._lock:
                now = time.monotonic()
                ready = max(self._paused_until, self._next_slot)
                if chat is not None and self.per_chat_interval:
                    ready = max(ready, self._chat_next.get(chat, 0.0))
                if ready <= now:
                    if self.per_second:
                        self._next_slot = now + 1.0 / self.per_second
                    if chat is not None and self.per_chat_interval:
                        self._chat_next[chat] = now + self.per_chat_interval
                        self._chat_next.move_to_end(chat)
                        while len(self._chat_next) > 100_000:
                            self._chat_next.popitem(last=False)
                    return
                delay = ready - now
            await asyncio.sleep(delay)
