"""Telegram updates (captured shapes in tests/data/telegram) → neutral incoming messages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.channels.telegram.inbound import blocked_by_user, parse_update, to_messages, user_key_of
from tests.bot.channels.telegram.conftest import CHAT, load_update


def test_private_text() -> None:
    [msg] = to_messages(load_update("private_text"))
    assert msg.channel == "telegram" and msg.user_key == str(CHAT)
    assert msg.text.startswith("cho hỏi số 0912345678")
    assert msg.display_name == "Lan Nguyễn"
    assert msg.platform_id == "734521001"
    assert msg.received_at == dt.datetime(2025, 11, 23, 7, 0, tzinfo=dt.UTC)
    assert not msg.forwarded and msg.payload is None


def test_command_with_bot_command_entity_and_deep_link() -> None:
    [start] = to_messages(load_update("command_start"))
    assert start.command == ("/start", "")
    [deep] = to_messages(load_update("command_start_deeplink"))
    assert deep.command == ("/start", "baocao")


def test_callback_query_carries_the_button_payload() -> None:
    [msg] = to_messages(load_update("callback_query"))
    assert msg.payload == "card:impersonate-authority" and msg.text == ""
    assert msg.user_key == str(CHAT)
    assert msg.extras["callback_query_id"] == "2199023255552123456"


def test_photo_with_caption_keeps_the_largest_size() -> None:
    [msg] = to_messages(load_update("photo_caption"))
    assert msg.text == "ảnh chụp tin nhắn của người tự xưng công an"
    [photo] = msg.attachments
    assert photo.kind == "photo" and photo.ref == "AgACAgUAAxkBAAIBY2dmc2xhcmdlAAQ" and photo.size == 98231


def test_forwarded_message_is_marked_with_its_origin() -> None:
    [msg] = to_messages(load_update("forwarded"))
    assert msg.forwarded
    assert "tài khoản tạm giữ" in msg.text
    assert msg.extras["forward_origin"]["username"] == "conganhn_cshs"


def test_document_contact_location() -> None:
    [doc] = to_messages(load_update("document"))
    assert doc.attachments[0].kind == "document" and doc.attachments[0].name == "sao_ke.pdf"
    [contact] = to_messages(load_update("contact"))
    assert contact.contact_phone == "84912345678" and contact.text == ""
    [where] = to_messages(load_update("location"))
    assert where.location is not None and where.location.latitude == pytest.approx(21.028511)


def test_someone_elses_contact_card_is_checked_like_a_number() -> None:
    update = load_update("contact")
    update["message"]["contact"] = {"phone_number": "0987654321", "first_name": "Shipper", "user_id": 777}
    [msg] = to_messages(update)
    assert msg.contact_phone is None
    assert "0987654321" in msg.text


def test_edited_message_is_ignored() -> None:
    update = load_update("edited_message")
    assert user_key_of(parse_update(update)) is None
    assert to_messages(update) == []


def test_group_chat_is_ignored() -> None:
    assert to_messages(load_update("group_text")) == []


def test_blocking_the_bot_is_a_chore_not_a_message() -> None:
    update = load_update("my_chat_member_kicked")
    assert to_messages(update) == []
    assert blocked_by_user(parse_update(update)) == str(CHAT)
    assert blocked_by_user(parse_update(load_update("private_text"))) is None


@pytest.mark.parametrize("payload", [[], "x", {"message": {}}, {"update_id": "abc"}])
def test_invalid_updates_are_refused(payload: object) -> None:
    with pytest.raises(ValueError):
        parse_update(payload)
