"""Security headers on every answer of the web app: pages, the chat API, webhooks, errors.

The console, the public chat page and its API share one policy: scripts, styles and
connections only from this origin, never framed, no MIME sniffing. Behind HTTPS the
browser is also told to keep to HTTPS (HSTS).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = ("Strict-Transport-Security", "max-age=31536000")


class SecurityHeaders:
    """ASGI middleware: add the headers a response does not set itself."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https  # the public address is HTTPS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.https or scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), secure=secure)
            await send(message)

        await self.app(scope, receive, with_headers)


def add_security_headers(headers: MutableHeaders, *, secure: bool) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if secure:
        headers.setdefault(*HSTS)


async def server_error(request: Request, exc: Exception) -> Response:
    """The 500 answer: it leaves through the outermost layer, past the middleware above."""
    response = PlainTextResponse("Lỗi máy chủ. Vui lòng thử lại sau.", status_code=500)
    secure = request.url.scheme == "https" or bool(getattr(request.app.state, "https", False))
    add_security_headers(response.headers, secure=secure)
    return response
