"""Admin tasks behind `canhgiac zalo …` and `canhgiac zalo-bot …`: consent, status, webhook."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import Engine

from bot.channels.zalo.bot_api import BotInfo, WebhookInfo, ZaloBotClient
from bot.channels.zalo.client import ZaloOAClient
from bot.channels.zalo.models import OAInfo
from bot.channels.zalo.oauth import consent_url, pkce_pair
from bot.channels.zalo.setup import http_client, retry_policy, token_manager
from bot.settings import ConfigError, Settings


@dataclass(frozen=True)
class Consent:
    """One consent attempt: the link to open and what is needed to redeem its code."""

    url: str
    verifier: str
    challenge: str
    state: str
    redirect_uri: str


def start_consent(
    settings: Settings, *, verifier: str | None = None, redirect_uri: str | None = None
) -> Consent:
    if not settings.zalo_app_id:
        raise ConfigError("CANHGIAC_ZALO_APP_ID is not set")
    redirect = redirect_uri or settings.effective_zalo_redirect_uri
    if not redirect:
        raise ConfigError("set CANHGIAC_ZALO_REDIRECT_URI (or CANHGIAC_PUBLIC_URL), or pass --redirect-uri")
    verifier, challenge = pkce_pair(verifier)
    state = secrets.token_urlsafe(12)
    url = consent_url(
        settings.zalo_oauth_url,
        app_id=settings.zalo_app_id,
        redirect_uri=redirect,
        challenge=challenge,
        state=state,
    )
    return Consent(url=url, verifier=verifier, challenge=challenge, state=state, redirect_uri=redirect)


def parse_code(answer: str, *, state: str) -> tuple[str, str | None]:
    """(code, oa_id) from a bare code or the whole redirect URL; a URL's state must match."""
    answer = answer.strip()
    if "code=" not in answer:
        if not answer:
            raise ValueError("no code given")
        return answer, None
    query = parse_qs(urlsplit(answer).query or answer.split("?", 1)[-1])
    code = (query.get("code") or [""])[0]
    given_state = query["state"][0] if query.get("state") else None
    if not code:
        raise ValueError("the address has no code")
    if given_state is not None and given_state != state:
        raise ValueError("the address belongs to another consent (state differs); start again")
    return code, query["oa_id"][0] if query.get("oa_id") else None


async def finish_consent(
    settings: Settings, engine: Engine, consent: Consent, code: str, oa_id: str | None
) -> dict[str, Any]:
    """Redeem the code and store the pair encrypted; returns the stored status (no token)."""
    async with http_client(settings) as http:
        tokens = token_manager(settings, engine, http)
        pair = await tokens.oauth.exchange_code(code, consent.verifier)
        await tokens.store_new_pair(pair, oa_id=oa_id)
        return tokens.status()


async def oa_status(settings: Settings, engine: Engine) -> tuple[dict[str, Any], OAInfo | None, str | None]:
    """The stored pair's status and the OA as Zalo sees it (or why it could not be read)."""
    async with http_client(settings) as http:
        tokens = token_manager(settings, engine, http)
        status = tokens.status()
        if not status.get("authorized"):
            return status, None, None
        client = ZaloOAClient(http, tokens, base_url=settings.zalo_api_url, retry=retry_policy(settings))
        try:
            info = await client.get_oa_info()
        except Exception as exc:  # texts of our errors carry no secret
            return tokens.status(), None, str(exc)
        return tokens.status(), info, None


async def bot_set_webhook(settings: Settings, url: str | None = None) -> tuple[BotInfo, WebhookInfo]:
    if settings.zalo_bot_token is None:
        raise ConfigError("CANHGIAC_ZALO_BOT_TOKEN is not set")
    secret = settings.zalo_bot_webhook_secret
    if secret is None:
        raise ConfigError("CANHGIAC_ZALO_BOT_WEBHOOK_SECRET (8-256 characters) is not set")
    target = url or (f"{settings.public_url.rstrip('/')}/webhooks/zalo-bot" if settings.public_url else None)
    if not target or not target.startswith("https://"):
        raise ConfigError(
            "the Zalo Bot API needs a public https address: set CANHGIAC_PUBLIC_URL or pass --url"
        )
    async with http_client(settings) as http:
        client = ZaloBotClient(
            http,
            settings.zalo_bot_token.get_secret_value(),
            base_url=settings.zalo_bot_api_url,
            retry=retry_policy(settings),
        )
        me = await client.get_me()
        hook = await client.set_webhook(target, secret.get_secret_value())
        return me, hook
