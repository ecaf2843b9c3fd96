"""POST /webhooks/telegram: check the secret, validate, record, answer 200; processing comes after.

Telegram waits for our answer before it sends the next update of the same chat and re-sends
on a non-2xx answer or after 60 s, so the request does no more than record the update
(`Dispatcher.submit`, which drops a repeated update_id) and schedule its processing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import safe_json
from bot.channels.telegram import CHANNEL, inbound
from bot.dispatch import Dispatcher

log = logging.getLogger(__name__)

PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # updates are a few kB; anything this big is not from Telegram


def make_endpoint(dispatcher: Dispatcher, *, secret: str) -> Callable[[Request], Awaitable[Response]]:
    """The webhook endpoint (served by bot.web.direct); `secret` is what
    `setWebhook(secret_token=…)` registered."""
    if not secret:
        raise ValueError("the Telegram webhook needs a secret")
    expected = secret.encode()

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            client = request.client.host if request.client else "?"
            log.warning("telegram webhook: missing or wrong secret token from %s; ignored", client)
            return JSONResponse({"ok": False, "error": "unauthorized"}, status_code=401)
        body = await request.body()
        if len(body) > MAX_BODY:
            log.warning("telegram webhook: body of %d bytes refused", len(body))
            return JSONResponse({"ok": False, "error": "too large"}, status_code=413)
        try:
            payload = safe_json.loads(body)
            update = inbound.parse_update(payload)
        except ValueError as exc:  # JSON errors and pydantic's ValidationError alike
            log.warning("telegram webhook: not a valid update: %s", str(exc).splitlines()[0][:200])
            return JSONResponse({"ok": False, "error": "invalid update"}, status_code=400)
        user_key = inbound.user_key_of(update)
        if user_key is None:
            log.debug("telegram webhook: update %s needs no answer", update.update_id)
            return Response(status_code=200)
        try:
            recorded = await dispatcher.submit(CHANNEL, str(update.update_id), user_key, payload)
        except Exception:
            # Not recorded: a non-2xx answer makes Telegram deliver it again later.
            log.exception("telegram webhook: update %s could not be recorded", update.update_id)
            return JSONResponse({"ok": False, "error": "try again"}, status_code=503)
        if recorded.duplicate:
            log.info("telegram webhook: update %s already recorded; ignored", update.update_id)
        return Response(status_code=200)

    return telegram_webhook
