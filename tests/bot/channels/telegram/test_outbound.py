"""Replies → Bot API calls, and Bot API errors → the neutral send errors, through the real aiogram client."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.base import PermanentError, RetryAfter, TransientError, Unreachable
from bot.channels.telegram.outbound import TelegramChannel
from bot.ratelimit import RateGate
from bot.runtime import make_telegram_bot
from bot.settings import Settings
from content.messages import Button, Media, Reply
from tests.fakes.telegram import BLOCKED, CHAT_NOT_FOUND, FakeTelegram
from tests.fakes.telegram_rules import html_to_plain

USER = "5120334455"


@pytest.fixture
async def channel(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramChannel]:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, telegram_token=fake.token, telegram_api_url=fake.url, _env_file=None
    )
    bot = make_telegram_bot(settings)
    yield TelegramChannel(bot, gate=RateGate(per_second=1000))
    await bot.session.close()


async def test_html_reply_with_buttons(channel: TelegramChannel, fake: FakeTelegram) -> None:
    reply = Reply(
        "<b>Cảnh báo</b>: số &lt;0912&gt; &amp; link",
        buttons=[
            [Button("📝 Báo cáo", "report:check")],
            [Button("Nguồn", "x", url="https://bocongan.gov.vn")],
        ],
    )
    await channel.send(USER, [reply])
    [call] = fake.sent("sendMessage")
    assert call.chat_id == USER
    assert call.params["parse_mode"] == "HTML"
    assert call.text == "<b>Cảnh báo</b>: số &lt;0912&gt; &amp; link"
    assert call.params["link_preview_options"] == {"is_disabled": True}  # scam links never previewed
    assert call.callback_data == ["report:check"]
    assert call.buttons[1] == {"text": "Nguồn", "url": "https://bocongan.gov.vn"}


async def test_long_reply_is_split_at_paragraphs_with_buttons_on_the_last(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    paragraph = "Đây là một câu dài về cách kẻ gian lừa người dân qua điện thoại. " * 12
    text = "\n\n".join(f"<b>Phần {i}</b> {paragraph.strip()}" for i in range(12))
    assert len(text) > 8000
    await channel.send(USER, [Reply(text, buttons=[[Button("Menu", "menu")]])])
    calls = fake.sent("sendMessage")
    assert len(calls) >= 3
    for call in calls:
        assert len(html_to_plain(call.text)) <= 4096  # the fake parses the HTML as Telegram does
        assert call.text.startswith("<b>Phần")  # cut at a paragraph boundary
    assert [bool(c.buttons) for c in calls] == [False] * (len(calls) - 1) + [True]


async def test_emoji_heavy_text_is_split_by_telegram_length(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    text = "\n".join("⚠️🚨 cảnh báo 🚨⚠️ " * 3 for _ in range(120))  # fits in characters, not in UTF-16 units
    await channel.send(USER, [Reply(text, buttons=[[Button("Menu", "menu")]])])
    calls = fake.sent()  # the fake refuses what is over 4096 UTF-16 units, as Telegram does
    assert len(calls) >= 2 and calls[-1].callback_data == ["menu"]
    assert "".join("".join(c.text.split()) for c in calls) == "".join(text.split())  # nothing lost


async def test_oversized_payload_button_is_dropped_and_logged(
    channel: TelegramChannel, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    too_long = "card:" + "ư" * 30  # 65 bytes: Vietnamese letters take 2–3 bytes each
    await channel.send(USER, [Reply("xin chào", buttons=[[Button("A", too_long), Button("B", "menu")]])])
    assert fake.sent()[0].callback_data == ["menu"]
    assert "does not fit callback_data" in caplog.text


async def test_photo_with_a_short_text_is_one_message(channel: TelegramChannel, fake: FakeTelegram) -> None:
    reply = Reply(
        "<i>Ảnh minh hoạ</i>",
        buttons=[[Button("Menu", "menu")]],
        media=[Media("photo", url="https://x.vn/a.jpg")],
    )
    await channel.send(USER, [reply])
    [photo] = fake.sent("sendPhoto")
    assert photo.params["photo"] == "https://x.vn/a.jpg"
    assert photo.params["caption"] == "<i>Ảnh minh hoạ</i>" and photo.callback_data == ["menu"]
    assert fake.sent("sendMessage") == []


async def test_uploaded_document_then_text(
    channel: TelegramChannel, fake: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"0" * 100)
    text = "x " * 800  # too long for a caption
    await channel.send(
        USER, [Reply(text, media=[Media("document", path=str(path), caption="Báo cáo <quý>")])]
    )
    [doc] = fake.sent("sendDocument")
    assert doc.params["document"]["filename"] == "bao-cao.xlsx"
    assert doc.params["caption"] == "Báo cáo &lt;quý&gt;"
    assert len(fake.sent("sendMessage")) == 1


async def test_contact_request_gets_a_reply_keyboard(channel: TelegramChannel, fake: FakeTelegram) -> None:
    await channel.send(
        USER, [Reply("Số điện thoại của bạn?", buttons=[[Button("Bỏ qua", "skip")]], request_contact=True)]
    )
    first, second = fake.sent()
    assert first.callback_data == ["skip"]
    [[button]] = second.params["reply_markup"]["keyboard"]
    assert button["request_contact"] is True


async def test_429_pauses_every_sender_and_raises(channel: TelegramChannel, fake: FakeTelegram) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await channel.send(USER, [Reply("một")])
    assert caught.value.seconds == 3
    assert channel.gate.paused_for > 2.5


async def test_429_after_the_first_message_waits_in_place_without_duplicates(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, skip=1)
    started = time.monotonic()
    await channel.send(USER, [Reply("một"), Reply("hai")])
    assert [c.text for c in fake.sent()] == ["một", "hai"]
    assert [c.error for c in fake.attempts()] == [None, 429, None]
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(
    ("status", "description"),
    [(403, BLOCKED), (403, "Forbidden: user is deactivated"), (400, CHAT_NOT_FOUND)],
)
async def test_gone_users_are_unreachable(
    channel: TelegramChannel, fake: FakeTelegram, status: int, description: str
) -> None:
    fake.fail("sendMessage", status, description)
    with pytest.raises(Unreachable):
        await channel.send(USER, [Reply("xin chào")])


async def test_server_errors_are_transient(channel: TelegramChannel, fake: FakeTelegram) -> None:
    fake.fail("sendMessage", 500, "Internal Server Error")
    with pytest.raises(TransientError):
        await channel.send(USER, [Reply("xin chào")])


async def test_network_error_is_transient_and_never_shows_the_token(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    await fake.stop()
    with pytest.raises(TransientError) as caught:
        await channel.send(USER, [Reply("xin chào")])
    assert fake.token not in str(caught.value)
    assert fake.token.split(":")[1] not in str(caught.value)


async def test_unparsable_html_is_logged_as_our_bug_and_sent_as_plain_text(
    channel: TelegramChannel, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        await channel.send(USER, [Reply("giá 5 < 7 và <b>đậm</b>")])
    assert "can't parse entities" in caplog.text and "giá 5 < 7" in caplog.text
    [plain] = fake.sent()
    assert plain.text == "giá 5 < 7 và đậm" and "parse_mode" not in plain.params


async def test_message_too_long_is_logged_as_our_bug(
    channel: TelegramChannel, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("sendMessage", 400, "Bad Request: message is too long")
    with pytest.raises(PermanentError):
        await channel.send(USER, [Reply("văn bản đã được dựng")])
    assert "our bug" in caplog.text and "văn bản đã được dựng" in caplog.text


async def test_not_a_chat_id_is_permanent(channel: TelegramChannel) -> None:
    with pytest.raises(PermanentError):
        await channel.send("web-abc", [Reply("x")])
