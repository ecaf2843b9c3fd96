"""Long polling (getUpdates) for the embedded default: no public address needed.

Each batch is recorded through `Dispatcher.submit` before the offset moves past it. The
offset is what confirms updates to Telegram, so a crash before a record leaves the update
on Telegram's side, and one after it is either processed on restart (`recover`) or
delivered again and dropped as a repeat. Only one process may poll a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramConflictError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import DeleteWebhook, GetUpdates
from aiogram.types import Update

from bot.channels.telegram import ALLOWED_UPDATES, CHANNEL, inbound
from bot.delivery import backoff
from bot.dispatch import Dispatcher

log = logging.getLogger(__name__)


class TelegramPoller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        timeout: int = 25,
        limit: int = 100,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.timeout = timeout
        self.limit = limit
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.offset: int | None = None
        self._stop = asyncio.Event()
        self._failures = 0

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Poll until stopped; every failure is logged and retried with backoff and jitter."""
        await self._drop_webhook()
        log.info("telegram: long polling started")
        while not self._stop.is_set():
            try:
                await self.poll_once()
                self._failures = 0
            except TelegramRetryAfter as exc:
                log.warning("telegram: 429 on getUpdates; waiting %ss", exc.retry_after)
                await self._sleep(float(exc.retry_after))
            except TelegramConflictError as exc:
                log.error("telegram: getUpdates conflict (%s): another process polls this token", exc.message)
                await self._fail()
            except TelegramUnauthorizedError:
                log.critical("telegram: the token was refused; check CANHGIAC_TELEGRAM_TOKEN")
                await self._fail()
            except (TelegramAPIError, OSError) as exc:
                log.warning("telegram: getUpdates failed: %s", exc)
                await self._fail()
            except Exception:
                # Most likely the database: the offset did not move, so nothing is lost.
                log.exception("telegram: updates could not be recorded; retrying")
                await self._fail()

    async def poll_once(self) -> int:
        """Fetch one batch, record it, move the offset; returns how many updates came."""
        updates = await self.bot(
            GetUpdates(
                offset=self.offset, limit=self.limit, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES
            ),
            request_timeout=self.timeout + 30,
        )
        for update in updates:
            await self._record(update)
            self.offset = update.update_id + 1
        return len(updates)

    async def _record(self, update: Update) -> None:
        user_key = inbound.user_key_of(update)
        if user_key is None:
            return
        payload: dict[str, Any] = update.model_dump(mode="json", exclude_none=True, by_alias=True)
        await self.dispatcher.submit(CHANNEL, str(update.update_id), user_key, payload)

    async def _drop_webhook(self) -> None:
        """getUpdates refuses to work while a webhook is set; pending updates are kept."""
        while not self._stop.is_set():
            try:
                await self.bot(DeleteWebhook(drop_pending_updates=False))
                return
            except TelegramAPIError as exc:
                log.warning("telegram: deleteWebhook failed: %s", exc)
                await self._fail()

    async def _fail(self) -> None:
        self._failures += 1
        await self._sleep(backoff(self._failures, base=self.base_delay, cap=self.max_delay) + self.base_delay)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
