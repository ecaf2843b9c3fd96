"""The Zalo webhooks: verify, record durably, answer at once; processing happens after.

Zalo wants an HTTP 200 within 2 seconds or it retries (and may disable the webhook), so
the request does only what must happen before the answer: check the signature or the
secret, drop echoes and unknown events, and write the update to the inbox (a repeat is
dropped there). The dispatcher processes it afterwards, one update at a time per user.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot import safe_json
from bot.channels.zalo import bot_api
from bot.channels.zalo.inbound import CHANNEL, classify, sanitize
from bot.channels.zalo.signature import SignatureVerifier
from bot.dispatch import Dispatcher, Recorded

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
# Time allowed for the durable record before answering 503 (Zalo then retries, the inbox dedupes).
RECORD_TIMEOUT = 1.5


def _ok(**extra: Any) -> JSONResponse:
    return JSONResponse({"ok": True, **extra})


def _refuse(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": reason}, status_code=status)


async def _read(request: Request) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = await request.body()
    return body if len(body) <= MAX_BODY else None


async def _record(
    dispatcher: Dispatcher, channel: str, platform_id: str, user_key: str, payload: dict[str, Any]
) -> Recorded:
    # Shielded: if the answer must go before the record finishes, the record still completes.
    task = asyncio.ensure_future(dispatcher.submit(channel, platform_id, user_key, payload))
    task.add_done_callback(_consume)
    return await asyncio.wait_for(asyncio.shield(task), timeout=RECORD_TIMEOUT)


def _consume(task: asyncio.Future[Recorded]) -> None:
    """A record that failed after we answered 503 is logged here, not as 'never retrieved'."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a late Zalo inbox record failed: %r", task.exception())


FUTURE_MS = 600_000  # clocks differ; a signed event from further ahead is not Zalo's


def _age_ms(timestamp: object) -> float | None:
    try:
        return time.time() * 1000 - int(str(timestamp))
    except ValueError:
        return None


OA_PATH = "/webhooks/zalo"
BOT_PATH = "/webhooks/zalo-bot"
Endpoint = Callable[[Request], Awaitable[JSONResponse]]


def oa_endpoint(
    dispatcher: Dispatcher, verifier: SignatureVerifier, *, max_age_hours: float = 24.0
) -> Endpoint:
    """POST /webhooks/zalo (served by bot.web.direct). A signed event older than `max_age_hours`
    by its signed timestamp is ignored: the inbox forgets handled ids after a while, so the age
    is what stops an old captured request from being taken again."""
    matched: set[str] = set()
    max_age_ms = max_age_hours * 3_600_000

    async def zalo_webhook(request: Request) -> JSONResponse:
        body = await _read(request)
        if body is None:
            log.warning("Zalo webhook body too large; rejected")
            return _refuse(413, "too large")
        try:
            data = safe_json.loads(body)
        except ValueError as exc:
            log.warning("Zalo webhook body is not valid JSON (%s); rejected", str(exc)[:100])
            return _refuse(400, "not JSON")
        variant = verifier.verify(request.headers.get("X-ZEvent-Signature"), body)
        if variant is None:
            log.warning("Zalo webhook with a missing or wrong signature rejected (%d bytes)", len(body))
            return _refuse(401, "bad signature")
        if variant not in matched:
            matched.add(variant)
            log.info("Zalo webhook signature matched variant %s", variant)
        age_ms = _age_ms(data.get("timestamp"))
        if age_ms is None or age_ms > max_age_ms or age_ms < -FUTURE_MS:
            log.warning("Zalo event with a timestamp outside the accepted window ignored (age %s ms)", age_ms)
            return _ok(ignored="stale")
        event = classify(data)
        if event.kind == "echo" or event.kind == "quiet":
            return _ok(ignored=event.name)
        if event.kind == "unknown":
            log.warning("Zalo event %r is not handled; acknowledged", event.name[:64])
            return _ok(ignored=event.name)
        if not event.user_key:
            log.warning("Zalo event %s without a user id; acknowledged", event.name)
            return _ok(ignored=event.name)
        try:
            recorded = await _record(dispatcher, CHANNEL, event.platform_id, event.user_key, sanitize(data))
        except TimeoutError:
            log.error("Zalo update %s not recorded within %.1fs; Zalo will retry", event.name, RECORD_TIMEOUT)
            return _refuse(503, "busy")
        except Exception:
            log.exception("Zalo update %s could not be recorded; Zalo will retry", event.name)
            return _refuse(503, "not recorded")
        return _ok(duplicate=recorded.duplicate)

    return zalo_webhook


def bot_endpoint(dispatcher: Dispatcher, secret: str | None) -> Endpoint:
    """POST /webhooks/zalo-bot (served by bot.web.direct)."""

    async def zalo_bot_webhook(request: Request) -> JSONResponse:
        given = request.headers.get("X-Bot-Api-Secret-Token", "")
        if not secret or not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
            log.warning("Zalo Bot API webhook with a missing or wrong secret rejected")
            return _refuse(401, "bad secret")
        body = await _read(request)
        if body is None:
            return _refuse(413, "too large")
        try:
            update = bot_api.unwrap(safe_json.loads(body))
        except ValueError as exc:
            log.warning("Zalo Bot API webhook body is not valid JSON (%s); rejected", str(exc)[:100])
            return _refuse(400, "not JSON")
        if update is None:
            log.warning("Zalo Bot API webhook without an event; acknowledged")
            return _ok(ignored="no event")
        platform_id, chat_id = bot_api.update_ids(update)
        if not chat_id:
            log.warning("Zalo Bot API event without a chat id; acknowledged")
            return _ok(ignored="no chat")
        try:
            recorded = await _record(dispatcher, bot_api.CHANNEL, platform_id, chat_id, update)
        except TimeoutError:
            log.error("Zalo Bot API update not recorded within %.1fs", RECORD_TIMEOUT)
            return _refuse(503, "busy")
        except Exception:
            log.exception("Zalo Bot API update could not be recorded")
            return _refuse(503, "not recorded")
        return _ok(duplicate=recorded.duplicate)

    return zalo_bot_webhook
