"""Fixtures of the bot's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.web.app import create_app


@pytest.fixture
async def client(services) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """An HTTP client of the web app with the local web chat, without background jobs."""
    from bot.channels.webchat.channel import WebChatChannel

    services.channels["web"] = WebChatChannel()
    app = create_app(services, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
