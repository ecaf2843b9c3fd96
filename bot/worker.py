"""The outbox worker: claims due rows, sends them within rate limits, records every outcome."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot.channels.base import Channel
from bot.delivery import Outcome, backoff, send_once
from content.messages import replies_from_payload
from storage import outbox, users
from storage.db import transaction
from storage.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        channels: dict[str, Channel],
        *,
        batch: int = 50,
        idle_sleep: float = 0.5,
        concurrency: int = 8,
        name: str | None = None,
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.batch = batch
        self.idle_sleep = idle_sleep
        self.concurrency = concurrency
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.on_unreachable: list[Callable[[str, str], None]] = []
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        log.info("outbox worker %s started", self.name)
        while not self._stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox worker loop failed; retrying")
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.idle_sleep)

    async def run_once(self) -> int:
        """Claim and send one batch; returns how many rows were handled."""
        rows = await asyncio.to_thread(self._claim)
        if not rows:
            return 0
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(row: OutboxMessage) -> None:
            async with semaphore:
                await self._send(row)

        # Rows of the same recipient go one after the other, in id order.
        by_user: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            by_user.setdefault((row.channel, row.user_key), []).append(row)

        async def serial(group: list[OutboxMessage]) -> None:
            for row in group:
                await one(row)

        await asyncio.gather(*(serial(group) for group in by_user.values()))
        return len(rows)

    def _claim(self) -> list[OutboxMessage]:
        with transaction(self.engine) as session:
            return outbox.claim_batch(
                session, worker=self.name, limit=self.batch, channels=list(self.channels)
            )

    async def _send(self, row: OutboxMessage) -> None:
        channel = self.channels.get(row.channel)
        row_id = int(row.id or 0)
        if channel is None:
            await asyncio.to_thread(self._final, row_id, "failed", "no such channel", row)
            return
        outcome, error = await send_once(channel, row.user_key, replies_from_payload(row.payload))
        if outcome is Outcome.SENT:
            await asyncio.to_thread(self._final, row_id, "sent", None, row)
        elif outcome is Outcome.RETRY_LATER and row.attempts < MAX_ATTEMPTS:
            at = utcnow() + dt.timedelta(seconds=backoff(row.attempts, base=1.0))
            await asyncio.to_thread(self._retry, row_id, at, error)
        elif outcome is Outcome.RETRY_LATER:
            await asyncio.to_thread(self._final, row_id, "failed", error, row)
        else:
            await asyncio.to_thread(self._final, row_id, outcome.value, error, row)

    def _final(self, row_id: int, status: str, error: str | None, row: OutboxMessage) -> None:
        with transaction(self.engine) as session:
            outbox.mark(session, row_id, status=status, error=error)
            if status == "unreachable":
                users.mark_unreachable(
                    session, channel=row.channel, user_key=row.user_key, reason=error or status
                )
        if status == "unreachable":
            for hook in self.on_unreachable:
                hook(row.channel, row.user_key)

    def _retry(self, row_id: int, at: dt.datetime, error: str | None) -> None:
        with transaction(self.engine) as session:
            outbox.retry_later(session, row_id, at=at, error=error)
