"""Build the Zalo channels from settings and add them to the services (called by bot/runtime.py).

The objects made here live as long as the process: one httpx client per Zalo surface,
the token manager with its refresh lock, the channels, the webhook routes and the
background token upkeep.
"""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine

from bot.app import Services
from bot.channels.zalo import bot_api, webhook
from bot.channels.zalo.client import RetryPolicy, ZaloOAClient
from bot.channels.zalo.oauth import OAuthClient, TokenManager
from bot.channels.zalo.outbound import ZaloOAChannel
from bot.channels.zalo.signature import SignatureVerifier, parse_variants
from bot.keys import load_cipher
from bot.ratelimit import make_gate
from bot.settings import ConfigError, Settings
from storage.crypto import Cipher

ZALO_BOT_PER_SECOND = 20.0  # the Bot API publishes no limit: stay modest


def token_manager(settings: Settings, engine: Engine, http: httpx.AsyncClient) -> TokenManager:
    """The OA token store; also used by `canhgiac zalo authorize`."""
    if not settings.zalo_app_id or settings.zalo_app_secret is None:
        raise ConfigError("CANHGIAC_ZALO_APP_ID and CANHGIAC_ZALO_APP_SECRET are needed for the Zalo OA")
    oauth = OAuthClient(
        http,
        oauth_url=settings.zalo_oauth_url,
        app_id=settings.zalo_app_id,
        app_secret=settings.zalo_app_secret.get_secret_value(),
    )
    # The same keys as residents' personal data (CANHGIAC_SECRET_KEYS): one secret to
    # keep, one rotation (`canhgiac secrets rotate`).
    return TokenManager(engine, oauth, TokenBox(load_cipher(settings)), app_id=settings.zalo_app_id)


class TokenBox:
    """The app's Cipher as the TokenManager's string-in, string-out cipher."""

    def __init__(self, cipher: Cipher) -> None:
        self._cipher = cipher

    def encrypt(self, plaintext: str) -> str:
        return self._cipher.encrypt(plaintext) or ""

    def decrypt(self, ciphertext: str) -> str:
        return self._cipher.decrypt(ciphertext) or ""


def http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.zalo_timeout), follow_redirects=False)


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(attempts=3, base_delay=settings.zalo_retry_base_delay)


def install_oa(services: Services) -> ZaloOAChannel:
    """The Zalo OA channel, its webhook at /webhooks/zalo and the token upkeep."""
    settings = services.settings
    assert settings.zalo_app_id and settings.zalo_oa_secret_key is not None
    try:
        variants = parse_variants(settings.zalo_signature_variants)
    except ValueError as exc:
        raise ConfigError(f"CANHGIAC_ZALO_SIGNATURE_VARIANTS: {exc}") from exc
    http = http_client(settings)
    tokens = token_manager(settings, services.engine, http)
    # One rate for the app (4,000 requests a minute), shared with other processes through Redis.
    gate = make_gate("zalo", per_second=settings.zalo_rate_per_minute / 60.0, redis=services.redis)
    client = ZaloOAClient(
        http, tokens, base_url=settings.zalo_api_url, retry=retry_policy(settings), gate=gate
    )
    channel = ZaloOAChannel(client, services.engine, unreachable_hooks=services.dispatcher.on_unreachable)
    verifier = SignatureVerifier(
        app_id=settings.zalo_app_id,
        oa_secret_key=settings.zalo_oa_secret_key.get_secret_value(),
        app_secret=settings.zalo_app_secret.get_secret_value() if settings.zalo_app_secret else None,
        oa_id=settings.zalo_oa_id,
        variants=variants,
    )
    services.channels[channel.name] = channel
    services.dispatcher.add_channel(channel)
    services.direct_routes[("POST", webhook.OA_PATH)] = webhook.oa_endpoint(
        services.dispatcher, verifier, max_age_hours=settings.zalo_event_max_age_hours
    )
    services.background.append(tokens.keep_fresh)
    services.shutdown.append(http.aclose)
    return channel


def install_bot(services: Services) -> bot_api.ZaloBotChannel:
    """The Zalo Bot API channel and its webhook at /webhooks/zalo-bot."""
    settings = services.settings
    assert settings.zalo_bot_token is not None
    secret = settings.zalo_bot_webhook_secret
    if secret is None:
        raise ConfigError(
            "CANHGIAC_ZALO_BOT_WEBHOOK_SECRET (8-256 characters) is needed with the Zalo bot token"
        )
    http = http_client(settings)
    client = bot_api.ZaloBotClient(
        http,
        settings.zalo_bot_token.get_secret_value(),
        base_url=settings.zalo_bot_api_url,
        retry=retry_policy(settings),
        gate=make_gate("zalo_bot", per_second=ZALO_BOT_PER_SECOND, redis=services.redis),
    )
    channel = bot_api.ZaloBotChannel(client, services.engine)
    services.channels[channel.name] = channel
    services.dispatcher.add_channel(channel)
    endpoint = webhook.bot_endpoint(services.dispatcher, secret.get_secret_value())
    services.direct_routes[("POST", webhook.BOT_PATH)] = endpoint
    services.shutdown.append(http.aclose)
    return channel


def install(services: Services) -> None:
    """Every Zalo surface the settings configure."""
    if services.settings.zalo_oa_configured:
        install_oa(services)
    if services.settings.zalo_bot_configured:
        install_bot(services)
