"""Telegram tests: the real aiogram client against a local fake Bot API, real databases."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram import FakeTelegram

DATA = Path(__file__).parents[3] / "data" / "telegram"
SECRET = "s3cr3t_Webhook-token"
CHAT = 5120334455


def load_update(name: str, *, update_id: int | None = None, chat_id: int | None = None) -> dict[str, Any]:
    """A captured-shape update from tests/data/telegram, optionally moved to another id or chat."""
    update: dict[str, Any] = copy.deepcopy(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))
    if update_id is not None:
        update["update_id"] = update_id
    if chat_id is not None:
        for key in ("message", "edited_message", "my_chat_member"):
            if key in update:
                update[key]["chat"]["id"] = chat_id
                if "from" in update[key]:
                    update[key]["from"]["id"] = chat_id
        if "callback_query" in update:
            update["callback_query"]["message"]["chat"]["id"] = chat_id
            update["callback_query"]["from"]["id"] = chat_id
    return update


def text_update(text: str, *, update_id: int, chat_id: int = CHAT) -> dict[str, Any]:
    """A private text message; a leading /command gets its bot_command entity, as Telegram adds it."""
    update = load_update("private_text", update_id=update_id, chat_id=chat_id)
    update["message"]["text"] = text
    update["message"]["message_id"] = update_id
    if text.startswith("/"):
        length = len(text.split(" ", 1)[0])
        update["message"]["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return update


def press_update(data: str, *, update_id: int, chat_id: int = CHAT) -> dict[str, Any]:
    update = load_update("callback_query", update_id=update_id, chat_id=chat_id)
    update["callback_query"]["data"] = data
    update["callback_query"]["id"] = f"q{update_id}"
    return update


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg_settings(tmp_path: Path, db_url: str, fake: FakeTelegram):  # type: ignore[no-untyped-def]
    """Webhook mode against the fake server, on SQLite and PostgreSQL."""
    from bot.settings import Settings

    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=db_url,
        run_worker=False,
        webchat=False,
        secret_keys=TEST_SECRET_KEY,
        telegram_token=fake.token,
        telegram_api_url=fake.url,
        telegram_webhook_secret=SECRET,
        public_url="https://canhgiac.example.vn",
        _env_file=None,
    )


@dataclass
class Webhook:
    """Telegram's side of the webhook: POSTs updates with the secret header."""

    client: httpx.AsyncClient
    services: Any
    fake: FakeTelegram
    app: Any = None  # the whole web app, for a test that also drives the console

    async def post(
        self, update: Any, *, secret: str | None = SECRET, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        headers = dict(headers or {})
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if isinstance(update, bytes | str):
            return await self.client.post("/webhooks/telegram", content=update, headers=headers)
        return await self.client.post("/webhooks/telegram", json=update, headers=headers)

    async def settle(self) -> None:
        """Wait until every recorded update has been processed and answered."""
        await self.services.dispatcher.drain()


@asynccontextmanager
async def running_app(settings: Any, library: Any, fake: FakeTelegram) -> AsyncIterator[Webhook]:
    """The whole process as `canhgiac serve` builds it, its lifespan running (recover, background)."""
    from bot.runtime import build_runtime
    from bot.web.app import create_app

    services = build_runtime(settings, migrate=False, library=library)
    app = create_app(services)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield Webhook(client=client, services=services, fake=fake, app=app)
    finally:
        services.engine.dispose()


@pytest.fixture
async def webhook(tg_settings: Any, test_library: Any, fake: FakeTelegram) -> AsyncIterator[Webhook]:
    async with running_app(tg_settings, test_library, fake) as hook:
        await fake.wait_for("setMyCommands")
        yield hook
