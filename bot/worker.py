"""The outbox worker: claims due rows, sends them within rate limits, records every outcome.

Crash safety: a row is claimed ('sending', with this worker's name and a lease the worker
keeps renewing), sent, and its outcome written within about a second. A row recorded as
sent is never claimed again; if the worker dies, only its claimed rows return to the
queue when the lease runs out, and of those only the ones already sent can go out twice.
Several workers on PostgreSQL claim with SKIP LOCKED and never share a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.channels.base import Channel
from bot.delivery import Outcome, backoff, send_once
from bot.logref import ANONYMOUS, UserRef
from content.messages import Reply, replies_from_payload
from storage import alerts, outbox, users
from storage.db import transaction
from storage.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_PAUSES_IN_PLACE = 5


@dataclass
class _Result:
    row: OutboxMessage
    status: str  # a final status, or "retry"
    error: str | None = None
    retry_at: dt.datetime | None = None


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        channels: dict[str, Channel],
        *,
        batch: int = 50,
        idle_sleep: float = 0.5,
        concurrency: int = 16,
        lease: float = 30.0,
        flush_every: float = 1.0,
        name: str | None = None,
        user_ref: UserRef = ANONYMOUS,
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.user_ref = user_ref  # how logs name a recipient (a keyed hash)
        self.batch = batch
        self.idle_sleep = idle_sleep
        self.concurrency = concurrency
        self.lease = lease
        self.flush_every = flush_every
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.on_unreachable: list[Callable[[str, str], None]] = []
        self._stop = asyncio.Event()
        self._results: list[_Result] = []
        self._cancelled: set[int] = set()
        self._alert_replies: dict[int, list[Reply]] = {}
        self._flush_lock = asyncio.Lock()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        log.info("outbox worker %s started", self.name)
        heartbeat = asyncio.create_task(self._heartbeat())
        last_tick = 0.0
        try:
            while not self._stop.is_set():
                try:
                    if time.monotonic() - last_tick >= 1.0:
                        last_tick = time.monotonic()
                        await asyncio.to_thread(self.tick_alerts)
                    sent = await self.run_once()
                except Exception:
                    log.exception("outbox worker loop failed; retrying")
                    sent = 0
                if sent == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), timeout=self.idle_sleep)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    def tick_alerts(self) -> None:
        """Fan out alerts whose time has come (a chunk per transaction: this worker and others
        send the first rows meanwhile); close alerts whose every row has an outcome."""
        started = alerts.run_due(self.engine)
        with transaction(self.engine) as session:
            done = alerts.finish_sent(session)
        for alert_id in started:
            log.info("alert %s: fanned out, sending", alert_id)
        for alert_id in done:
            log.info("alert %s: every recipient has an outcome", alert_id)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(max(self.lease / 3, 0.05))
            try:
                # Never at the same time as a flush: both update this worker's rows.
                async with self._flush_lock:
                    await asyncio.to_thread(self._renew)
            except Exception:
                log.exception("could not renew the outbox lease")

    def _renew(self) -> None:
        with transaction(self.engine) as session:
            outbox.renew_lease(session, worker=self.name)

    async def run_once(self) -> int:
        """Claim and send one batch; returns how many rows were handled."""
        if self._results:  # outcomes a failed flush left behind go first
            await self._flush()
        rows = await asyncio.to_thread(self._claim)
        if not rows:
            return 0
        self._cancelled = await asyncio.to_thread(self._prepare, rows)
        to_send: list[OutboxMessage] = []
        for row in rows:
            if row.alert_id is not None and row.alert_id in self._cancelled:
                self._results.append(_Result(row, "cancelled"))
            elif row.attempts > MAX_ATTEMPTS:
                self._results.append(_Result(row, "failed", "gave up after repeated attempts"))
            else:
                to_send.append(row)

        semaphore = asyncio.Semaphore(self.concurrency)
        # Rows of the same recipient go one after the other, in id order.
        by_user: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in to_send:
            by_user.setdefault((row.channel, row.user_key), []).append(row)

        async def serial(group: list[OutboxMessage]) -> None:
            for row in group:
                async with semaphore:
                    result = await self._send(row)
                # Not `self._results.append(await …)`: a flush swaps the list while we wait.
                self._results.append(result)

        flusher = asyncio.create_task(self._flush_periodically())
        try:
            await asyncio.gather(*(serial(group) for group in by_user.values()))
        finally:
            flusher.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await flusher
        await self._flush()
        return len(rows)

    def _claim(self) -> list[OutboxMessage]:
        with transaction(self.engine) as session:
            return outbox.claim_batch(
                session,
                worker=self.name,
                limit=self.batch,
                channels=list(self.channels),
                stale_after=dt.timedelta(seconds=self.lease),
            )

    def _prepare(self, rows: list[OutboxMessage]) -> set[int]:
        """Alerts cancelled meanwhile, and the message of alerts not seen yet, in one read."""
        alert_ids = {r.alert_id for r in rows if r.alert_id is not None}
        with transaction(self.engine) as session:
            missing = alert_ids - set(self._alert_replies)
            self._alert_replies.update(alerts.broadcast_replies(session, missing))
            return alerts.cancelled_among(session, alert_ids)

    def _replies(self, row: OutboxMessage) -> list[Reply]:
        if "replies" in row.payload or row.alert_id is None:
            return replies_from_payload(row.payload)
        return self._alert_replies.get(row.alert_id, [])

    async def _send(self, row: OutboxMessage) -> _Result:
        """One row through its channel; the channel keeps the platform's rate and window rules.

        The channel's rate gate counts this as queued traffic (a slot of the overall rate,
        the per-chat gap) and pauses every sender on a 429; the row then waits in place.
        """
        channel = self.channels.get(row.channel)
        if channel is None:
            return _Result(row, "failed", "no such channel")
        replies = self._replies(row)
        if not replies:
            return _Result(row, "failed", "nothing to send")
        last_wait = 1.0
        for _ in range(MAX_PAUSES_IN_PLACE):
            if row.alert_id is not None and row.alert_id in self._cancelled:
                return _Result(row, "cancelled")
            retry_after: list[float] = []
            outcome, error = await send_once(
                channel, row.user_key, replies, on_retry_after=retry_after.append, ref=self.user_ref
            )
            if outcome is Outcome.SENT:
                return _Result(row, "sent")
            if outcome is not Outcome.RETRY_LATER:
                return _Result(row, outcome.value, error)
            if not retry_after:  # 5xx, timeout: back to the queue with backoff
                if row.attempts >= MAX_ATTEMPTS:
                    return _Result(row, "failed", error)
                delay = backoff(row.attempts, base=1.0)
                return _Result(row, "retry", error, utcnow() + dt.timedelta(seconds=delay))
            last_wait = retry_after[0]
        at = utcnow() + dt.timedelta(seconds=last_wait)
        return _Result(row, "retry", "rate limited repeatedly", at)

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every)
            try:
                await self._flush()
            except Exception:
                log.exception("could not record outcomes; trying again")

    async def _flush(self) -> None:
        """Write the outcomes gathered so far in one transaction; refresh cancelled alerts.

        Shielded: cancelling the caller does not lose outcomes already being written,
        and a failed write puts them back to be written by the next flush.
        """
        async with self._flush_lock:
            results, self._results = self._results, []
            if not results:
                return
            alert_ids = {r.row.alert_id for r in results if r.row.alert_id is not None}
            try:
                cancelled = await asyncio.shield(asyncio.to_thread(self._write, results, alert_ids))
            except BaseException:
                self._results = results + self._results
                raise
            self._cancelled |= cancelled

    def _write(self, results: list[_Result], alert_ids: set[int]) -> set[int]:
        groups: dict[tuple[str, str | None], list[int]] = {}
        gone: list[_Result] = []
        with transaction(self.engine) as session:
            for result in results:
                row_id = int(result.row.id or 0)
                if result.status == "retry":
                    at = result.retry_at or utcnow()
                    outbox.retry_later(session, row_id, at=at, error=result.error, worker=self.name)
                    continue
                groups.setdefault((result.status, result.error), []).append(row_id)
                if result.status == "unreachable":
                    gone.append(result)
            for (status, error), ids in groups.items():
                outbox.mark_many(session, ids, status=status, error=error, worker=self.name)
            for result in gone:
                reason = result.error or "unreachable"
                users.mark_unreachable(
                    session, channel=result.row.channel, user_key=result.row.user_key, reason=reason
                )
            cancelled = alerts.cancelled_among(session, alert_ids)
        for result in gone:  # e.g. end the recipient's subscriptions (see bot.runtime)
            for hook in self.on_unreachable:
                try:
                    hook(result.row.channel, result.row.user_key)
                except Exception:
                    log.exception("unreachable hook failed for %s", result.row.channel)
        return cancelled
