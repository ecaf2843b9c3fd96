"""Webhook registration, run from the command line once per deployment (not by every instance)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.methods import DeleteWebhook, GetWebhookInfo, SetWebhook
from aiogram.types import WebhookInfo

from bot.channels.telegram import ALLOWED_UPDATES
from bot.channels.telegram.webhook import PATH


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + PATH


async def set_webhook(
    bot: Bot, *, public_url: str, secret: str, drop_pending: bool = False, max_connections: int = 40
) -> WebhookInfo:
    """Point Telegram at our webhook with the secret header and only the update types we handle."""
    await bot(
        SetWebhook(
            url=webhook_url(public_url),
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=max_connections,
            drop_pending_updates=drop_pending,
        )
    )
    return await bot(GetWebhookInfo())


async def delete_webhook(bot: Bot, *, drop_pending: bool = False) -> None:
    await bot(DeleteWebhook(drop_pending_updates=drop_pending))


async def webhook_info(bot: Bot) -> WebhookInfo:
    return await bot(GetWebhookInfo())
