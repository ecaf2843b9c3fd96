"""The console's router: every page under /console, and its one stylesheet."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.web.console import admin, auth, export, queue, tips
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

    for part in (auth.router, queue.router, export.router, tips.router, admin.router):
        router.include_router(part)
    return router
