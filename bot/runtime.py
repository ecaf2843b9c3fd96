"""Wire the services for a running process: migrations, channels, rate limits, worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot import metrics
from bot.app import Services, build_services
from bot.attachments import UrlFetcher
from bot.channels.webchat.channel import WebChatChannel
from bot.heap import freeze_startup_heap
from bot.maintenance import Maintenance
from bot.ratelimit import make_gate
from bot.settings import ConfigError, Settings
from bot.web.console.routes import build_router
from bot.worker import OutboxWorker
from content.library import Library
from storage import subscriptions
from storage.db import transaction
from storage.migrate import upgrade

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


def build_runtime(settings: Settings, *, migrate: bool = True, library: Library | None = None) -> Services:
    """Services with every configured channel; the embedded default migrates on start."""
    services = build_services(settings, library=library)
    if migrate:
        upgrade(services.engine)
    connect_redis(services)
    services.dispatcher.redis = services.redis
    webchat = WebChatChannel(redis=services.redis)
    services.channels["web"] = webchat
    services.conversations.fetchers["web"] = webchat.fetch
    if settings.console:
        services.routers.append(build_router())
    closers: list[Callable[[], Awaitable[None]]] = []
    if settings.telegram_token:
        closers.append(_add_telegram(services))
    if settings.zalo_oa_configured or settings.zalo_bot_configured:
        from bot.channels.zalo.setup import install as install_zalo

        install_zalo(services)
        url_fetcher = UrlFetcher()
        for name in ("zalo", "zalo_bot"):  # their updates carry the file's address
            if name in services.channels:
                services.conversations.fetchers.setdefault(name, url_fetcher)
    services.dispatcher.on_unreachable.append(end_subscriptions_hook(services.engine))
    services.conversations.on_verdict = metrics.count_check
    metrics.watch_pool(services.engine)
    if services.dispatcher.coordinate:  # several serving processes share the inbox
        services.background.append(services.dispatcher.keep_leases)
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
        maintenance = Maintenance(services.engine, settings, services.evidence)
        services.background.append(maintenance.run)

        async def stop_maintenance() -> None:
            maintenance.stop()

        services.shutdown.append(stop_maintenance)
    services.shutdown.extend(closers)  # clients close after everything that sends through them

    async def close_shared() -> None:
        await services.dispatcher.release()
        await close_redis(services)

    services.shutdown.append(close_shared)
    return services


async def run_worker(settings: Settings, *, name: str | None = None) -> None:
    """`canhgiac worker`: only the outbox worker (and alert schedule), until SIGINT/SIGTERM."""
    import signal

    services = build_runtime(settings.model_copy(update={"run_worker": False}), migrate=settings.is_embedded)
    worker = build_worker(services, name=name)
    maintenance = Maintenance(services.engine, settings, services.evidence)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        worker.stop()
        maintenance.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    freeze_startup_heap()
    try:
        await asyncio.gather(worker.run(), maintenance.run())
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
        user_ref=services.dispatcher.user_ref,
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


def make_telegram_bot(settings: Settings) -> Bot:
    """aiogram's real client, pointed at CANHGIAC_TELEGRAM_API_URL (self-hosted or a test server)."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    if settings.telegram_token is None:
        raise ConfigError("CANHGIAC_TELEGRAM_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/")))
    try:
        return Bot(token=settings.telegram_token.get_secret_value(), session=session)
    except Exception as exc:  # aiogram's TokenValidationError names no token, but be sure
        raise ConfigError("CANHGIAC_TELEGRAM_TOKEN does not look like a bot token (123456:ABC…)") from exc


def _add_telegram(services: Services) -> Callable[[], Awaitable[None]]:
    """Webhook route with a public address, long polling without one; the command menu on start."""
    from bot.channels.telegram import CHANNEL
    from bot.channels.telegram.commands import register_commands
    from bot.channels.telegram.files import TelegramFileFetcher
    from bot.channels.telegram.outbound import TelegramChannel

    settings, dispatcher = services.settings, services.dispatcher
    bot = make_telegram_bot(settings)
    # Queued messages keep this rate (all processes together through Redis) and a gap per chat.
    gate = make_gate(
        CHANNEL,
        per_second=settings.telegram_rate_limit,
        chat_gap=settings.telegram_chat_gap,
        redis=services.redis,
    )

    async def blocked(user_key: str, reason: str) -> None:
        await dispatcher.mark_unreachable(CHANNEL, user_key, reason)

    channel = TelegramChannel(bot, gate=gate, on_blocked=blocked)
    services.channels[CHANNEL] = channel
    dispatcher.add_channel(channel)
    files = TelegramFileFetcher(settings.telegram_api_url, bot.token)
    services.conversations.fetchers[CHANNEL] = files

    async def publish_commands() -> None:
        await register_commands(bot)

    services.background.append(publish_commands)
    stop_polling = None
    if settings.public_url:
        from bot.channels.telegram import webhook

        if settings.telegram_webhook_secret is None:
            raise ConfigError(
                "CANHGIAC_TELEGRAM_WEBHOOK_SECRET is required with CANHGIAC_PUBLIC_URL (webhook mode)"
            )
        endpoint = webhook.make_endpoint(
            dispatcher, secret=settings.telegram_webhook_secret.get_secret_value()
        )
        services.direct_routes[("POST", webhook.PATH)] = endpoint
    else:
        from bot.channels.telegram.polling import TelegramPoller

        poller = TelegramPoller(bot, dispatcher)
        services.background.append(poller.run)
        stop_polling = poller.stop

    async def close_telegram() -> None:
        if stop_polling is not None:
            stop_polling()
        await dispatcher.drain()  # replies still being sent need the client session
        await bot.session.close()
        files.client.close()

    return close_telegram
