"""Stop sending on a configuration error and tell a human, once, in the log and the console.

A dead token, a revoked permission or a wrong app id fails every call the same way;
hammering Zalo with them helps no one. The guard stops the channel for a while (it
retries by itself afterwards, so a fixed setup resumes without a restart) and records
one alert: a CRITICAL log line and an audit entry the officers' console lists.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict

from sqlalchemy.engine import Engine

from bot.channels.base import PermanentError
from content.messages import Reply, replies_to_payload
from storage import audit
from storage.db import transaction

log = logging.getLogger(__name__)

ALERT_ACTION = "channel_alert"


class SendGuard:
    def __init__(self, engine: Engine, channel: str, *, halt_seconds: float = 600.0) -> None:
        self.engine = engine
        self.channel = channel
        self.halt_seconds = halt_seconds
        self._until = 0.0
        self._reason: str | None = None

    @property
    def halted(self) -> str | None:
        """Why sending is stopped, or None when it runs."""
        return self._reason if time.monotonic() < self._until else None

    def check(self) -> None:
        reason = self.halted
        if reason is not None:
            raise PermanentError(f"{self.channel} sending stopped: {reason}")

    async def trip(self, reason: str, *, hint: str) -> PermanentError:
        """Stop sending, alert once per stop, and return the error the send raises."""
        first = self.halted is None
        self._until = time.monotonic() + self.halt_seconds
        self._reason = reason
        if first:
            log.critical("ALERT %s: sending stopped: %s. %s", self.channel, reason, hint)
            try:
                await asyncio.to_thread(self._record, reason, hint)
            except Exception:
                log.exception("could not record the %s alert", self.channel)
        return PermanentError(f"{self.channel} sending stopped: {reason}")

    def resume(self) -> None:
        self._until = 0.0
        self._reason = None

    def _record(self, reason: str, hint: str) -> None:
        with transaction(self.engine) as session:
            audit.record(
                session,
                actor=f"system:{self.channel}",
                action=ALERT_ACTION,
                target_type="channel",
                target_id=self.channel,
                detail={"reason": reason, "hint": hint},
            )


class SendProgress:
    """How many API calls of a failed send already went out, so its retry skips them.

    Kept in memory (bounded): after a restart a retried send may repeat a part, which is
    better than losing the rest.
    """

    def __init__(self, *, keep: int = 10_000) -> None:
        self.keep = keep
        self._done: OrderedDict[str, int] = OrderedDict()

    @staticmethod
    def key(user_key: str, replies: list[Reply]) -> str:
        blob = json.dumps(replies_to_payload(replies), sort_keys=True, ensure_ascii=False)
        return user_key + ":" + hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def take(self, key: str) -> int:
        """Calls already made for this send (and forget them: a success needs no record)."""
        return self._done.pop(key, 0)

    def remember(self, key: str, done: int) -> None:
        if done <= 0:
            return
        self._done[key] = done
        self._done.move_to_end(key)
        while len(self._done) > self.keep:
            self._done.popitem(last=False)
