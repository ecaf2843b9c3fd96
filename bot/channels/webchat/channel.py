"""The web chat as a channel: direct replies come back in the HTTP answer; queued ones wait here.

Queued messages (a tip's status, an alert) wait in this process's memory, or in Redis when it
is configured: with several serve processes and workers, the page's next poll may reach any
of them.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import defaultdict, deque
from typing import Any

from bot.channels.base import Capabilities, TransientError
from bot.channels.render import render
from content.messages import Reply
from content.replies import label as replies_label
from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.messages import Attachment

CAPABILITIES = Capabilities(max_len=4096, buttons=True, html=True)
KEY = "canhgiac:webchat:"
KEEP_SECONDS = 7 * 86400  # a page not opened for a week misses what waited for it
log = logging.getLogger(__name__)


class WebChatChannel:
    name = "web"
    capabilities = CAPABILITIES

    def __init__(self, *, keep: int = 100, redis: Any = None) -> None:
        self.keep = keep
        self.redis = redis  # a redis.asyncio client shared by the processes, or None
        self._pending: dict[str, deque[dict[str, Any]]] = defaultdict(lambda: deque(maxlen=keep))
        self._uploads: dict[str, bytes] = {}

    def keep_upload(self, data: bytes) -> str:
        """Hold an uploaded file for the message being handled; returns its `Attachment.ref`."""
        ref = "upload:" + secrets.token_hex(12)
        self._uploads[ref] = data
        return ref

    def forget_upload(self, ref: str) -> None:
        self._uploads.pop(ref, None)

    def fetch(self, attachment: Attachment, max_bytes: int) -> bytes:
        """The `FetchAttachment` of the web chat (see handlers/attachments.py)."""
        data = self._uploads.get(attachment.ref)
        if data is None:
            raise AttachmentUnavailable(attachment.ref)
        if len(data) > max_bytes:
            raise AttachmentTooLarge(attachment.ref)
        return data

    async def send(self, user_key: str, replies: list[Reply]) -> None:
        if self.redis is None:
            self._pending[user_key].extend(to_json(replies))
            return
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(KEY + user_key, *(json.dumps(m, ensure_ascii=False) for m in to_json(replies)))
                pipe.ltrim(KEY + user_key, -self.keep, -1)
                pipe.expire(KEY + user_key, KEEP_SECONDS)
                await pipe.execute()
        except Exception as exc:  # the outbox tries again later
            raise TransientError(f"redis: {type(exc).__name__}") from None

    async def collect(self, user_key: str) -> list[dict[str, Any]]:
        """The messages waiting for the user's page, whichever process queued them."""
        if self.redis is None:
            return self.take(user_key)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lrange(KEY + user_key, 0, -1)
                pipe.delete(KEY + user_key)
                raw, _ = await pipe.execute()
        except Exception as exc:  # they stay in Redis for the next poll
            log.warning("web chat: waiting messages unavailable: %s", type(exc).__name__)
            return []
        return [json.loads(item) for item in raw]

    def take(self, user_key: str) -> list[dict[str, Any]]:
        queue = self._pending.pop(user_key, deque())
        return list(queue)


def to_json(replies: list[Reply]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for reply, item in zip(replies, render(replies, CAPABILITIES), strict=True):
        for idx, chunk in enumerate(item.chunks):
            last = idx == len(item.chunks) - 1
            message: dict[str, Any] = {
                "html": chunk,
                "buttons": [
                    [{"label": b.label, "payload": b.payload, "url": b.url} for b in row]
                    for row in (item.buttons if last else [])
                ],
            }
            if last and reply.request_contact:
                # A browser cannot share the phone's own number: the page offers a field for it.
                message["phone_field"] = {"label": replies_label("share_contact")}
            out.append(message)
    return out
