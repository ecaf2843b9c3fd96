"""Zalo fixtures: the fake Zalo server, settings pointing at it, services with the Zalo channels."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Services, build_services
from bot.channels.zalo.bot_api import ZaloBotChannel
from bot.channels.zalo.models import TokenPair
from bot.channels.zalo.oauth import TokenManager
from bot.channels.zalo.outbound import ZaloOAChannel
from bot.channels.zalo.setup import install
from bot.settings import Settings
from bot.web.app import create_app
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.zalo import APP_ID, APP_SECRET, BOT_TOKEN, OA_ID, OA_SECRET_KEY, FakeZalo

DATA = Path(__file__).parents[2] / "data" / "zalo"
BOT_WEBHOOK_SECRET = "bot-webhook-secret-123"


@pytest.fixture(scope="session")
def real_library():  # type: ignore[no-untyped-def]
    from content.library import load_library

    return load_library()


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeZalo]:
    with FakeZalo() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeZalo) -> FakeZalo:
    fake_server.reset()
    return fake_server


def make_settings(tmp_path: Path, db_url: str, fake: FakeZalo, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": db_url,
        "run_worker": False,
        "secret_keys": TEST_SECRET_KEY,
        "zalo_app_id": APP_ID,
        "zalo_app_secret": APP_SECRET,
        "zalo_oa_secret_key": OA_SECRET_KEY,
        "zalo_api_url": fake.url,
        "zalo_oauth_url": fake.url,
        "zalo_bot_token": BOT_TOKEN,
        "zalo_bot_api_url": fake.url,
        "zalo_bot_webhook_secret": BOT_WEBHOOK_SECRET,
        "zalo_retry_base_delay": 0.02,
        "zalo_timeout": 5.0,
        "public_url": "https://canhgiac.example.vn",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def zalo_settings(tmp_path: Path, db_url: str, fake: FakeZalo) -> Settings:
    return make_settings(tmp_path, db_url, fake)


def sign(body: bytes, *, app_id: str = APP_ID, key: str = OA_SECRET_KEY) -> str:
    """The documented formula, written out independently of bot/channels/zalo/signature.py."""
    timestamp = str(json.loads(body)["timestamp"])
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + key.encode()).hexdigest()


def event(name: str, user: str, *, text: str | None = None, msg_id: str | None = None, **extra: Any) -> bytes:
    """A fresh OA event body (timestamp now), compact as Zalo sends it."""
    event.counter += 1  # type: ignore[attr-defined]
    data: dict[str, Any] = {
        "app_id": APP_ID,
        "user_id_by_app": "by-app-" + user,
        "event_name": name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user},
        "recipient": {"id": OA_ID},
    }
    if name.startswith("user_send_"):
        data["message"] = {"msg_id": msg_id or f"msg{event.counter:010d}"}  # type: ignore[attr-defined]
        if text is not None:
            data["message"]["text"] = text
    if name in ("follow", "unfollow"):
        data.pop("sender")
        data["follower"] = {"id": user}
        data["oa_id"] = OA_ID
    data.update(extra)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


event.counter = 0  # type: ignore[attr-defined]


@dataclass
class ZaloHarness:
    services: Services
    fake: FakeZalo
    http: httpx.AsyncClient
    seen: dict[str, int] = field(default_factory=dict)

    @property
    def oa(self) -> ZaloOAChannel:
        channel = self.services.channels["zalo"]
        assert isinstance(channel, ZaloOAChannel)
        return channel

    @property
    def bot(self) -> ZaloBotChannel:
        channel = self.services.channels["zalo_bot"]
        assert isinstance(channel, ZaloBotChannel)
        return channel

    @property
    def tokens(self) -> TokenManager:
        tokens = self.oa.client.tokens
        assert isinstance(tokens, TokenManager)
        return tokens

    async def authorize(self, **kwargs: Any) -> dict[str, Any]:
        pair = self.fake.issue_tokens(**kwargs)
        await self.tokens.store_new_pair(TokenPair.model_validate(pair))
        return pair

    async def post(self, body: bytes, *, signature: str | None = "sign") -> httpx.Response:
        headers = {"content-type": "application/json"}
        if signature == "sign":
            headers["X-ZEvent-Signature"] = sign(body)
        elif signature is not None:
            headers["X-ZEvent-Signature"] = signature
        return await self.http.post("/webhooks/zalo", content=body, headers=headers)

    async def post_bot(self, body: bytes, *, secret: str | None = BOT_WEBHOOK_SECRET) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        return await self.http.post("/webhooks/zalo-bot", content=body, headers=headers)

    async def say(self, user: str, text: str) -> list[dict[str, Any]]:
        """A user types `text`; returns the OA messages they received in answer."""
        response = await self.post(event("user_send_text", user, text=text))
        assert response.status_code == 200, response.text
        return await self.answers(user)

    async def press(self, user: str, payload: str) -> list[dict[str, Any]]:
        return await self.say(user, "#cg:" + payload)

    async def answers(self, user: str) -> list[dict[str, Any]]:
        await self.services.dispatcher.drain()
        sent = self.fake.sent(user)
        new, self.seen[user] = sent[self.seen.get(user, 0) :], len(sent)
        return new


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    found = []
    for message in messages:
        for button in ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []:
            if isinstance(button["payload"], str):
                found.append(button["payload"])
    return found


@pytest.fixture
async def zalo(zalo_settings: Settings, fake: FakeZalo, real_library) -> AsyncIterator[ZaloHarness]:  # type: ignore[no-untyped-def]
    services = build_services(zalo_settings, library=real_library)
    install(services)
    app = create_app(services, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zalo.test") as http:
        yield ZaloHarness(services, fake, http)
        await services.dispatcher.drain()
    for stop in services.shutdown:
        await stop()
    services.engine.dispose()
