"""The Zalo Bot API channel: client, webhook with its secret, both body forms, numbered options."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot.channels.base import PermanentError, RetryAfter
from bot.channels.zalo.bot_api import to_messages, unwrap
from bot.channels.zalo.errors import ConfigurationError
from bot.channels.zalo.webhook import BOT_PATH, bot_endpoint
from bot.web.app import create_app
from content.messages import Media, Reply
from tests.bot.zalo.conftest import DATA, ZaloHarness

CHAT = "6ede9afa66b88fe6d6a9"


def update(text: str, message_id: str, chat: str = CHAT, **fields: object) -> bytes:
    message = {
        "from": {"id": chat, "display_name": "Ted", "is_bot": False},
        "chat": {"id": chat, "chat_type": "PRIVATE"},
        "text": text,
        "message_id": message_id,
        "date": 1750316131602,
        **fields,
    }
    return json.dumps(
        {"ok": True, "result": {"event_name": "message.text.received", "message": message}}
    ).encode()


def test_both_body_forms_unwrap_to_the_same_update() -> None:
    wrapped = unwrap(json.loads((DATA / "bot_text_wrapped.json").read_text()))
    flat = unwrap(json.loads((DATA / "bot_text_flat.json").read_text()))
    assert wrapped is not None and flat is not None
    assert wrapped["message"]["text"] == flat["message"]["text"] == "Xin chào"
    assert unwrap({"ok": True}) is None and unwrap([1]) is None


def test_image_and_unsupported_updates() -> None:
    image = unwrap(json.loads((DATA / "bot_image.json").read_text()))
    assert image is not None
    [msg] = to_messages(image)
    assert msg.text == "tin nhắn lạ" and msg.attachments[0].url == "https://b-f.zdn.vn/p/1.jpg"
    unsupported = unwrap(json.loads((DATA / "bot_unsupported.json").read_text()))
    assert unsupported is not None
    [msg] = to_messages(unsupported)
    assert msg.attachments[0].kind == "unsupported" and msg.user_key == CHAT


async def test_client_methods_speak_the_wire_format(zalo: ZaloHarness) -> None:
    client = zalo.bot.client
    me = await client.get_me()
    assert me.id == "1459232241454765289"
    hook = await client.set_webhook("https://canhgiac.example.vn/webhooks/zalo-bot", "bot-webhook-secret-123")
    assert hook.url.endswith("/zalo-bot") and zalo.fake.webhook["secret_token"] == "bot-webhook-secret-123"
    sent = await client.send_message(CHAT, "Xin chào")
    assert sent.message_id
    await client.send_photo(CHAT, "https://canhgiac.vn/a.jpg", "Ảnh")
    assert [m["method"] for m in zalo.fake.bot_sent(CHAT)] == ["sendMessage", "sendPhoto"]
    with pytest.raises(Exception, match="https"):
        await client.set_webhook("http://localhost/hook", "bot-webhook-secret-123")


@pytest.mark.parametrize("name", ["bot_text_wrapped", "bot_text_flat"])
async def test_webhook_accepts_both_forms_and_answers_with_numbered_options(
    zalo: ZaloHarness, name: str
) -> None:
    response = await zalo.post_bot((DATA / f"{name}.json").read_bytes())
    assert response.status_code == 200 and response.json()["duplicate"] is False
    await zalo.services.dispatcher.drain()
    [answer] = zalo.fake.bot_sent(CHAT)
    assert "Xin chào" in answer["text"] and "1. " in answer["text"] and "2. " in answer["text"]


async def test_numbered_answer_opens_the_library(zalo: ZaloHarness) -> None:
    await zalo.post_bot(update("menu", "m1"))
    await zalo.services.dispatcher.drain()
    await zalo.post_bot(update("2", "m2"))
    await zalo.services.dispatcher.drain()
    last = zalo.fake.bot_sent(CHAT)[-1]["text"]
    first_card = zalo.services.library.browsing_order()[0]
    assert f"1. {first_card.title}" in last and len(last) <= 2000


@pytest.mark.parametrize("secret", [None, "wrong-secret-123"])
async def test_wrong_or_missing_secret_is_rejected(zalo: ZaloHarness, secret: str | None) -> None:
    response = await zalo.post_bot(update("menu", "m1"), secret=secret)
    assert response.status_code == 401
    await zalo.services.dispatcher.drain()
    assert zalo.fake.bot_sent() == []


@pytest.mark.parametrize("configured", [None, ""])
async def test_a_webhook_without_a_configured_secret_refuses_everything(
    zalo: ZaloHarness, configured: str | None
) -> None:
    zalo.services.direct_routes[("POST", BOT_PATH)] = bot_endpoint(zalo.services.dispatcher, configured)
    app = create_app(zalo.services, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zalo.test") as http:
        for number, sent in enumerate((None, "", "any-secret-at-all")):
            headers = {"content-type": "application/json"}
            if sent is not None:
                headers["X-Bot-Api-Secret-Token"] = sent
            response = await http.post(BOT_PATH, content=update("menu", f"n{number}"), headers=headers)
            assert response.status_code == 401
    await zalo.services.dispatcher.drain()
    assert zalo.fake.bot_sent() == []


async def test_replay_is_answered_once(zalo: ZaloHarness) -> None:
    body = update("menu", "same")
    await zalo.post_bot(body)
    response = await zalo.post_bot(body)
    assert response.json()["duplicate"] is True
    await zalo.services.dispatcher.drain()
    assert len(zalo.fake.bot_sent(CHAT)) == 1


async def test_bad_token_stops_sending_and_alerts(
    zalo: ZaloHarness, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fake.bot_token = "other:token"
    try:
        with caplog.at_level(logging.CRITICAL), pytest.raises(PermanentError):
            await zalo.bot.send(CHAT, [Reply("x")])
        assert "ALERT zalo_bot" in caplog.text
        with pytest.raises(ConfigurationError):
            await zalo.bot.client.get_me()
    finally:
        zalo.fake.bot_token = zalo.services.settings.zalo_bot_token.get_secret_value()  # type: ignore[union-attr]


async def test_rate_limit_backs_off_then_retry_after(zalo: ZaloHarness) -> None:
    zalo.fake.fail("bot/sendMessage", status=429)
    await zalo.bot.send(CHAT, [Reply("một")])
    assert [c.outcome for c in zalo.fake.calls("bot/sendMessage")] == ["429", "ok"]
    zalo.fake.fail("bot/sendMessage", status=429, times=3)
    with pytest.raises(RetryAfter):
        await zalo.bot.send(CHAT, [Reply("hai")])


async def test_photo_by_url_and_long_text_split(zalo: ZaloHarness) -> None:
    text = "Cẩn thận với cuộc gọi lạ. " * 200
    await zalo.bot.send(
        CHAT, [Reply(text, media=[Media("photo", url="https://canhgiac.vn/a.jpg", caption="Ảnh")])]
    )
    sent = zalo.fake.bot_sent(CHAT)
    assert sent[0]["method"] == "sendPhoto" and sent[0]["photo"] == "https://canhgiac.vn/a.jpg"
    assert all(len(m.get("text", "")) <= 2000 for m in sent) and len(sent) == 4
