"""Platform webhooks served straight from ASGI, ahead of the framework's routing.

Every update of a platform arrives on one path, so under a scam wave that path is nearly
all the traffic. Through FastAPI it would pay, on every update, for matching the whole
route table (the console has dozens), resolving dependencies and two exception layers:
about as much CPU as recording the update. These endpoints take a request and give a
response, nothing more; an exception still reaches the server-error layer (a logged 500).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoutes:
    """ASGI middleware: (method, path) → endpoint; anything else goes on to the app."""

    def __init__(self, app: ASGIApp, routes: dict[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
            if endpoint is not None:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
