"""The Zalo Bot API (bot platform, 2025+): a second, simpler Zalo channel.

Telegram-like: a static token inside the URL path (`/bot<TOKEN>/<method>`), JSON bodies,
an `{ok, result}` / `{ok: false, error_code, description}` envelope. No buttons (options
are numbered), no upload (photos by public URL), no location or file events. Since the
token is in every URL, URLs and httpx exception texts are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine

from bot.channels.base import Capabilities, PermanentError, RetryAfter, TransientError
from bot.channels.render import render, to_plain
from bot.channels.zalo.client import RetryPolicy
from bot.channels.zalo.errors import BadRequest, ConfigurationError, RateLimited, ServerError, ZaloError
from bot.channels.zalo.guard import SendGuard, SendProgress
from bot.channels.zalo.models import MAX_TEXT
from bot.ratelimit import Limiter, RateGate
from content.messages import Reply
from handlers.messages import Attachment, IncomingMessage

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
CAPABILITIES = Capabilities(max_len=MAX_TEXT, buttons=False, html=False)
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s\"']+/")


class _RedactBotToken(logging.Filter):
    """httpx logs each request URL at INFO; the Bot API token is part of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = _TOKEN_IN_PATH.sub("/bot***/", message), None
        return True


_REDACT = _RedactBotToken()


class _Result(BaseModel):
    model_config = ConfigDict(extra="ignore")


class BotInfo(_Result):
    id: str
    account_name: str | None = None
    account_type: str | None = None
    can_join_groups: bool | None = None


class WebhookInfo(_Result):
    url: str = ""
    updated_at: int | None = None


class SentMessage(_Result):
    message_id: str = ""
    date: int | None = None


class ZaloBotClient:
    """One method per Bot API method we use; `http` is shared and closed by its owner."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str,
        *,
        base_url: str = "https://bot-api.zaloplatforms.com",
        retry: RetryPolicy | None = None,
        gate: Limiter | None = None,
    ) -> None:
        self._http = http
        self._token = token
        self._base = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.gate = gate or RateGate(per_second=20.0)  # undocumented limit: stay modest
        if _REDACT not in logging.getLogger("httpx").filters:
            logging.getLogger("httpx").addFilter(_REDACT)

    def __repr__(self) -> str:
        return f"ZaloBotClient({self._base})"

    async def get_me(self) -> BotInfo:
        return BotInfo.model_validate(await self._call("getMe", {}))

    async def set_webhook(self, url: str, secret_token: str) -> WebhookInfo:
        return WebhookInfo.model_validate(
            await self._call("setWebhook", {"url": url, "secret_token": secret_token})
        )

    async def delete_webhook(self) -> WebhookInfo:
        return WebhookInfo.model_validate(await self._call("deleteWebhook", {}))

    async def get_webhook_info(self) -> WebhookInfo:
        return WebhookInfo.model_validate(await self._call("getWebhookInfo", {}))

    async def send_message(self, chat_id: str, text: str) -> SentMessage:
        if not 1 <= len(text) <= MAX_TEXT:
            raise BadRequest(0, f"text must be 1-{MAX_TEXT} characters")
        return SentMessage.model_validate(await self._call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> SentMessage:
        body: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            body["caption"] = caption[:MAX_TEXT]
        return SentMessage.model_validate(await self._call("sendPhoto", body))

    async def _call(self, method: str, body: dict[str, Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            await self.gate.wait()
            try:
                return await self._once(method, body)
            except (RateLimited, ServerError) as exc:
                delay = self.retry.delay(attempt)
                if isinstance(exc, RateLimited):
                    exc.retry_after = delay
                    self.gate.pause(delay)
                if attempt >= self.retry.attempts:
                    raise
                log.warning(
                    "%s on %s; try %d again in %.2fs", exc.named("Zalo Bot API"), method, attempt + 1, delay
                )
                await asyncio.sleep(delay)

    async def _once(self, method: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(f"{self._base}/bot{self._token}/{method}", json=body)
        except httpx.TimeoutException:
            raise ServerError(0, "timeout") from None
        except httpx.TransportError as exc:
            raise ServerError(0, f"network error ({type(exc).__name__})") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        code = response.status_code
        description = ""
        if isinstance(data, dict):
            with contextlib.suppress(TypeError, ValueError):
                code = int(data.get("error_code") or code)
            description = str(data.get("description") or "")
        raise _bot_error(code, description)


def _bot_error(code: int, description: str) -> ZaloError:
    if code in (401, 403, 404):
        return ConfigurationError(code, description or "bot token refused")
    if code == 429:
        return RateLimited(code, description)
    if code >= 500 or code == 408:
        return ServerError(code, description)
    return BadRequest(code, description)


# -- inbound ------------------------------------------------------------------------------


def unwrap(body: object) -> dict[str, Any] | None:
    """The update in either form Zalo sends: `{ok, result: {…}}` (documented) or flat (observed)."""
    if not isinstance(body, dict):
        return None
    result = body.get("result")
    if isinstance(result, dict) and "event_name" in result:
        return result
    return body if "event_name" in body else None


def update_ids(update: dict[str, Any]) -> tuple[str, str]:
    """(platform id for dedupe, chat id to reply to)."""
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    assert isinstance(message, dict)
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    assert isinstance(chat, dict) and isinstance(sender, dict)
    chat_id = str(chat.get("id") or sender.get("id") or "")[:128]
    return f"{update.get('event_name', '')}:{message.get('message_id', '')}"[:128], chat_id


def to_messages(update: dict[str, Any]) -> list[IncomingMessage]:
    event = str(update.get("event_name") or "")
    message = update.get("message")
    if not event.startswith("message.") or not isinstance(message, dict):
        log.warning("Zalo Bot API event %r not handled", event[:64])
        return []
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    assert isinstance(chat, dict) and isinstance(sender, dict)
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return []  # groups are not served: a scam check per group message would be noise
    platform_id, chat_id = update_ids(update)
    if not chat_id:
        raise ValueError("Bot API message without a chat id")
    text = str(message.get("text") or message.get("caption") or "")
    attachments: list[Attachment] = []
    if event == "message.image.received":
        url = str(message.get("photo_url") or message.get("photo") or "")
        attachments.append(Attachment(kind="photo", ref=url[:500], url=url or None))
    elif event == "message.sticker.received":
        attachments.append(Attachment(kind="sticker", ref=str(message.get("sticker") or "")[:500]))
    elif event == "message.voice.received":
        url = str(message.get("voice_url") or "")
        attachments.append(Attachment(kind="audio", ref=url[:500], url=url or None))
    elif event != "message.text.received":
        # Content withheld (e.g. a protected minor) or a new type: answer kindly, never fail.
        attachments.append(Attachment(kind="unsupported"))
    return [
        IncomingMessage(
            channel=CHANNEL,
            user_key=chat_id,
            text=text,
            attachments=tuple(attachments),
            display_name=str(sender["display_name"])[:200] if sender.get("display_name") else None,
            received_at=_date(message.get("date")),
            platform_id=platform_id,
            extras={"zalo_bot_event": event},
        )
    ]


def _date(value: object) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(str(value)) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return dt.datetime.now(dt.UTC)


# -- the channel --------------------------------------------------------------------------


class ZaloBotChannel:
    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(self, client: ZaloBotClient, engine: Engine, *, guard: SendGuard | None = None) -> None:
        self.client = client
        self.guard = guard or SendGuard(engine, CHANNEL)
        self.progress = SendProgress()

    async def send(self, user_key: str, replies: list[Reply]) -> None:
        self.guard.check()
        calls: list[tuple[str, str | None]] = []  # (text, photo url)
        for reply, rendered in zip(replies, render(replies, CAPABILITIES), strict=True):
            for media in reply.media:
                if media.url and media.kind == "photo":
                    calls.append((to_plain(media.caption or ""), media.url))
                elif media.url:
                    calls.append((media.url, None))
                else:
                    log.warning("Zalo Bot API cannot upload files; a local file was left out")
            calls.extend((chunk, None) for chunk in rendered.chunks if chunk.strip())
        key = self.progress.key(user_key, replies)
        for index in range(self.progress.take(key), len(calls)):
            text, photo = calls[index]
            try:
                if photo:
                    await self.client.send_photo(user_key, photo, text or None)
                else:
                    await self.client.send_message(user_key, text)
            except ZaloError as exc:
                self.progress.remember(key, index)
                raise await self._translate(exc) from None

    async def _translate(self, exc: ZaloError) -> Exception:
        if isinstance(exc, RateLimited):
            return RetryAfter(exc.retry_after, str(exc))
        if isinstance(exc, ServerError):
            return TransientError(str(exc))
        if isinstance(exc, ConfigurationError):
            return await self.guard.trip(str(exc), hint="Check CANHGIAC_ZALO_BOT_TOKEN in Zalo Bot Creator.")
        log.error("Zalo Bot API refused our request: %s", exc)
        return PermanentError(str(exc))

    def to_messages(self, payload: dict[str, Any]) -> list[IncomingMessage]:
        return to_messages(payload)

    async def on_update_extras(self, payload: dict[str, Any]) -> None:
        return None
