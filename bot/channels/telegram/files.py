"""Downloading a resident's file from Telegram (evidence for a tip): getFile, then the file URL.

Implements `handlers.attachments.FetchAttachment`. It runs in the worker thread that
handles the message, so it uses a synchronous HTTP client of its own rather than the
event loop's aiogram session. The Bot API's file URL contains the token: only error
classes are logged. The cloud Bot API serves files up to 20 MB ("file is too big");
a self-hosted server (CANHGIAC_TELEGRAM_API_URL) serves larger ones.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from aiogram.client.telegram import TelegramAPIServer

from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.messages import Attachment

log = logging.getLogger(__name__)


class TelegramFileFetcher:
    def __init__(self, api_url: str, token: str, *, client: httpx.Client | None = None) -> None:
        self.api = TelegramAPIServer.from_base(api_url.rstrip("/"))
        self.token = token
        self.client = client or httpx.Client(timeout=30)

    def __call__(self, attachment: Attachment, max_bytes: int) -> bytes:
        if attachment.size is not None and attachment.size > max_bytes:
            raise AttachmentTooLarge(attachment.ref)  # Telegram told us the size with the update
        if not attachment.ref:
            raise AttachmentUnavailable("no file id")
        path = self._file_path(attachment, max_bytes)
        try:
            with self.client.stream("GET", self.api.file_url(self.token, path)) as response:
                if response.status_code != 200:
                    raise AttachmentUnavailable(f"file download answered {response.status_code}")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise AttachmentTooLarge(attachment.ref)
                return bytes(data)
        except httpx.HTTPError as exc:
            log.warning("telegram: file download failed: %s", type(exc).__name__)
            raise AttachmentUnavailable("download failed") from exc

    def _file_path(self, attachment: Attachment, max_bytes: int) -> str:
        try:
            response = self.client.post(
                self.api.api_url(self.token, "getFile"), data={"file_id": attachment.ref}
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("telegram: getFile failed: %s", type(exc).__name__)
            raise AttachmentUnavailable("getFile failed") from exc
        if not body.get("ok"):
            description = str(body.get("description", ""))
            if "too big" in description.lower():
                raise AttachmentTooLarge(attachment.ref)
            log.warning("telegram: getFile refused: %s", description[:200])
            raise AttachmentUnavailable(description[:200])
        result = body.get("result") or {}
        size = result.get("file_size")
        if isinstance(size, int) and size > max_bytes:
            raise AttachmentTooLarge(attachment.ref)
        path = result.get("file_path")
        if not path:
            raise AttachmentUnavailable("no file path")
        return str(path)
