"""/phatcanhbao: a linked officer sends an alert from chat, within their units."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from handlers.context import Features
from handlers.conversation import Conversations
from storage.models import Alert, Officer, OfficerLink
from tests.alert_factories import BA_DINH, HAI_CHAU, HANOI, HOAN_KIEM, add_subscribers, make_officer
from tests.harness import Conversation


def _chat(services, *, approval: bool = False, user_key: str = "officer") -> Conversation:  # type: ignore[no-untyped-def]
    conversations = Conversations(
        engine=services.engine,
        library=services.library,
        checker=services.checker,
        lookup=services.conversations.lookup,
        features=Features(alert_approval=approval, alert_channels=("telegram", "zalo")),
    )
    return Conversation(conversations, user_key=user_key)


def _link(engine: Engine, officer: Officer, user_key: str = "officer") -> None:
    with Session(engine) as session:
        session.add(OfficerLink(officer_id=int(officer.id or 0), channel="test", user_key=user_key))
        session.commit()


def _alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert)).all())


def test_only_linked_officers_may_broadcast(services) -> None:  # type: ignore[no-untyped-def]
    chat = _chat(services)
    chat.say("/phatcanhbao")
    assert "đã liên kết tài khoản" in chat.text
    assert _alerts(services.engine) == []


def test_commune_officer_sends_a_library_card_to_their_commune(services) -> None:  # type: ignore[no-untyped-def]
    engine = services.engine
    _link(engine, make_officer(engine, username="hoankiem"))
    add_subscribers(engine, 4)
    chat = _chat(services)
    chat.say("/phatcanhbao")
    card = next(p for p in chat.payloads if p.startswith("bc:card:"))
    chat.press(card)
    assert "Xem trước" in chat.text and "CẢNH BÁO LỪA ĐẢO" in chat.text
    assert "Phường Hoàn Kiếm" in chat.text and "Số người đang đăng ký nhận: 4" in chat.text
    chat.press("bc:send")
    assert "đang được gửi" in chat.text
    (alert,) = _alerts(engine)
    assert (alert.status, alert.ward_codes, alert.card_id) == ("scheduled", [HOAN_KIEM], card[8:])
    assert alert.channels == ["telegram", "zalo"]


def test_province_officer_types_communes_and_own_text(services) -> None:  # type: ignore[no-untyped-def]
    engine = services.engine
    _link(engine, make_officer(engine, username="pa05", role="province"))
    chat = _chat(services)
    chat.say("/phatcanhbao")
    chat.say("Giả danh công an <gọi video>\nHọ yêu cầu chuyển tiền để 'xác minh'. Đừng làm theo.")
    assert "Gõ tên xã/phường của Thành phố Hà Nội" in chat.text
    chat.say("hoan kiem, Ba Đình")
    assert "Phường Hoàn Kiếm, Phường Ba Đình" in chat.text or "Phường Ba Đình, Phường Hoàn Kiếm" in chat.text
    chat.press("bc:send")
    (alert,) = _alerts(engine)
    assert sorted(alert.ward_codes) == sorted([HOAN_KIEM, BA_DINH]) and not alert.whole_province
    text = alert.payload["replies"][0]["text"]
    assert "&lt;gọi video&gt;" in text and "<gọi video>" not in text


def test_province_officer_can_pick_the_whole_province(services) -> None:  # type: ignore[no-untyped-def]
    engine = services.engine
    _link(engine, make_officer(engine, username="pa05", role="province"))
    chat = _chat(services)
    chat.say("/phatcanhbao")
    chat.say("Cảnh báo\nTin nhắn giả mạo ngân hàng.")
    chat.press("bc:all")
    assert "Gửi tới: Thành phố Hà Nội" in chat.text
    chat.press("bc:send")
    (alert,) = _alerts(engine)
    assert alert.whole_province and alert.province_code == HANOI


@pytest.mark.parametrize("typed", ["hai chau", "khong co phuong nay"])
def test_commune_outside_the_province_is_not_guessed(services, typed: str) -> None:  # type: ignore[no-untyped-def]
    engine = services.engine
    _link(engine, make_officer(engine, username="pa05", role="province"))
    chat = _chat(services)
    chat.say("/phatcanhbao")
    chat.say("Cảnh báo\nNội dung.")
    chat.say(typed)
    assert "Chưa rõ xã/phường" in chat.text
    assert "bc:send" not in chat.payloads
    assert _alerts(engine) == []
    assert HAI_CHAU  # the commune exists, in Đà Nẵng


def test_with_approval_the_alert_waits_for_a_second_officer(services) -> None:  # type: ignore[no-untyped-def]
    engine = services.engine
    _link(engine, make_officer(engine, username="hoankiem"))
    chat = _chat(services, approval=True)
    chat.say("/phatcanhbao")
    chat.say("Cảnh báo\nNội dung.")
    assert "chờ một cán bộ khác duyệt" in chat.text
    chat.press("bc:send")
    (alert,) = _alerts(engine)
    assert alert.status == "pending_approval"


def test_cancel_leaves_nothing_behind(services) -> None:  # type: ignore[no-untyped-def]
    engine = services.engine
    _link(engine, make_officer(engine, username="hoankiem"))
    chat = _chat(services)
    chat.say("/phatcanhbao")
    chat.say("hủy")
    assert "Chọn một mục" in chat.text
    chat.press("bc:send")  # an old button after cancelling starts over, sends nothing
    assert _alerts(engine) == []
