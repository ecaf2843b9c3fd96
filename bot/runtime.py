"""Wire the services for a running process: migrations, channels, worker."""

from __future__ import annotations

from bot.app import Services, build_services
from bot.attachments import UrlFetcher
from bot.channels.webchat.channel import WebChatChannel
from bot.maintenance import Maintenance
from bot.settings import Settings
from bot.web.console.routes import build_router
from bot.worker import OutboxWorker
from storage.migrate import upgrade


def build_runtime(settings: Settings, *, migrate: bool = True) -> Services:
    """Services with every configured channel; the embedded default migrates on start."""
    services = build_services(settings)
    if migrate:
        upgrade(services.engine)
    webchat = WebChatChannel()
    services.channels["web"] = webchat
    services.conversations.fetchers["web"] = webchat.fetch
    if settings.console:
        services.routers.append(build_router())
    if settings.zalo_oa_configured or settings.zalo_bot_configured:
        from bot.channels.zalo.setup import install as install_zalo

        install_zalo(services)
        url_fetcher = UrlFetcher()
        for name in ("zalo", "zalo_bot"):  # their updates carry the file's address
            if name in services.channels:
                services.conversations.fetchers.setdefault(name, url_fetcher)
    if settings.run_worker:
        worker = OutboxWorker(services.engine, services.channels)
        services.background.append(worker.run)

        async def stop_worker() -> None:
            worker.stop()

        services.shutdown.append(stop_worker)
        maintenance = Maintenance(services.engine, settings, services.evidence)
        services.background.append(maintenance.run)

        async def stop_maintenance() -> None:
            maintenance.stop()

        services.shutdown.append(stop_maintenance)
    return services
