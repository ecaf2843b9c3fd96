"""A resident's own phone number, written in their story or left for contact, is not filed as
one of the scammer's identifiers."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import Services
from content.own_numbers import own_phones
from storage.models import TipEntity
from tests.harness import Conversation
from tests.storage.tip_fixtures import make_world


@pytest.fixture
def world(services: Services):  # type: ignore[no-untyped-def]
    return make_world(services.engine)


def test_own_number_in_the_story_and_contact_number_stay_out_of_the_entities(
    conversation: Conversation, services: Services, world: object
) -> None:
    c = conversation
    c.say("/baocao")
    c.press("report:consent:yes")
    c.press("report:modus:other")
    c.say("Kẻ gian gọi cho tôi từ số 0912 345 678 bảo tôi chuyển tiền. Số của tôi là 0987.654.321.")
    c.say("Nếu cần gọi lại cho em theo số 0933 222 111.")
    c.press("report:story:done")
    c.say("hôm qua")
    c.say("không")
    assert "0912 345 678" in c.text and "0987 654 321" not in c.text and "0933 222 111" not in c.text
    c.press("report:ent:ok")
    c.press("report:ev:done")
    c.say("ha noi")
    c.say("hoan kiem")
    c.press("report:contact:phone")
    c.say(contact_phone="84912345678")  # the contact the resident leaves is theirs, even if typed above
    c.press("report:submit")
    assert "Mã theo dõi" in c.text
    with Session(services.engine) as s:
        values = {e.value for e in s.exec(select(TipEntity)).all()}
    assert values == set()


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("số của tôi là 0987654321", {"+84987654321"}),
        ("sđt mình: 0987 654 321", {"+84987654321"}),
        ("Liên hệ tôi qua số +84987654321", {"+84987654321"}),
        ("so dien thoai cua chau 0987654321", {"+84987654321"}),
        ("Nó gọi cho tôi từ số 0912345678", set()),
        ("Số của nó là 0912345678", set()),
        ("Kẻ gian dùng số 0912345678", set()),
    ],
)
def test_which_numbers_a_writer_calls_their_own(text: str, own: set[str]) -> None:
    assert own_phones(text) == own
