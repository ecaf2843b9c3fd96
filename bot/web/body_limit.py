"""A byte cap on every request body, counted while it streams in.

A declared Content-Length says nothing about a chunked body, and reading the whole body
before checking its size lets an anonymous sender fill the server's memory (or its disk,
through a multipart spool). So the cap is counted on the ASGI `receive` stream: the moment
a request passes it, a 413 goes out and the application sees a disconnected client; it
never holds more than the cap plus one network chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

DEFAULT_CAP = 1_000_000  # webhooks, the chat's JSON, console forms: a few kB in real use
# Multipart framing around an uploaded file (boundaries, part headers, the text field).
UPLOAD_OVERHEAD = 64_000
_TOO_LARGE = b'{"ok":false,"error":"too large"}'


def caps_for(evidence_max_bytes: int) -> Callable[[str], int]:
    """The cap of each path: the chat upload takes one evidence file, the rest `DEFAULT_CAP`."""
    upload_cap = evidence_max_bytes + UPLOAD_OVERHEAD

    def cap(path: str) -> int:
        return upload_cap if path == "/api/chat/upload" else DEFAULT_CAP

    return cap


class BodyLimit:
    """ASGI middleware: refuse a request body past its path's cap with 413, as it streams."""

    def __init__(self, app: ASGIApp, cap: Callable[[str], int]) -> None:
        self.app = app
        self.cap = cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.cap(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            log.warning("request to %s declared %d bytes (cap %d); refused", scope["path"], declared, limit)
            await _refuse(send)
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    log.warning(
                        "request body to %s passed its cap of %d bytes; refused", scope["path"], limit
                    )
                    if not started:
                        await _refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already; the application's late answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The application met the disconnect we made (ClientDisconnect and the like).


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})
