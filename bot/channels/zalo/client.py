"""An async client for the Zalo OA API v3 in the style of an SDK: one method per endpoint.

Every call carries the bare `access_token` header. Zalo answers failures with HTTP 200
and `{"error": N}`, so each answer is checked and turned into an exception of
`errors.py`. The client applies the policy that belongs to a single call: on an invalid
token it refreshes once (single-flight, in the token source) and retries once; on a rate
limit, a 5xx, a timeout or a network error it backs off with jitter and tries again a
few times. Everything else is raised for the caller (the channel) to decide.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bot.channels.zalo.errors import (
    BadRequest,
    ConfigurationError,
    RateLimited,
    ServerError,
    TokenInvalid,
    ZaloError,
    error_for,
)
from bot.channels.zalo.models import (
    ConsultationRequest,
    FilePayload,
    FileUploadResult,
    InfoElement,
    MediaElement,
    Message,
    MessageAttachment,
    OAInfo,
    Recipient,
    SendResult,
    TemplatePayload,
    UploadResult,
    UserProfile,
    ZaloButton,
)
from bot.ratelimit import Limiter, RateGate

log = logging.getLogger(__name__)

# OA API rate limit: 4 000 requests a minute per app (about 66 a second).
OA_REQUESTS_PER_SECOND = 60.0


class TokenSource(Protocol):
    """Where the client gets its access token (bot/channels/zalo/oauth.py in production)."""

    async def access_token(self) -> str: ...

    async def refresh(self, stale: str) -> str:
        """A new access token, unless `stale` was already replaced (then the current one)."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off for rate limits and server errors: `attempts` tries in all, delays doubling."""

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Equal jitter: at least half the nominal delay, so senders spread but still wait."""
        nominal = min(self.max_delay, self.base_delay * (2 ** max(attempt - 1, 0)))
        return random.uniform(nominal / 2, nominal)


class ZaloOAClient:
    """The OA API; `http` is shared and closed by its owner, not by this client."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenSource,
        *,
        base_url: str = "https://openapi.zalo.me",
        retry: RetryPolicy | None = None,
        gate: Limiter | None = None,
    ) -> None:
        self._http = http
        self.tokens = tokens
        self._base = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.gate = gate or RateGate(per_second=OA_REQUESTS_PER_SECOND)

    def __repr__(self) -> str:
        return f"ZaloOAClient({self._base})"

    # -- messages (tin tư vấn, /v3.0/oa/message/cs) -------------------------------------

    async def send_text(self, user_id: str, text: str, *, quote_message_id: str | None = None) -> SendResult:
        return await self._send(user_id, Message(text=text, quote_message_id=quote_message_id))

    async def send_buttons(self, user_id: str, text: str, buttons: list[ZaloButton]) -> SendResult:
        """Text with up to five buttons under it."""
        attachment = MessageAttachment(type="template", payload=TemplatePayload(buttons=buttons))
        return await self._send(user_id, Message(text=text, attachment=attachment))

    async def send_image(
        self,
        user_id: str,
        *,
        url: str | None = None,
        attachment_id: str | None = None,
        caption: str | None = None,
    ) -> SendResult:
        """An image by public URL or by an `attachment_id` from `upload_image`."""
        if (url is None) == (attachment_id is None):
            raise ValueError("give exactly one of url and attachment_id")
        element = MediaElement(media_type="image", url=url, attachment_id=attachment_id)
        payload = TemplatePayload(template_type="media", elements=[element])
        attachment = MessageAttachment(type="template", payload=payload)
        return await self._send(user_id, Message(text=caption or None, attachment=attachment))

    async def send_file(self, user_id: str, token: str) -> SendResult:
        """A file by the token `upload_file` returned."""
        attachment = MessageAttachment(type="file", payload=FilePayload(token=token))
        return await self._send(user_id, Message(attachment=attachment))

    async def send_request_user_info(
        self, user_id: str, *, title: str, subtitle: str, image_url: str | None = None
    ) -> SendResult:
        """The form asking for name and phone; the answer arrives as `user_submit_info`."""
        element = InfoElement(title=title, subtitle=subtitle, image_url=image_url)
        payload = TemplatePayload(template_type="request_user_info", elements=[element])
        attachment = MessageAttachment(type="template", payload=payload)
        return await self._send(user_id, Message(attachment=attachment))

    async def _send(self, user_id: str, message: Message) -> SendResult:
        body = ConsultationRequest(recipient=Recipient(user_id=user_id), message=message).wire()
        data = await self._call("POST", "/v3.0/oa/message/cs", json_body=body)
        return SendResult.model_validate(data)

    # -- uploads --------------------------------------------------------------------------

    async def upload_image(self, content: bytes, filename: str, content_type: str = "image/jpeg") -> str:
        """Upload a jpg/png (≤ 1 MB); the returned attachment id expires after 7 days."""
        files = {"file": (filename, content, content_type)}
        data = await self._call("POST", "/v2.0/oa/upload/image", files=files)
        return UploadResult.model_validate(data).attachment_id

    async def upload_file(self, content: bytes, filename: str, content_type: str = "application/pdf") -> str:
        files = {"file": (filename, content, content_type)}
        data = await self._call("POST", "/v2.0/oa/upload/file", files=files)
        return FileUploadResult.model_validate(data).token

    # -- reads ----------------------------------------------------------------------------

    async def get_user_profile(self, user_id: str) -> UserProfile:
        data = await self._call("GET", "/v3.0/oa/user/detail", query={"user_id": user_id})
        return UserProfile.model_validate(data)

    async def get_oa_info(self) -> OAInfo:
        """The OA itself; a cheap call that proves the token works."""
        data = await self._call("GET", "/v2.0/oa/getoa")
        return OAInfo.model_validate(data)

    # -- the call and its policy --------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self.tokens.access_token()
            await self.gate.wait()
            try:
                return await self._once(method, path, token, json_body, query, files)
            except TokenInvalid:
                if refreshed:
                    # A fresh token refused again: the app lost its permission.
                    raise ConfigurationError(0, "access token refused right after a refresh") from None
                refreshed = True
                attempt -= 1
                log.info("Zalo token refused on %s; refreshing once", path)
                await self.tokens.refresh(token)
            except (RateLimited, ServerError) as exc:
                delay = self.retry.delay(attempt)
                if isinstance(exc, RateLimited):
                    exc.retry_after = delay
                    self.gate.pause(delay)  # the limit is per app: every sender waits
                if attempt >= self.retry.attempts:
                    raise
                log.warning("%s on %s; try %d again in %.2fs", exc.named("Zalo"), path, attempt + 1, delay)
                await asyncio.sleep(delay)

    async def _once(
        self,
        method: str,
        path: str,
        token: str,
        json_body: dict[str, Any] | None,
        query: dict[str, Any] | None,
        files: dict[str, tuple[str, bytes, str]] | None,
    ) -> dict[str, Any]:
        params = {"data": json.dumps(query, separators=(",", ":"))} if query is not None else None
        try:
            response = await self._http.request(
                method,
                self._base + path,
                headers={"access_token": token},
                json=json_body,
                params=params,
                files=files,
            )
        except httpx.TimeoutException:
            raise ServerError(0, "timeout") from None
        except httpx.TransportError as exc:
            # httpx texts may carry the URL; keep only the kind of failure.
            raise ServerError(0, f"network error ({type(exc).__name__})") from None
        return parse_envelope(response, self.gate)


def parse_envelope(response: httpx.Response, gate: Limiter | None = None) -> dict[str, Any]:
    """`data` of a successful answer, or the exception its status or error code means."""
    status = response.status_code
    if status >= 500:
        raise ServerError(0, f"HTTP {status}")
    if status == 429:
        raise RateLimited(0, "HTTP 429")
    if status in (401, 403, 404):
        raise ConfigurationError(0, f"HTTP {status}")
    try:
        body = response.json()
    except ValueError:
        raise BadRequest(0, f"HTTP {status}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(0, f"HTTP {status}: unexpected answer")
    try:
        code = int(body.get("error", 0) or 0)
    except (TypeError, ValueError):
        raise BadRequest(0, "unexpected error field") from None
    if code != 0:
        raise error_for(code, str(body.get("message", "")))
    if gate is not None and response.headers.get("X-RateLimit-Remain") == "0":
        gate.pause(1.0)
    data = body.get("data")
    return data if isinstance(data, dict) else {}


__all__ = ["RetryPolicy", "TokenSource", "ZaloError", "ZaloOAClient", "parse_envelope"]
