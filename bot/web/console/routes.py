"""The console's router: every page under /console, and its one stylesheet."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute

from bot.web.console import admin, alerts, auth, export, queue, tips
from bot.web.console.campaign import activities as campaign_activities
from bot.web.console.campaign import contributors as campaign_contributors
from bot.web.console.campaign import coverage as campaign_coverage
from bot.web.console.campaign import registers as campaign_registers
from bot.web.console.security import PREFIX, ConsoleRoute

STATIC = Path(__file__).resolve().parent.parent / "static"


def build_router() -> APIRouter:
    """A fresh router (routes are registered per app, so two test apps never share state)."""
    router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)

    @router.get("/static/console.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(
            STATIC / "console.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    # Copied route by route rather than `include_router`d: the router's `routes` stay plain routes
    # with a path (newer FastAPI includes routers lazily), and each gets the console's route class.
    parts = (
        auth.router,
        queue.router,
        export.router,
        tips.router,
        alerts.router,
        admin.router,
        campaign_activities.router,
        campaign_registers.router,
        campaign_coverage.router,
        campaign_contributors.router,
    )
    for part in parts:
        for route in part.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"unexpected console route {route!r}")
            router.add_api_route(
                route.path,
                route.endpoint,
                methods=sorted(route.methods or ()),
                name=route.name,
                include_in_schema=False,
            )
    return router
