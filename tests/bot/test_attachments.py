"""Downloading attachments by URL (Zalo's updates carry one), within the evidence size limit."""

from __future__ import annotations

import httpx
import pytest

from bot.attachments import UrlFetcher
from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.messages import Attachment

FILES = {"/a.png": b"\x89PNG" + b"\x00" * 100, "/big.jpg": b"\xff\xd8\xff" + b"\x00" * 5000}


def _cdn(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/lie.jpg":  # no length announced, then too much
        return httpx.Response(200, content=iter([b"\x00" * 600] * 10))
    data = FILES.get(request.url.path)
    return httpx.Response(200, content=data) if data is not None else httpx.Response(404)


def _fetch(path: str, limit: int = 1000) -> bytes:
    fetcher = UrlFetcher(httpx.Client(transport=httpx.MockTransport(_cdn)))
    return fetcher(
        Attachment(kind="photo", ref="r", url=f"https://cdn.example{path}" if path else None), limit
    )


def test_downloads_within_the_limit() -> None:
    assert _fetch("/a.png") == FILES["/a.png"]


@pytest.mark.parametrize("path", ["/big.jpg", "/lie.jpg"])
def test_too_large_stops_reading(path: str) -> None:
    with pytest.raises(AttachmentTooLarge):
        _fetch(path)


@pytest.mark.parametrize("path", ["/gone.png", ""])
def test_missing_file_is_unavailable(path: str) -> None:
    with pytest.raises(AttachmentUnavailable):
        _fetch(path)
