"""Inbound pipeline shared by every webhook and poller: record → acknowledge → process in order.

A platform update is written to the inbox (a repeat is dropped) before the webhook
answers; processing happens after, one update at a time per user, so a crash after the
record loses nothing: pending updates are processed again on start. Under load the writes
and the handling of different users' updates are grouped (bot.batching); a user's burst
of forwarded texts or album photos is handled as one message (bot.bursts).

On PostgreSQL several serving processes share the inbox (storage.inbox_lanes): each claims
what it records, handles an update only once no earlier update of the same user is pending
anywhere, renews its claims while it lives and takes over those of a process that died.
The replies are stored with the dialog state, so an update taken over after a crash sends
them rather than being handled again; a reply the platform keeps refusing with a 5xx goes
to the outbox, which retries it with back-off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Engine

from bot import bursts, logs, metrics
from bot.batching import Batcher
from bot.channels.base import Channel
from bot.delivery import Outcome, deliver
from bot.logref import ANONYMOUS, UserRef
from content.messages import Reply
from handlers.conversation import Conversations, Turn, apology
from handlers.messages import IncomingMessage
from storage import inbox, inbox_lanes, outbox, users
from storage.db import is_postgres, is_unavailable, transaction
from storage.models import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

HANDLE_BATCH = 100  # messages routed in one transaction at most
# Messages with files (a screenshot read, evidence downloaded) are handled on threads of their
# own, so however many pictures arrive, text messages still find a free thread at once.
FILE_THREADS = 4
# Waits before handling a message again when the database is unreachable (then: an apology).
DB_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
# Waits between two looks at whether an earlier update of the same user, held by another
# process, is done (doubling from the first to the last).
TURN_POLL = (0.01, 0.2)
SENT_KEY = "canhgiac:sent:"  # + database and inbox update id: its reply left
SENT_KEEP = 3600  # seconds: a take-over happens within the lease


class InboundChannel(Channel, Protocol):
    def to_messages(self, payload: dict[str, Any]) -> list[IncomingMessage]:
        """Translate a recorded update; an empty list means 'nothing to answer' (echo, unknown)."""
        ...

    async def on_update_extras(self, payload: dict[str, Any]) -> None:
        """Platform chores for an update (e.g. answering a callback query); may do nothing."""
        ...


@dataclass
class Recorded:
    update_id: int | None

    @property
    def duplicate(self) -> bool:
        return self.update_id is None


def instance_name() -> str:
    """This process among the serving ones: host, pid and a nonce (a restarted process with a
    recycled pid must not find the claims of its predecessor its own)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        conversations: Conversations,
        *,
        burst_seconds: float = 0.0,
        user_ref: UserRef = ANONYMOUS,
        lease: float = 20.0,
        coordinate: bool | None = None,
        instance: str | None = None,
    ) -> None:
        self.engine = engine
        self.user_ref = user_ref  # how logs name a user (a keyed hash)
        self.conversations = conversations
        # Several processes share the inbox (PostgreSQL): claims, turns and take-overs. The
        # embedded SQLite default is one process and needs none of it.
        self.coordinate = is_postgres(engine) if coordinate is None else coordinate
        self.lease = lease  # seconds without renewal after which a claim may be taken over
        self.instance = instance or instance_name()
        # A user's forwarded texts, or the files of one album, arriving within this window are
        # handled together (0: off).
        self.burst_seconds = burst_seconds
        self.channels: dict[str, InboundChannel] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}  # updates scheduled per user, running or waiting
        # Per user, the just-recorded updates not yet started, in order: a burst's first message
        # takes the ones of its kind behind it (see _bundle); those are then only skipped.
        self._waiting: dict[str, list[bursts.Waiting]] = {}
        self._taken: set[int] = set()
        self._live: set[int] = set()  # updates scheduled in this process and not finished
        self.redis: Any = None  # a redis.asyncio client, to note sent replies at once (see _note_sent)
        self._request_ids: dict[tuple[str, str], str | None] = {}  # being recorded: their request
        self._tasks: set[asyncio.Task[None]] = set()
        # Group commit of the two inbox writes around every update (see bot.batching).
        # The two inbox writes each have a thread of their own: a busy process's handling in the
        # shared pool must not hold up the webhook's answer, nor widen the moment between a
        # reply leaving and its update being marked done (what a crash there sends twice).
        self._recorder: Batcher[inbox.NewUpdate, int | None] = Batcher(
            self._record_many,
            after=self._recorded,
            tasks=self._tasks,
            executor=ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-record"),
        )
        self._finisher: Batcher[tuple[int, str | None], None] = Batcher(
            self._finish_many,
            tasks=self._tasks,
            executor=ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-done"),
        )
        self._turns: Batcher[tuple[int, str, str], inbox_lanes.Turn] = Batcher(
            self._check_turns, tasks=self._tasks
        )
        # Handling too: the messages that queued up while one batch ran share the next one.
        self._handler: Batcher[Turn, list[Reply]] = Batcher(
            conversations.handle_many, tasks=self._tasks, limit=HANDLE_BATCH
        )
        self.on_unreachable: list[Callable[[str, str], None]] = []
        self._files = ThreadPoolExecutor(max_workers=FILE_THREADS, thread_name_prefix="files")

    def add_channel(self, channel: InboundChannel) -> None:
        self.channels[channel.name] = channel

    async def submit(
        self, channel: str, platform_id: str, user_key: str, payload: dict[str, Any]
    ) -> Recorded:
        """Record durably and schedule processing; returns once the record is committed."""
        self._request_ids[(channel, platform_id)] = logs.REQUEST_ID.get()
        try:
            update_id = await self._recorder.submit(inbox.NewUpdate(channel, platform_id, user_key, payload))
        finally:
            self._request_ids.pop((channel, platform_id), None)
        (metrics.UPDATES_DUPLICATE if update_id is None else metrics.UPDATES_RECEIVED).labels(
            channel=channel
        ).inc()
        return Recorded(update_id)

    def _record_many(self, items: list[inbox.NewUpdate]) -> list[int | None]:
        with transaction(self.engine) as session:
            # attempts=1: processing starts right away, from the payload in hand
            return inbox.record_updates(session, items, attempts=1, claimed_by=self.instance)

    def _recorded(self, item: inbox.NewUpdate, update_id: int | None) -> None:
        # Scheduled here, in record order, even if the webhook request went away meanwhile.
        if update_id is not None:
            # Processing logs under the id of the request that brought the update.
            token = logs.REQUEST_ID.set(self._request_ids.get((item.channel, item.platform_id)))
            try:
                self._schedule(update_id, item.channel, item.user_key, (item.channel, item.payload))
            finally:
                logs.REQUEST_ID.reset(token)

    def _schedule(
        self, update_id: int, channel: str, user_key: str, loaded: tuple[str, dict[str, Any]] | None = None
    ) -> None:
        if update_id in self._live:  # taken over again after a long database outage
            return
        self._live.add(update_id)
        key = f"{channel}:{user_key}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        if loaded is not None:
            self._waiting.setdefault(key, []).append(bursts.Waiting(update_id, loaded, time.monotonic()))
        task = asyncio.get_running_loop().create_task(self._run(update_id, lock, (channel, user_key), loaded))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        update_id: int,
        lock: asyncio.Lock,
        user: tuple[str, str],
        loaded: tuple[str, dict[str, Any]] | None,
    ) -> None:
        # asyncio.Lock wakes waiters in FIFO order, so one user's updates keep their order.
        key = f"{user[0]}:{user[1]}"
        logs.UPDATE_ID.set(update_id)  # this task's context: every line it logs names the update
        try:
            async with lock:
                arrived = self._unwait(key, update_id)
                if update_id in self._taken:  # answered with the forwarded text before it
                    self._taken.discard(update_id)
                    return
                try:
                    if self.coordinate and not await self._my_turn(update_id, *user):
                        return
                    await self.process(update_id, loaded, arrived=arrived)
                except Exception:
                    log.exception("update %s could not be processed", update_id)
        finally:
            self._live.discard(update_id)
            # Drop the lock only when no update of this user is queued behind it: right after a
            # release the lock looks free while the next waiter has not run yet, and a fresh
            # lock then would let a later update overtake it.
            self._queued[key] -= 1
            if self._queued[key] == 0:
                del self._queued[key]
                self._locks.pop(key, None)
                self._waiting.pop(key, None)

    async def _my_turn(self, update_id: int, channel: str, user_key: str) -> bool:
        """Wait until no earlier update of the user is pending in any process, handling here
        the earlier ones whose process died; False when the update is no longer this
        process's to handle (done meanwhile, or taken over by another)."""
        delay = TURN_POLL[0]
        while True:
            turn = await _through_blips(
                lambda: self._turns.submit((update_id, channel, user_key)), f"update {update_id}: turn"
            )
            if not turn.mine:
                return False
            blocker = turn.blocker
            if blocker is None:
                return True
            if blocker.claimable_by(
                self.instance, expired_before=self._expired_before()
            ) and await asyncio.to_thread(self._claim, blocker.id):
                log.info("update %s: taking over update %s of the same user first", update_id, blocker.id)
                await self.process(blocker.id)
                delay = TURN_POLL[0]
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, TURN_POLL[1])

    def _check_turns(self, items: list[tuple[int, str, str]]) -> list[inbox_lanes.Turn]:
        with transaction(self.engine) as session:
            return inbox_lanes.turns(session, items, worker=self.instance)

    def _claim(self, update_id: int) -> bool:
        with transaction(self.engine) as session:
            return bool(
                inbox_lanes.claim(
                    session, [update_id], worker=self.instance, expired_before=self._expired_before()
                )
            )

    def _expired_before(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=self.lease)

    async def recover(self) -> int:
        """Schedule the updates recorded but not processed (after a crash or restart): every
        pending one in a single process, those nobody holds when several share the inbox."""
        if self.coordinate:
            rows = await asyncio.to_thread(self._claim_expired)
        else:
            rows = await asyncio.to_thread(self._pending)
        for update_id, channel, user_key in rows:
            self._schedule(update_id, channel, user_key)
        if rows:
            log.info("resuming %d unprocessed updates", len(rows))
        return len(rows)

    async def keep_leases(self) -> None:
        """While the process lives (several processes): renew its claims, and take over the
        pending updates of a process that stopped renewing."""
        if not self.coordinate:
            return
        # A thread of its own: renewals must not queue behind handling in the shared pool, or a
        # busy process would see its updates taken over while it still works on them.
        renewer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-lease")
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await loop.run_in_executor(renewer, self._renew)
                await self.recover()
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                log.warning("inbox lease: database unavailable (%s); again later", type(exc).__name__)

    async def release(self) -> None:
        """On shutdown, after the work in hand: what is still pending goes to the others now."""
        await self.drain()
        if self.coordinate:
            released = await asyncio.to_thread(self._release)
            if released:
                log.info("%d pending updates left to the other processes", released)

    def _renew(self) -> None:
        with transaction(self.engine) as session:
            inbox_lanes.renew(session, worker=self.instance)

    def _release(self) -> int:
        with transaction(self.engine) as session:
            return inbox_lanes.release(session, worker=self.instance)

    def _claim_expired(self) -> list[tuple[int, str, str]]:
        with transaction(self.engine) as session:
            return inbox_lanes.claim_expired(
                session,
                worker=self.instance,
                expired_before=self._expired_before(),
                channels=list(self.channels),
                limit=10_000,
            )

    def _pending(self) -> list[tuple[int, str, str]]:
        with transaction(self.engine) as session:
            return [
                (int(row.id or 0), row.channel, row.user_key)
                for row in inbox.pending_updates(session, limit=10_000)
                if row.channel in self.channels
            ]

    async def drain(self) -> None:
        """Wait for scheduled work (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _unwait(self, key: str, update_id: int) -> float | None:
        """Take the update off its user's waiting list; when it arrived (None if not listed)."""
        waiting = self._waiting.get(key, [])
        for index, item in enumerate(waiting):
            if item.update_id == update_id:
                del waiting[index]
                return item.arrived
        return None

    async def process(
        self,
        update_id: int,
        loaded: tuple[str, dict[str, Any]] | None = None,
        *,
        arrived: float | None = None,
    ) -> None:
        """Answer one recorded update; `loaded` (channel, payload) when it was just recorded with
        its first attempt counted, else it is loaded and its attempt counted here (recovery)."""
        if loaded is None:
            begun = await asyncio.to_thread(self._begin, update_id)
            if begun is None:
                return
            loaded, stored = begun
            if stored is not None:  # handled before a crash: send what was decided then, unless sent
                if await self._was_sent(update_id):
                    log.info("update %s: its reply left before the crash; not sent again", update_id)
                    stored = replace(stored, replies=[])
                resend_error = await self._send(update_id, loaded[0], stored.user_key, stored.replies)
                await self._finish(update_id, resend_error)
                metrics.handled(loaded[0], "failed" if resend_error else "done", None)
                return
        channel_name, payload = loaded
        channel = self.channels[channel_name]
        error: str | None = None
        try:
            await channel.on_update_extras(payload)
            messages = channel.to_messages(payload)
        except Exception as exc:
            log.exception("update %s (%s) is malformed", update_id, channel_name)
            await self._finish(update_id, f"malformed: {exc!r}")
            metrics.handled(channel_name, "malformed", arrived)
            return
        taken: list[int] = []
        if self.burst_seconds > 0 and arrived is not None and len(messages) == 1:
            kind = bursts.kind_of(messages[0])
            if kind is not None:
                messages[0], taken = await self._bundle(messages[0], kind, arrived)
        # The replies are kept with the update (one message per update: nearly always).
        answered = (update_id, *taken) if len(messages) == 1 else ()
        for msg in messages:
            replies = await self._answer(update_id, msg, answered)
            if replies:
                error = await self._send(update_id, channel_name, msg.user_key, replies) or error
        for done in (update_id, *taken):
            await self._finish(done, error)
            metrics.handled(channel_name, "failed" if error else "done", arrived)
        log.debug("update %s: %d message(s) answered, %d joined", update_id, len(messages), len(taken))

    async def _send(
        self, update_id: int, channel_name: str, user_key: str, replies: list[Reply]
    ) -> str | None:
        """Deliver a direct reply; what the platform keeps refusing for now (5xx, timeouts) is
        handed to the outbox. Returns the error to record on the update, if any."""
        if not replies:
            return None
        outcome, send_error = await deliver(self.channels[channel_name], user_key, replies, ref=self.user_ref)
        if outcome is Outcome.SENT:
            await self._note_sent(update_id)
            return None
        if outcome is Outcome.UNREACHABLE:
            await asyncio.to_thread(self._unreachable, channel_name, user_key, send_error)
            return None
        if outcome is Outcome.RETRY_LATER:
            log.warning("update %s: reply not delivered (%s); handed to the outbox", update_id, send_error)
            await _through_blips(
                lambda: asyncio.to_thread(self._hand_over, update_id, channel_name, user_key, replies),
                f"update {update_id}: handing the reply to the outbox",
            )
            return None
        error = f"reply not delivered: {outcome.value}: {send_error}"
        log.error("update %s: %s", update_id, error)
        return error

    async def _note_sent(self, update_id: int) -> None:
        """Record at once, in Redis, that the update's reply left: marking the update done in the
        database comes a little later (a batched write), and a crash in between would otherwise
        have the reply sent again by the process that takes the update over."""
        if self.redis is None:
            return
        try:
            await asyncio.wait_for(self.redis.set(self._sent_key(update_id), 1, ex=SENT_KEEP), timeout=1)
        except Exception as exc:  # without Redis, a crash here may repeat this one reply
            log.warning("update %s: could not note the reply as sent: %s", update_id, type(exc).__name__)

    def _sent_key(self, update_id: int) -> str:
        return f"{SENT_KEY}{self.engine.url.database}:{update_id}"

    async def _was_sent(self, update_id: int) -> bool:
        if self.redis is None:
            return False
        try:
            return bool(await asyncio.wait_for(self.redis.exists(self._sent_key(update_id)), timeout=2))
        except Exception as exc:  # unknown: send, as without Redis
            log.warning(
                "update %s: could not check whether its reply left: %s", update_id, type(exc).__name__
            )
            return False

    def _hand_over(self, update_id: int, channel_name: str, user_key: str, replies: list[Reply]) -> None:
        """Queue the reply and mark the update done in one transaction: after a crash it is
        neither lost nor sent both ways."""
        with transaction(self.engine) as session:
            outbox.enqueue(
                session,
                channel=channel_name,
                user_key=user_key,
                replies=replies,
                kind="reply",
                priority=outbox.PRIORITY_REPLY,
                dedupe_key=f"reply:{channel_name}:{update_id}:{user_key}"[:200],
            )
            inbox.finish_updates(session, [(update_id, None)])

    async def _bundle(
        self, first: IncomingMessage, kind: str, arrived: float
    ) -> tuple[IncomingMessage, list[int]]:
        """Wait out the burst window, then join the messages of `kind` queued behind `first`
        (see bot.bursts); the update ids taken with it."""
        key = f"{first.channel}:{first.user_key}"
        await asyncio.sleep(max(0.0, arrived + self.burst_seconds - time.monotonic()))
        parts, taken = [first], []
        channel = self.channels[first.channel]
        for item in list(self._waiting.get(key, [])):
            if item.loaded[0] != first.channel:
                break
            try:
                following = channel.to_messages(item.loaded[1])
            except Exception:  # processed (and logged) on its own turn
                break
            if (
                len(following) != 1
                or bursts.kind_of(following[0]) != kind
                or not bursts.fits(parts, following[0])
            ):
                break
            await channel.on_update_extras(item.loaded[1])
            parts.append(following[0])
            taken.append(item.update_id)
            self._taken.add(item.update_id)
        if not taken:
            return first, []
        log.info("update %s: %d messages (%s) handled together", first.platform_id, len(parts), kind)
        return bursts.join(parts, kind), taken

    async def _answer(self, update_id: int, msg: IncomingMessage, answered: tuple[int, ...]) -> list[Reply]:
        turn = Turn(
            msg, numbered_options=not self.channels[msg.channel].capabilities.buttons, update_ids=answered
        )

        async def handle() -> list[Reply]:
            if msg.attachments:
                # A file is downloaded and stored while handling: kept out of a batch, whose
                # retry after another message's error would store it twice.
                loop = asyncio.get_running_loop()
                return (await loop.run_in_executor(self._files, self.conversations.handle_many, [turn]))[0]
            return await self._handler.submit(turn)

        try:
            # Through a blip of the database the resident waits a little for the real answer.
            return await _through_blips(handle, f"update {update_id}: handling")
        except Exception:
            log.exception("handler failed on update %s (%s %s)", update_id, msg.channel, msg.platform_id)
            return apology()

    async def _finish(self, update_id: int, error: str | None) -> None:
        """Mark the update processed; if the database stays away, it stays pending and is
        processed again after a restart."""
        await _through_blips(
            lambda: self._finisher.submit((update_id, error)), f"update {update_id}: marking done"
        )

    def _begin(self, update_id: int) -> tuple[tuple[str, dict[str, Any]], inbox_lanes.Answer | None] | None:
        """Load a pending update and count the attempt; with the replies decided before a crash."""
        with transaction(self.engine) as session:
            row = inbox.get_update(session, update_id)
            if row is None or row.status != "pending":
                return None
            attempts = inbox.start_attempt(session, update_id)
            if attempts > inbox.MAX_ATTEMPTS:
                inbox.finish_update(session, update_id, error="gave up after repeated crashes")
                log.error("update %s abandoned after %d attempts", update_id, attempts - 1)
                return None
            return (row.channel, dict(row.payload)), inbox_lanes.stored_answer(row)

    def _finish_many(self, results: list[tuple[int, str | None]]) -> list[None]:
        with transaction(self.engine) as session:
            inbox.finish_updates(session, results)
        return [None] * len(results)

    async def mark_unreachable(self, channel: str, user_key: str, reason: str) -> None:
        """The platform told us the user is gone (e.g. blocked the bot): record it, run the hooks."""
        await asyncio.to_thread(self._unreachable, channel, user_key, reason)

    def _unreachable(self, channel: str, user_key: str, reason: str | None) -> None:
        with transaction(self.engine) as session:
            users.mark_unreachable(
                session, channel=channel, user_key=user_key, reason=reason or "unreachable"
            )
        for hook in self.on_unreachable:
            hook(channel, user_key)


async def _through_blips(call: Callable[[], Awaitable[T]], what: str) -> T:
    """`call()`, again after each of DB_RETRY_DELAYS while the database is unavailable; any
    other error, or the last one, is raised."""
    for delay in DB_RETRY_DELAYS:
        try:
            return await call()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("%s: database unavailable (%s); again in %.1fs", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)
    return await call()
