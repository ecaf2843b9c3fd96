"""The web chat as a channel: direct replies come back in the HTTP answer; queued ones wait here."""

from __future__ import annotations

import secrets
from collections import defaultdict, deque
from typing import Any

from bot.channels.base import Capabilities
from bot.channels.render import render
from content.messages import Reply
from content.replies import label as replies_label
from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.messages import Attachment

CAPABILITIES = Capabilities(max_len=4096, buttons=True, html=True)


class WebChatChannel:
    name = "web"
    capabilities = CAPABILITIES

    def __init__(self, *, keep: int = 100) -> None:
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
        self._pending[user_key].extend(to_json(replies))

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
