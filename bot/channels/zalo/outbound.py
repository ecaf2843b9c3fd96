"""The Zalo OA as a `Channel`: neutral replies → OA messages, Zalo errors → `bot.channels.base` errors.

Every send first asks the messaging window (bot/channels/zalo/window.py): a direct reply
is inside it by definition (the user just wrote), anything else may not be, and then we
record 'window closed' instead of calling Zalo. A reply becomes several API calls (text
chunks, images, buttons in groups of five); a send that fails half-way remembers how far
it got, so a retry does not repeat what the user already received.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from bot.channels.base import (
    Capabilities,
    PermanentError,
    RetryAfter,
    TransientError,
    Unreachable,
    WindowClosed,
)
from bot.channels.render import render, to_plain
from bot.channels.zalo.client import ZaloOAClient
from bot.channels.zalo.errors import (
    AttachmentExpired,
    ConfigurationError,
    QuotaExceeded,
    RateLimited,
    ServerError,
    UserUnreachable,
    WindowClosedError,
    ZaloError,
)
from bot.channels.zalo.guard import SendGuard, SendProgress
from bot.channels.zalo.inbound import CHANNEL, classify, encode_payload, event_time, to_messages
from bot.channels.zalo.models import MAX_BUTTONS, MAX_TEXT, ZaloButton
from bot.channels.zalo.window import Window, messaging_window
from content import replies as wording
from content.messages import Media, Reply
from handlers.messages import IncomingMessage
from storage import users
from storage.db import transaction
from storage.models import utcnow

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(max_len=MAX_TEXT, buttons=True, html=False)
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UPLOAD_TTL = 6 * 86400.0  # uploaded ids live 7 days; re-upload a day early
AUTHORIZE_HINT = "Check the Zalo app and OA settings, then run `canhgiac zalo authorize`."


@dataclass(frozen=True)
class Step:
    """One API call of a send."""

    text: str = ""
    buttons: list[ZaloButton] = field(default_factory=list)
    media: Media | None = None
    contact_form: bool = False


def window_for(
    engine: Engine, user_key: str, *, channel: str = CHANNEL, now: dt.datetime | None = None
) -> Window:
    """The messaging window of a Zalo OA user from their last inbound time in the database."""
    with transaction(engine) as session:
        user = users.get_user(session, channel=channel, user_key=user_key)
        last = user.last_inbound_at if user is not None else None
    return messaging_window(last, now or utcnow())


def plan(replies: list[Reply]) -> list[Step]:
    """The API calls that show `replies`: text (≤ 2 000 chars after NFC), media, buttons by fives."""
    steps: list[Step] = []
    for reply, rendered in zip(replies, render(replies, CAPABILITIES), strict=True):
        chunks = [unicodedata.normalize("NFC", c) for c in rendered.chunks if c.strip()]
        buttons = [_button(b.label, b.payload, b.url) for row in rendered.buttons for b in row]
        head, last = chunks[:-1], chunks[-1] if chunks else ""
        steps.extend(Step(text=chunk) for chunk in head)
        steps.extend(Step(media=media) for media in reply.media)
        groups = [buttons[i : i + MAX_BUTTONS] for i in range(0, len(buttons), MAX_BUTTONS)]
        if last or groups:
            steps.append(Step(text=last or wording.label("more"), buttons=groups[0] if groups else []))
        steps.extend(Step(text=wording.label("more"), buttons=group) for group in groups[1:])
        if reply.request_contact:
            steps.append(Step(contact_form=True))
    return steps


def _button(label: str, payload: str, url: str | None) -> ZaloButton:
    title = to_plain(label).strip()[:100]
    if url:
        return ZaloButton.link(title, url)
    return ZaloButton.query(title, encode_payload(payload))


class ZaloOAChannel:
    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(
        self,
        client: ZaloOAClient,
        engine: Engine,
        *,
        guard: SendGuard | None = None,
        unreachable_hooks: list[Callable[[str, str], None]] | None = None,
    ) -> None:
        self.client = client
        self.engine = engine
        self.guard = guard or SendGuard(engine, CHANNEL)
        # Shared with the dispatcher and the worker, so a hook added there sees unfollows too.
        self.unreachable_hooks = unreachable_hooks if unreachable_hooks is not None else []
        self.progress = SendProgress()
        self._uploads: dict[str, tuple[str, float]] = {}

    # -- Channel ------------------------------------------------------------------------

    async def send(self, user_key: str, replies: list[Reply]) -> None:
        self.guard.check()
        window = await asyncio.to_thread(window_for, self.engine, user_key)
        if not window.open:
            log.info("Zalo window closed for %s (%s); not sent", user_key, window.reason)
            raise WindowClosed(window.reason)
        if not window.free:
            log.info("Zalo message to %s is billed: the 48-hour free window has passed", user_key)
        steps = plan(replies)
        key = self.progress.key(user_key, replies)
        for index in range(self.progress.take(key), len(steps)):
            try:
                await self._do(user_key, steps[index])
            except ZaloError as exc:
                self.progress.remember(key, index)
                raise await self._translate(exc, user_key) from None
            except ValidationError as exc:
                log.error("Zalo request rejected before sending (%d problems)", exc.error_count())
                raise PermanentError("message does not fit the Zalo request format") from None

    # -- InboundChannel -----------------------------------------------------------------

    def to_messages(self, payload: dict[str, Any]) -> list[IncomingMessage]:
        return to_messages(payload)

    async def on_update_extras(self, payload: dict[str, Any]) -> None:
        """An unfollow ends our right to write: mark the user and tell the hooks (alerts end there)."""
        if payload.get("event_name") != "unfollow":
            return
        user_key = classify(payload).user_key
        if not user_key:
            return
        at = event_time(payload)
        if not await asyncio.to_thread(self._mark_unreachable, user_key, "unfollowed the OA", at):
            log.info("Zalo unfollow older than the user's latest message; the user stays reachable")
            return
        for hook in self.unreachable_hooks:
            hook(CHANNEL, user_key)

    # -- the calls -----------------------------------------------------------------------

    async def _do(self, user_key: str, step: Step) -> None:
        if step.contact_form:
            await self.client.send_request_user_info(
                user_key,
                title=wording.label("contact_form_title"),
                subtitle=wording.label("contact_form_subtitle"),
            )
        elif step.media is not None:
            await self._send_media(user_key, step.media)
        elif step.buttons:
            await self.client.send_buttons(user_key, step.text, step.buttons)
        else:
            await self.client.send_text(user_key, step.text)

    async def _send_media(self, user_key: str, media: Media) -> None:
        caption = to_plain(media.caption or "").strip()[:MAX_TEXT] or None
        if media.url and media.kind == "photo":
            await self.client.send_image(user_key, url=media.url, caption=caption)
        elif media.url:
            await self.client.send_text(user_key, f"{caption}\n{media.url}" if caption else media.url)
        elif media.path and media.kind == "photo":
            try:
                attachment_id = await self._upload(media.path)
                await self.client.send_image(user_key, attachment_id=attachment_id, caption=caption)
            except AttachmentExpired:
                self._uploads.pop(media.path, None)
                attachment_id = await self._upload(media.path)
                await self.client.send_image(user_key, attachment_id=attachment_id, caption=caption)
        elif media.path:
            content = await asyncio.to_thread(Path(media.path).read_bytes)
            token = await self.client.upload_file(content, Path(media.path).name)
            await self.client.send_file(user_key, token)

    async def _upload(self, path: str) -> str:
        cached = self._uploads.get(path)
        if cached is not None and time.monotonic() - cached[1] < UPLOAD_TTL:
            return cached[0]
        content = await asyncio.to_thread(Path(path).read_bytes)
        content_type = "image/png" if path.lower().endswith(".png") else "image/jpeg"
        attachment_id = await self.client.upload_image(content, Path(path).name, content_type)
        self._uploads[path] = (attachment_id, time.monotonic())
        return attachment_id

    # -- errors --------------------------------------------------------------------------

    async def _translate(self, exc: ZaloError, user_key: str) -> Exception:
        if isinstance(exc, WindowClosedError):
            log.info("Zalo says the window is closed for %s (%s)", user_key, exc.code)
            return WindowClosed(str(exc))
        if isinstance(exc, UserUnreachable):
            return Unreachable(str(exc))
        if isinstance(exc, RateLimited):
            return RetryAfter(exc.retry_after, str(exc))
        if isinstance(exc, QuotaExceeded):
            return RetryAfter(_quota_wait(exc.code), str(exc))
        if isinstance(exc, ServerError | AttachmentExpired):
            return TransientError(str(exc))
        if isinstance(exc, ConfigurationError):
            return await self.guard.trip(str(exc), hint=AUTHORIZE_HINT)
        log.error("Zalo refused our request for %s: %s", user_key, exc)
        return PermanentError(str(exc))

    def _mark_unreachable(self, user_key: str, reason: str, at: dt.datetime) -> bool:
        with transaction(self.engine) as session:
            return users.mark_unreachable(session, channel=CHANNEL, user_key=user_key, reason=reason, at=at)


def _quota_wait(code: int, now: dt.datetime | None = None) -> float:
    """-234 (night ban) → until 06:00 in Vietnam; -218 (daily quota) → next midnight; else 1 h."""
    local = (now or utcnow()).astimezone(VN_TZ)
    if code == -234:
        target = local.replace(hour=6, minute=0, second=0, microsecond=0)
        if target <= local:
            target += dt.timedelta(days=1)
    elif code == -218:
        target = (local + dt.timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0)
    else:
        return 3600.0
    return (target - local).total_seconds()
