"""Downloading a user's file by its URL, for channels whose updates carry one (Zalo).

Implements `handlers.attachments.FetchAttachment`: reads at most `max_bytes` (+1 to
know it is over), never follows the link to anything but http(s), and maps network
trouble to `AttachmentUnavailable` so the resident is asked to send the file again.
"""

from __future__ import annotations

import logging

import httpx

from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.messages import Attachment

log = logging.getLogger(__name__)


class UrlFetcher:
    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=30, follow_redirects=True)

    def __call__(self, attachment: Attachment, max_bytes: int) -> bytes:
        url = attachment.url or ""
        if not url.startswith(("https://", "http://")):
            raise AttachmentUnavailable("no downloadable address")
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise AttachmentUnavailable(f"download answered {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise AttachmentTooLarge(attachment.ref)
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise AttachmentTooLarge(attachment.ref)
                return bytes(data)
        except httpx.HTTPError as exc:
            # The URL may carry an access token: log the error class only.
            log.warning("attachment download failed: %s", type(exc).__name__)
            raise AttachmentUnavailable("download failed") from exc
