"""create_app(services) -> FastAPI; the lifespan starts and stops background work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from bot import metrics
from bot.app import Services
from bot.heap import freeze_startup_heap
from bot.logs import RequestIds
from bot.web import favicon, webchat
from bot.web.body_limit import BodyLimit, caps_for
from bot.web.direct import DirectRoutes
from bot.web.headers import SecurityHeaders, server_error
from storage.migrate import schema_is_current

log = logging.getLogger(__name__)


def create_app(services: Services, *, background: bool = True, freeze_heap: bool = False) -> FastAPI:
    """Build the web app; `background` runs the worker and recovers pending updates;
    `freeze_heap` (for the serving process, see bot.heap) once it has started."""
    tasks: list[asyncio.Task[None]] = []
    ready = {"started": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if background:
            await services.dispatcher.recover()
            for starter in services.background:
                tasks.append(asyncio.create_task(_start(starter)))
        if freeze_heap:
            freeze_startup_heap()
        ready["started"] = True
        try:
            yield
        finally:
            ready["started"] = False
            for stopper in services.shutdown:
                await stopper()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await services.dispatcher.drain()

    app = FastAPI(title="Cảnh Giác", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    https = (services.settings.public_url or "").startswith("https://")
    app.state.https = https
    app.add_exception_handler(Exception, server_error)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Each dependency by name, and 503 when one is down."""
        body: dict[str, object] = {"status": "ok", "database": "ok"}
        try:
            await asyncio.to_thread(_ping, services)
        except Exception as exc:
            log.error("health check: database unreachable: %s", exc)
            body.update(status="error", database="unreachable")
        if services.redis is not None:
            try:
                await asyncio.wait_for(services.redis.ping(), timeout=2)
                body["redis"] = "ok"
            except Exception as exc:
                log.error("health check: redis unreachable: %s", exc)
                body.update(status="error", redis="unreachable")
        if body["status"] != "ok":
            return JSONResponse(body, status_code=503)
        body["cards"] = len(services.library)
        return JSONResponse(body)

    @app.get("/metrics")
    async def metrics_page() -> Response:
        body, content_type = await asyncio.to_thread(
            metrics.render, services.engine, services.settings.prometheus_multiproc_dir
        )
        return Response(body, media_type=content_type)

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """200 once the process has started with the library loaded and the database schema at
        the code's migration head: the proxy may send it traffic."""
        if not ready["started"] or not len(services.library):
            return JSONResponse({"ready": False, "reason": "starting"}, status_code=503)
        try:
            current = await asyncio.to_thread(schema_is_current, services.engine)
        except Exception as exc:
            log.error("readiness: database unreachable: %s", exc)
            return JSONResponse({"ready": False, "reason": "database unreachable"}, status_code=503)
        if not current:
            return JSONResponse({"ready": False, "reason": "migrations not applied"}, status_code=503)
        return JSONResponse({"ready": True})

    app.include_router(favicon.router)
    if services.settings.webchat_enabled:
        app.include_router(webchat.router)
    for mount in services.routers:
        app.include_router(mount)
    if services.direct_routes:
        app.add_middleware(DirectRoutes, routes=services.direct_routes)
    # Outermost last: every body is capped as it streams, every answer (a 413 too) gets the headers.
    app.add_middleware(BodyLimit, cap=caps_for(services.settings.evidence_max_bytes))
    app.add_middleware(SecurityHeaders, https=https)
    app.add_middleware(RequestIds)  # outermost: every line a request logs carries its id
    return app


def _ping(services: Services) -> None:
    with services.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def _start(starter: Callable[[], Awaitable[None]]) -> None:
    # Called inside the task, so a task cancelled before it runs leaves no un-awaited coroutine.
    await starter()
