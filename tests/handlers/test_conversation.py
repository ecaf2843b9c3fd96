"""The core conversations through the public handler entry point, on a real database."""

from __future__ import annotations

from handlers.conversation import Conversations
from tests.harness import Conversation


def test_start_shows_menu_with_greeting(conversation: Conversation) -> None:
    conversation.say("/start")
    assert "Xin chào" in conversation.text
    assert conversation.payloads[:2] == ["check", "lib:1"]


def test_menu_word_without_diacritics_returns_menu(conversation: Conversation) -> None:
    conversation.say("kiểm tra")  # goes to the checker
    conversation.say("MENU")
    assert "check" in conversation.payloads and "Xin chào" not in conversation.text


def test_library_lists_cards_and_opens_one(conversation: Conversation) -> None:
    conversation.press("lib:1")
    assert "card:impersonate-authority" in conversation.payloads
    conversation.press("card:impersonate-authority")
    assert "Giả danh công an" in conversation.text
    assert "Cúp máy" in conversation.text
    assert "report:modus:impersonate-authority" in conversation.payloads


def test_emergency_guide_opens(conversation: Conversation) -> None:
    conversation.press("guide:after-scam")
    assert "tổng đài ngân hàng" in conversation.text


def test_free_text_is_checked_and_offers_next_steps(conversation: Conversation) -> None:
    conversation.say("Có người gọi bảo tôi chuyển tiền")
    assert conversation.payloads[0] == "report:check"
    assert "guide:after-scam" in conversation.payloads


def test_check_prompt_then_text(conversation: Conversation) -> None:
    conversation.press("check")
    assert "dán" in conversation.text.lower()
    conversation.say("   ")
    assert "chưa nhận được nội dung" in conversation.text


def test_numbered_answer_on_a_channel_without_buttons(conversation: Conversation) -> None:
    conversation.numbered = True
    conversation.say("/start")
    assert "1. " in conversation.text and "2. " in conversation.text
    conversation.say("2")  # the second option: the library
    assert "card:impersonate-authority" in conversation.payloads


def test_number_out_of_range_is_checked_as_text(conversation: Conversation) -> None:
    conversation.numbered = True
    conversation.say("/start")
    conversation.say("99")
    assert "report:check" in conversation.payloads


def test_feature_not_offered_answers_honestly(conversation: Conversation) -> None:
    from dataclasses import replace

    from handlers.context import Features

    without = Conversation(replace(conversation.conversations, features=Features()))
    without.say("/baocao")
    assert "đang được hoàn thiện" in without.text
    assert "VNeID" in without.text


def test_unknown_command(conversation: Conversation) -> None:
    conversation.say("/xyz")
    assert "/xyz" in conversation.text


def test_photo_without_text_gets_explanation(conversation: Conversation) -> None:
    conversation.send_file("photo")  # this channel cannot download it
    assert "chưa tải được ảnh" in conversation.text
    conversation.send_file("sticker")
    assert "nhãn dán" in conversation.text


def test_user_text_is_escaped_in_html(conversation: Conversation) -> None:
    conversation.say("/<b>x</b>")
    assert "<b>x</b>" not in conversation.html
    assert "&lt;b&gt;" in conversation.html


def test_state_survives_a_restart(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.press("check")
    fresh = Conversations(
        engine=services.engine,
        library=services.library,
        checker=services.checker,
        lookup=services.conversations.lookup,
    )
    again = Conversation(fresh, user_key=conversation.user_key)
    again.say("")
    assert "chưa nhận được nội dung" in again.text


def test_verdict_card_shows_numbers_as_residents_write_them(conversation: Conversation) -> None:
    conversation.say(
        "co nguoi xung cong an goi tu so 0865214937 bao em lien quan vu rua tien, "
        "bat chuyen het tien vao tai khoan tam giu de xac minh"
    )
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in conversation.text
    assert "0865 214 937" in conversation.text
    assert "chưa có trong danh sách đã xác minh" in conversation.text
    assert conversation.text.count("Giả danh công an") == 1  # the title, not repeated as a reason


def test_verdict_card_says_how_often_an_entity_was_reported(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    from storage import registry
    from storage.db import transaction

    with transaction(services.engine) as session:
        registry.confirm_entity(session, kind="phone", value="+84865214937", count=4)
    conversation.say("so 0865214937 goi cho toi bao trung thuong")
    assert "đã bị báo cáo 4 lần" in conversation.text
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in conversation.text


def test_a_batch_of_chats_sees_the_registry_as_one_message_would(services) -> None:  # type: ignore[no-untyped-def]
    from bot.channels.base import Capabilities
    from bot.channels.render import render
    from handlers.conversation import Turn
    from handlers.messages import IncomingMessage
    from storage import registry
    from storage.db import transaction

    with transaction(services.engine) as session:
        registry.confirm_entity(session, kind="phone", value="+84865214937", count=4)
        registry.confirm_entity(session, kind="url", value="vietcombank-xacthuc.top", count=2)
    conversations: Conversations = services.conversations
    # chat b first asks to check, so its next text is checked from a step, not from idle
    conversations.handle(IncomingMessage(channel="t", user_key="b", text="/kiemtra"))
    texts = {
        "a": "so 0865214937 goi cho toi bao trung thuong",
        "b": "vao https://vietcombank-xacthuc.top/login de xac thuc tai khoan",
        "c": "tin nhan tu 0912345678 hoi tham suc khoe",
        "d": "/start",
    }
    turns = [Turn(IncomingMessage(channel="t", user_key=k, text=v)) for k, v in texts.items()]
    caps = Capabilities(max_len=100_000, buttons=True, html=False)
    answers = {
        turn.msg.user_key: "\n".join(c for r in render(result, caps) for c in r.chunks)
        for turn, result in zip(turns, conversations.handle_many(turns), strict=True)
    }
    assert "đã bị báo cáo 4 lần" in answers["a"]
    assert "đã bị báo cáo 2 lần" in answers["b"]
    assert "chưa có trong danh sách đã xác minh" in answers["c"]
    assert "Xin chào" in answers["d"]
    # and each answer is the one that chat would get alone
    for key in ("a", "b", "c"):
        alone = conversations.handle(IncomingMessage(channel="t", user_key=key + "2", text=texts[key]))
        assert "\n".join(c for r in render(alone, caps) for c in r.chunks) == answers[key]


def test_a_genuine_one_time_code_names_no_card_and_says_it_looks_genuine(conversation: Conversation) -> None:
    conversation.say("Agribank: 418022 la ma OTP xac nhan chuyen 1.500.000d. Khong cung cap ma nay cho ai.")
    assert "CHƯA THẤY DẤU HIỆU" in conversation.text
    assert "Giống chiêu" not in conversation.text
    assert "giống một tin nhắn thật" in conversation.text
    assert "guide:after-scam" in conversation.payloads


def test_a_bare_account_number_is_looked_up_in_the_registry(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    from storage import registry
    from storage.db import transaction

    with transaction(services.engine) as session:
        registry.confirm_entity(session, kind="bank_account", value="0123456789", count=3)
    conversation.say("0123456789")
    assert "đã bị báo cáo 3 lần" in conversation.text
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in conversation.text
