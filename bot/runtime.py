"""Wire the services for a running process: migrations, channels, rate limits, worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.engine import Engine

from bot.app import Services, build_services
from bot.channels.webchat.channel import WebChatChannel
from bot.settings import Settings
from bot.worker import OutboxWorker
from storage import subscriptions
from storage.db import transaction
from storage.migrate import upgrade

log = logging.getLogger(__name__)


def build_runtime(settings: Settings, *, migrate: bool = True) -> Services:
    """Services with every configured channel; the embedded default migrates on start."""
    services = build_services(settings)
    if migrate:
        upgrade(services.engine)
    services.channels["web"] = WebChatChannel()
    connect_redis(services)
    if settings.zalo_oa_configured or settings.zalo_bot_configured:
        from bot.channels.zalo.setup import install as install_zalo

        install_zalo(services)
    services.dispatcher.on_unreachable.append(end_subscriptions_hook(services.engine))
    services.conversations.features = replace(
        services.conversations.features,
        alert_approval=settings.alert_approval,
        alert_channels=tuple(services.channels),
    )
    if settings.run_worker:
        worker = build_worker(services)
        services.background.append(worker.run)

        async def stop_worker() -> None:
            worker.stop()

        services.shutdown.append(stop_worker)

    async def close_shared() -> None:
        await close_redis(services)

    services.shutdown.append(close_shared)
    return services


async def run_worker(settings: Settings, *, name: str | None = None) -> None:
    """`canhgiac worker`: only the outbox worker (and alert schedule), until SIGINT/SIGTERM."""
    import signal

    services = build_runtime(settings.model_copy(update={"run_worker": False}), migrate=settings.is_embedded)
    worker = build_worker(services, name=name)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        for stopper in services.shutdown:
            await stopper()
        services.engine.dispose()


def build_worker(services: Services, *, name: str | None = None) -> OutboxWorker:
    """The outbox worker over the configured channels (each keeps its platform's limits)."""
    settings = services.settings
    worker = OutboxWorker(
        services.engine,
        services.channels,
        batch=settings.outbox_batch,
        concurrency=settings.outbox_concurrency,
        lease=settings.outbox_lease,
        name=name,
    )
    worker.on_unreachable.append(end_subscriptions_hook(services.engine))
    return worker


def connect_redis(services: Services) -> None:
    """One Redis client for the process (shared rate limits), when CANHGIAC_REDIS_URL is set."""
    if not services.settings.redis_url or services.redis is not None:
        return
    from redis.asyncio import Redis

    services.redis = Redis.from_url(services.settings.redis_url)


async def close_redis(services: Services) -> None:
    """Last of the shutdown steps: senders may still need the shared limits until then."""
    if services.redis is not None:
        await services.redis.aclose()


def end_subscriptions_hook(engine: Engine) -> Callable[[str, str], None]:
    """A recipient the platform says is gone (blocked, deleted, chat not found) gets no more alerts."""

    def hook(channel: str, user_key: str) -> None:
        with transaction(engine) as session:
            ended = subscriptions.end_all(
                session, channel=channel, user_key=user_key, reason=subscriptions.END_UNREACHABLE
            )
        if ended:
            log.info("%s recipient unreachable: %d subscription(s) ended", channel, ended)

    return hook
