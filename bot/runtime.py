"""Wire the services for a running process: migrations, channels, rate limits, worker."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot.app import Services, build_services
from bot.channels.webchat.channel import WebChatChannel
from bot.ratelimit import Limiter, RateGate, RedisRateGate
from bot.settings import Settings
from bot.worker import OutboxWorker
from storage import subscriptions
from storage.db import transaction
from storage.migrate import upgrade

log = logging.getLogger(__name__)

# Zalo OA: a consultation message only within 7 days of the user's last interaction.
ZALO_WINDOW = dt.timedelta(days=7)


def build_runtime(settings: Settings, *, migrate: bool = True) -> Services:
    """Services with every configured channel; the embedded default migrates on start."""
    services = build_services(settings)
    if migrate:
        upgrade(services.engine)
    services.channels["web"] = WebChatChannel()
    limiters = build_limiters(settings, services)
    services.dispatcher.gates.update(limiters)
    services.dispatcher.on_unreachable.append(end_subscriptions_hook(services.engine))
    if settings.run_worker:
        worker = build_worker(services, limiters)
        services.background.append(worker.run)

        async def stop_worker() -> None:
            worker.stop()

        services.shutdown.append(stop_worker)
    return services


async def run_worker(settings: Settings, *, name: str | None = None) -> None:
    """`canhgiac worker`: only the outbox worker (and alert schedule), until SIGINT/SIGTERM."""
    import signal

    services = build_runtime(settings.model_copy(update={"run_worker": False}), migrate=settings.is_embedded)
    worker = build_worker(services, services.dispatcher.gates, name=name)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        for stopper in services.shutdown:
            await stopper()
        services.engine.dispose()


def build_worker(
    services: Services, limiters: dict[str, Limiter], *, name: str | None = None
) -> OutboxWorker:
    """The outbox worker over the configured channels, sharing the platforms' limiters."""
    settings = services.settings
    worker = OutboxWorker(
        services.engine,
        services.channels,
        limiters=limiters,
        windows={name: ZALO_WINDOW for name in services.channels if name.startswith("zalo")},
        batch=settings.outbox_batch,
        concurrency=settings.outbox_concurrency,
        lease=settings.outbox_lease,
        name=name,
    )
    worker.on_unreachable.append(end_subscriptions_hook(services.engine))
    return worker


def build_limiters(settings: Settings, services: Services) -> dict[str, Limiter]:
    """One limiter per platform channel: in Redis when configured (shared by every process)."""
    redis_client = None
    if settings.redis_url:
        from redis.asyncio import Redis

        redis_client = Redis.from_url(settings.redis_url)

        async def close_redis() -> None:
            await redis_client.aclose()

        services.shutdown.append(close_redis)

    limits: dict[str, tuple[float, float]] = {}
    for name in services.channels:
        if name.startswith("telegram"):
            limits[name] = (settings.telegram_rate, settings.telegram_chat_gap)
        elif name.startswith("zalo"):
            limits[name] = (settings.zalo_rate_per_minute / 60.0, 0.0)
    limiters: dict[str, Limiter] = {}
    for name, (rate, gap) in limits.items():
        if redis_client is not None:
            limiters[name] = RedisRateGate(redis_client, name, per_second=rate, per_chat_interval=gap)
        else:
            limiters[name] = RateGate(per_second=rate, per_chat_interval=gap)
    return limiters


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
