"""Subscribing to a commune's alerts through the public conversation entry point."""

from __future__ import annotations

from sqlmodel import Session, select

from content import places
from storage.models import Subscription
from tests.harness import Conversation

HOAN_KIEM = places.match_ward(1, "Hoàn Kiếm")[0]


def _subs(services) -> list[Subscription]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as session:
        return list(session.exec(select(Subscription).order_by(Subscription.id)).all())


def test_subscribe_by_names_without_diacritics(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/canhbao")
    assert "tỉnh/thành phố" in conversation.text
    conversation.say("ha noi")
    assert "Thành phố Hà Nội" in conversation.text and "xã/phường" in conversation.text
    conversation.say("phuong hoan kiem")
    assert "Đã đăng ký" in conversation.text and "Phường Hoàn Kiếm" in conversation.text
    (sub,) = _subs(services)
    assert (sub.channel, sub.user_key, sub.ward_code, sub.active) == ("test", "u1", HOAN_KIEM.ward_code, True)
    assert sub.province_code == 1


def test_menu_button_and_status_when_subscribed(conversation: Conversation) -> None:
    conversation.press("alerts")
    conversation.say("Hà Nội")
    conversation.say("Hoàn Kiếm")
    conversation.press("alerts")
    assert "đang nhận cảnh báo" in conversation.text
    assert conversation.payloads[:2] == ["sub:change", "unsub"]


def test_old_province_name_is_explained(conversation: Conversation) -> None:
    conversation.say("/canhbao")
    conversation.say("binh duong")
    assert '"binh duong" là' in conversation.text and "Hồ Chí Minh" in conversation.text


def test_ambiguous_province_asks_instead_of_guessing(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/canhbao")
    conversation.say("ĐN")
    choices = [p for p in conversation.payloads if p.startswith("sub:p:")]
    assert len(choices) == 2
    assert _subs(services) == []
    conversation.press(choices[0])
    assert "xã/phường" in conversation.text


def test_unknown_names_ask_again(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/canhbao")
    conversation.say("xyzxyz")
    assert "chưa tìm thấy tỉnh/thành" in conversation.text
    conversation.say("ha noi")
    conversation.say("khong co phuong nay")
    assert "chưa tìm thấy xã/phường" in conversation.text
    assert "sub:province" in conversation.payloads
    assert _subs(services) == []


def test_close_spelling_is_confirmed_before_subscribing(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/canhbao")
    conversation.say("ha noi")
    conversation.say("hoan kiemm")
    assert "Có phải bạn ở" in conversation.text and "Phường Hoàn Kiếm" in conversation.text
    assert _subs(services) == []
    conversation.press(f"sub:w:{HOAN_KIEM.ward_code}")
    assert "Đã đăng ký" in conversation.text
    assert len(_subs(services)) == 1


def test_change_commune_ends_the_old_subscription(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/canhbao")
    conversation.say("ha noi")
    conversation.say("hoan kiem")
    conversation.press("sub:change")
    conversation.say("Hà Nội")
    conversation.say("Ba Đình")
    assert "Đã ngừng nhận cảnh báo của Phường Hoàn Kiếm" in conversation.text
    old, new = _subs(services)
    assert (old.active, old.end_reason) == (False, "changed")
    assert new.active
    assert places.ward(new.ward_code).ward_name == "Phường Ba Đình"  # type: ignore[union-attr]


def test_unsubscribe_command(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/huycanhbao")
    assert "chưa đăng ký" in conversation.text
    conversation.say("/canhbao")
    conversation.say("ha noi")
    conversation.say("hoan kiem")
    conversation.say("/huycanhbao")
    assert "Đã ngừng gửi cảnh báo của" in conversation.text
    (sub,) = _subs(services)
    assert (sub.active, sub.end_reason) == (False, "unsubscribed")
    assert sub.ended_at is not None
    assert "alerts" in conversation.payloads  # subscribing again is one tap


def test_cancel_in_the_middle_keeps_nothing(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.say("/canhbao")
    conversation.say("ha noi")
    conversation.say("hủy")
    assert "Chọn một mục" in conversation.text
    conversation.say("hoan kiem")  # now checked as free text, not a commune
    assert _subs(services) == []


def test_numbered_choice_on_a_plain_channel(conversation: Conversation, services) -> None:  # type: ignore[no-untyped-def]
    conversation.numbered = True
    conversation.say("/canhbao")
    conversation.say("dn")
    assert "1. " in conversation.text
    conversation.say("1")
    conversation.say("hai chau")
    assert "Đã đăng ký" in conversation.text and "Phường Hải Châu" in conversation.text


def test_follow_offers_to_subscribe(conversation: Conversation) -> None:
    conversation.press("follow")
    assert "alerts" in conversation.payloads
    assert "nhận cảnh báo" in conversation.text
