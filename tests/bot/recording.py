"""A channel that records what it sends and raises scripted platform errors (until the fake servers land)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from bot.channels.base import Capabilities, RetryAfter
from bot.ratelimit import Limiter
from content.messages import Reply


class RecordingChannel:
    """Like the real channels: waits on its platform gate before a call, pauses it on a 429."""

    def __init__(self, name: str = "telegram", *, latency: float = 0.0, gate: Limiter | None = None) -> None:
        self.name = name
        self.gate = gate
        self.capabilities = Capabilities(max_len=4096, buttons=True, html=True)
        self.latency = latency
        self.sent: list[tuple[float, str]] = []  # (monotonic time, user_key)
        self.errors_at: list[float] = []
        self.script: dict[str, list[Exception]] = {}
        self.hang_after: int | None = None  # after this many sends, every send hangs (a stuck process)
        self._lock = threading.Lock()

    async def send(self, user_key: str, replies: list[Reply]) -> None:
        if self.gate is not None:
            await self.gate.wait(user_key)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.hang_after is not None and len(self.sent) >= self.hang_after:
            await asyncio.Event().wait()
        with self._lock:
            queued = self.script.get(user_key)
            error = queued.pop(0) if queued else None
            if error is not None:
                self.errors_at.append(time.monotonic())
                if isinstance(error, RetryAfter) and self.gate is not None:
                    self.gate.pause(error.seconds)
                raise error
            self.sent.append((time.monotonic(), user_key))

    def received(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, key in list(self.sent):
            counts[key] = counts.get(key, 0) + 1
        return counts


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)
