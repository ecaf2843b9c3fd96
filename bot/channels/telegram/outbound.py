"""The Telegram channel: neutral replies → Bot API calls, Bot API errors → neutral send errors.

Error policy (the caller — `bot.delivery` or the outbox worker — decides about retries):
429 pauses every sender of the process for `retry_after` (the shared RateGate) and raises
RetryAfter; 403 and 400 "chat not found" raise Unreachable; 5xx and network errors raise
TransientError; 400 "can't parse entities" / "message is too long" are our bugs: logged
with the rendered text, and a text that Telegram could not parse is re-sent as plain text
so the resident still gets an answer.

A reply split into several messages is one delivery: once its first message is out, later
ones are retried here (waiting out a 429, backing off on 5xx) instead of raising, because a
retry of the whole batch would send the first messages twice.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    GetUpdates,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import Response
from aiogram.types import (
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
)

from bot.channels.base import Capabilities, PermanentError, RetryAfter, TransientError, Unreachable
from bot.channels.render import render, to_plain
from bot.channels.telegram import CHANNEL, inbound
from bot.delivery import backoff
from bot.ratelimit import Limiter, RateGate
from content import replies as wording
from content.messages import Button, Media, Reply
from handlers.messages import IncomingMessage

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(max_len=4096, buttons=True, html=True)
CALLBACK_DATA_MAX_BYTES = 64
CAPTION_MAX = 1024
# Scam links appear in verdict cards: never let Telegram fetch and preview them.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
OUR_BUGS = ("can't parse entities", "message is too long", "button_data_invalid", "text must be non-empty")

BlockedHook = Callable[[str, str], Awaitable[None]]

# aiogram parses every answer as Response[<result type>], a pydantic generic class that pydantic
# caches only weakly; under load it is collected and rebuilt (about 1 ms each time). Holding the
# classes we use keeps them cached.
_RESPONSE_TYPES = [
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessage, SendPhoto, SendDocument, AnswerCallbackQuery, GetUpdates, SetMyCommands)
]


class TelegramChannel:
    """Sends replies to private chats; `on_blocked` learns of users who blocked the bot."""

    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(
        self,
        bot: Bot,
        *,
        gate: Limiter | None = None,
        on_blocked: BlockedHook | None = None,
        inline_retries: int = 3,
    ) -> None:
        self.bot = bot
        self.gate = gate or RateGate()
        self.on_blocked = on_blocked
        self.inline_retries = inline_retries

    # inbound side (bot.dispatch.InboundChannel)

    def to_messages(self, payload: dict[str, Any]) -> list[IncomingMessage]:
        return inbound.to_messages(payload)

    async def on_update_extras(self, payload: dict[str, Any]) -> None:
        """Stop the button's spinner at once; note a user who blocked the bot."""
        query = payload.get("callback_query")
        if isinstance(query, dict) and query.get("id"):
            await self._answer_callback(str(query["id"]))
        if "my_chat_member" in payload:
            blocked = inbound.blocked_by_user(inbound.parse_update(payload))
            if blocked is not None and self.on_blocked is not None:
                await self.on_blocked(blocked, "blocked the bot (my_chat_member: kicked)")

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot(AnswerCallbackQuery(callback_query_id=query_id))
        except TelegramRetryAfter as exc:
            self.gate.pause(exc.retry_after)
            log.warning("telegram: 429 on answerCallbackQuery; every sender waits %ss", exc.retry_after)
        except TelegramAPIError as exc:
            # A query older than ~15 s cannot be answered any more; the reply itself still goes out.
            log.warning("telegram: answerCallbackQuery failed: %s", self._scrub(str(exc)))

    # outbound side (bot.channels.base.Channel)

    async def send(self, user_key: str, replies: list[Reply]) -> None:
        try:
            chat_id = int(user_key)
        except ValueError as exc:
            raise PermanentError(f"not a Telegram chat id: {user_key!r}") from exc
        calls: list[TelegramMethod[Any]] = []
        for reply, rendered in zip(replies, render(replies, CAPABILITIES), strict=True):
            calls.extend(_calls_for(chat_id, reply, rendered.chunks, rendered.buttons))
        for index, call in enumerate(calls):
            await self._call(call, user_key, started=index > 0)

    async def _call(self, call: TelegramMethod[Any], user_key: str, *, started: bool) -> None:
        attempt = 0
        while True:
            await self.gate.wait(user_key)
            try:
                await self.bot(call)
                return
            except TelegramRetryAfter as exc:
                self.gate.pause(exc.retry_after)
                log.warning("telegram: 429, every sender waits %ss", exc.retry_after)
                if not started or attempt >= self.inline_retries:
                    raise RetryAfter(float(exc.retry_after)) from None
            except TelegramForbiddenError as exc:
                raise Unreachable(_description(exc)) from None
            except TelegramBadRequest as exc:
                call = self._bad_request(call, user_key, exc)
            except TelegramEntityTooLarge as exc:
                raise PermanentError(f"file too large for Telegram: {_description(exc)}") from None
            except (TelegramServerError, TelegramNetworkError) as exc:
                if not started or attempt >= self.inline_retries:
                    raise TransientError(self._scrub(str(exc))) from None
                await asyncio.sleep(backoff(attempt + 1))
            except TelegramAPIError as exc:  # 401/404 (bad token or server), 409, migrated group…
                log.error("telegram: %s refused: %s", type(call).__name__, self._scrub(str(exc)))
                raise PermanentError(self._scrub(_description(exc))) from None
            attempt += 1

    def _bad_request(
        self, call: TelegramMethod[Any], user_key: str, exc: TelegramBadRequest
    ) -> TelegramMethod[Any]:
        """Map a 400; returns the call to try again when a plain-text retry can help."""
        description = _description(exc)
        lowered = description.lower()
        if "chat not found" in lowered or "user not found" in lowered:
            raise Unreachable(description)
        if any(bug in lowered for bug in OUR_BUGS):
            log.error(
                "telegram: our bug, %s refused for chat %s (%s); rendered text: %r",
                type(call).__name__,
                user_key,
                description,
                _text_of(call),
            )
            if "can't parse entities" in lowered and isinstance(call, SendMessage) and call.parse_mode:
                return call.model_copy(update={"text": to_plain(call.text), "parse_mode": None})
        raise PermanentError(description)

    def _scrub(self, text: str) -> str:
        """Never let the token reach a log or an exception text."""
        return text.replace(self.bot.token, "<token>")


def _description(exc: TelegramAPIError) -> str:
    return exc.message


def _text_of(call: TelegramMethod[Any]) -> str:
    return str(getattr(call, "text", None) or getattr(call, "caption", None) or "")


def _calls_for(
    chat_id: int, reply: Reply, chunks: list[str], buttons: list[list[Button]]
) -> list[TelegramMethod[Any]]:
    """The API calls of one reply: media first, text chunks after, buttons on the last message."""
    keyboard = _keyboard(buttons)
    contact = _contact_keyboard() if reply.request_contact else None
    chunks = [part for chunk in chunks if chunk.strip() for part in _fit(chunk)]
    calls: list[TelegramMethod[Any]] = []
    media = list(reply.media)
    # One picture with a short text: send them as one message, the text as its caption.
    if len(media) == 1 and len(chunks) == 1 and _parsed_len(chunks[0]) <= CAPTION_MAX:
        calls.append(_media_call(chat_id, media[0], chunks[0], keyboard or contact))
        if keyboard and contact:
            calls.append(_contact_prompt(chat_id, contact))
        return calls
    for item in media:
        caption = html.escape(item.caption, quote=False) if item.caption else None
        calls.append(_media_call(chat_id, item, caption, None))
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = keyboard if last else None
        if contact is not None and markup is None:
            markup, contact = contact, None
        calls.append(
            SendMessage(
                chat_id=chat_id,
                text=chunk,
                parse_mode="HTML",
                link_preview_options=NO_PREVIEW,
                reply_markup=markup,
            )
        )
    if contact is not None:
        calls.append(_contact_prompt(chat_id, contact))
    if not calls:
        log.error("telegram: empty reply for chat %s; nothing sent", chat_id)
    return calls


def _media_call(
    chat_id: int,
    media: Media,
    caption: str | None,
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None,
) -> TelegramMethod[Any]:
    source: Any = FSInputFile(media.path) if media.path else media.url
    if not source:
        raise PermanentError("media without url or path")
    if media.kind == "photo":
        return SendPhoto(
            chat_id=chat_id, photo=source, caption=caption, parse_mode="HTML", reply_markup=markup
        )
    return SendDocument(
        chat_id=chat_id, document=source, caption=caption, parse_mode="HTML", reply_markup=markup
    )


def _keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Inline buttons; callback_data carries the payload id, which must fit in 64 bytes."""
    keyboard: list[list[InlineKeyboardButton]] = []
    for row in rows:
        out: list[InlineKeyboardButton] = []
        for button in row:
            if button.url:
                out.append(InlineKeyboardButton(text=button.label, url=button.url))
            elif 0 < len(button.payload.encode()) <= CALLBACK_DATA_MAX_BYTES:
                out.append(InlineKeyboardButton(text=button.label, callback_data=button.payload))
            else:
                log.error("telegram: our bug, button payload %r does not fit callback_data", button.payload)
        if out:
            keyboard.append(out)
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


def _contact_keyboard() -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=wording.label("share_contact"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


def _contact_prompt(chat_id: int, contact: ReplyKeyboardMarkup) -> SendMessage:
    """Telegram allows one keyboard per message: the contact button gets its own short one."""
    return SendMessage(chat_id=chat_id, text=wording.label("share_contact_prompt"), reply_markup=contact)


def _fit(chunk: str) -> list[str]:
    """Telegram counts UTF-16 units (an emoji is two): re-split a chunk that only fits in characters."""
    length = _parsed_len(chunk)
    if length <= CAPABILITIES.max_len:
        return [chunk]
    smaller = Capabilities(
        max_len=max(256, len(chunk) * CAPABILITIES.max_len // length), buttons=True, html=True
    )
    return [part for rendered in render([Reply(chunk)], smaller) for part in rendered.chunks]


def _parsed_len(text: str) -> int:
    """Length as Telegram counts it: after entity parsing, in UTF-16 code units."""
    return len(to_plain(text).encode("utf-16-le")) // 2
