"""Process logging, and one traceback per database outage instead of one per request.

While the database is away every request fails the same way, and each failure logged
with its traceback made 5,000 tracebacks (25 MB) in 25 seconds: the log that should tell
what happened became unreadable. The first failure of an outage is logged whole; further
ones are counted and reported as one line per interval; an outage ends when no failure
was seen for an interval, and the next failure is logged whole again.

With CANHGIAC_LOG_FORMAT=json each line is one JSON object. Every line carries the request it
belongs to (X-Request-ID from the proxy, or one made here) and, while an update is processed,
the inbox update's id, so a collector can follow one resident's message from the webhook to
the reply. Messages name ids, never what a resident wrote.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.db import is_unavailable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
UPDATE_ID: ContextVar[int | None] = ContextVar("update_id", default=None)
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def setup_logging(
    level: str, *, stream: TextIO | None = None, interval: float = 10.0, log_format: str = "text"
) -> logging.Handler:
    """Log to stderr (or `stream`) at `level`, as text or JSON; database outages are folded."""
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(update_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(DatabaseOutageFilter(interval=interval))
    handler.addFilter(ContextFilter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    return handler


class ContextFilter(logging.Filter):
    """Adds `request_id` and `update_id` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.update_id = UPDATE_ID.get()
        return True


class RequestIds:
    """ASGI middleware: the request's id in the logging context and in the X-Request-ID answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _GIVEN_ID.fullmatch(given) else secrets.token_hex(8)
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


def _database_unavailable(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if is_unavailable(exc) or type(exc).__name__ in ("OperationalError", "InterfaceError"):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class DatabaseOutageFilter(logging.Filter):
    def __init__(self, *, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last_seen: float | None = None  # the latest failure of the current outage
        self._last_line = 0.0
        self._counted = 0

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not _database_unavailable(exc):
            return True
        now = self.clock()
        with self._lock:
            if self._last_seen is None or now - self._last_seen > self.interval:
                self._last_seen = self._last_line = now
                self._counted = 0
                record.msg = (
                    f"{record.getMessage()} [database unavailable: further failures like this are "
                    f"counted, one line every {self.interval:g} s, until it is back]"
                )
                record.args = None
                return True
            self._last_seen = now
            self._counted += 1
            if now - self._last_line < self.interval:
                return False
            counted, since = self._counted, now - self._last_line
            self._counted, self._last_line = 0, now
        assert exc is not None
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        record.msg = "database still unavailable: %d failures in the last %.0f s (latest: %s%s)"
        record.args = (counted, since, type(exc).__name__, f": {reason}" if reason else "")
        record.exc_info = None
        record.exc_text = None
        return True
