"""Subscribing by hamlet: the dialog asks the hamlet after the commune (skippable), and a
`/start sub_<ward>_<hamlet>` deep link subscribes straight to a hamlet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from storage.campaign import coverage, hamlets
from storage.campaign.activities import vn_today
from storage.campaign.campaigns import Period
from storage.campaign.hamlets import HamletIn
from storage.campaign.scope import CampaignScope
from storage.db import transaction
from storage.models import Subscription
from tests.harness import Conversation

HANOI, HOAN_KIEM, BA_DINH = 1, 70, 4
EVERYTHING = CampaignScope(everything=True, can_edit_registers=True)


def _subs(services: Any) -> list[Subscription]:
    with Session(services.engine) as session:
        return list(session.exec(select(Subscription).order_by(Subscription.id)).all())


def _hamlets(services: Any, ward: int, names: list[str]) -> list[int]:
    with transaction(services.engine) as s:
        out = []
        for name in names:
            row = hamlets.create_hamlet(
                s, scope=EVERYTHING, data=HamletIn(ward, name, "to_dan_pho", 100), actor="t"
            )
            assert row.id is not None
            out.append(row.id)
        return out


def test_the_dialog_asks_the_hamlet_after_the_commune(conversation: Conversation, services: Any) -> None:
    first, second = _hamlets(services, HOAN_KIEM, ["Tổ dân phố Hàng Bạc", "Tổ dân phố Hàng Đào"])
    conversation.say("/canhbao")
    conversation.say("ha noi")
    conversation.say("phuong hoan kiem")
    assert "Đã đăng ký" in conversation.text and "thôn, tổ dân phố" in conversation.text
    assert conversation.payloads[:3] == [f"sub:h:{first}", f"sub:h:{second}", "sub:skiph"]
    assert _subs(services)[0].hamlet_id is None  # subscribed to the commune already
    conversation.say("hang dao")  # typed without diacritics
    assert "Đã ghi nhận bạn ở Tổ dân phố Hàng Đào" in conversation.text
    old, new = _subs(services)
    assert (old.active, new.active, new.hamlet_id, new.ward_code) == (False, True, second, HOAN_KIEM)
    with Session(services.engine) as s:
        today = vn_today()
        result = coverage.compute(
            s,
            scope=EVERYTHING,
            period=Period(today, today + dt.timedelta(days=1)),
            province_code=HANOI,
            ward_code=HOAN_KIEM,
        )
        by_name = {r.name: r for r in result.rows}
        assert by_name["Tổ dân phố Hàng Đào"].ratios["C12"].numerator == 1  # counted in its hamlet (C12)
        assert by_name["Tổ dân phố Hàng Bạc"].ratios["C12"].numerator == 0
        assert result.total.ratios["C12"].numerator == 1


def test_the_hamlet_question_can_be_skipped_or_answered_again(
    conversation: Conversation, services: Any
) -> None:
    _hamlets(services, HOAN_KIEM, [f"Tổ dân phố số {i}" for i in range(1, 12)])
    conversation.say("/canhbao")
    conversation.say("ha noi")
    conversation.say("phuong hoan kiem")
    assert conversation.payloads == ["sub:skiph"]  # too many for buttons: typed instead
    conversation.say("tổ dân phố số 99")
    assert "chưa tìm thấy" in conversation.text
    conversation.say("so 1")  # "số 1", "số 10", "số 11": several, so the resident picks
    assert len([p for p in conversation.payloads if p.startswith("sub:h:")]) == 3
    conversation.press("sub:skiph")
    assert "vẫn nhận cảnh báo của" in conversation.text
    (sub,) = _subs(services)
    assert sub.active and sub.hamlet_id is None
    conversation.say("lừa đảo chuyển tiền")  # the dialog is over: this is checked, not taken as a hamlet
    assert len(_subs(services)) == 1


def test_a_deep_link_subscribes_straight_to_a_hamlet(conversation: Conversation, services: Any) -> None:
    (hamlet,) = _hamlets(services, HOAN_KIEM, ["Tổ dân phố Hàng Bạc"])
    (other,) = _hamlets(services, BA_DINH, ["Tổ dân phố Đội Cấn"])
    conversation.say(f"/start sub_{HOAN_KIEM}_{hamlet}")
    assert "Đã đăng ký" in conversation.text and "Tổ dân phố Hàng Bạc, Phường Hoàn Kiếm" in conversation.text
    (sub,) = _subs(services)
    assert (sub.ward_code, sub.hamlet_id, sub.active) == (HOAN_KIEM, hamlet, True)
    conversation.say(f"/start sub_{HOAN_KIEM}_{hamlet}")  # scanning again changes nothing
    assert len(_subs(services)) == 1
    conversation.say(f"/start sub_{HOAN_KIEM}_{other}")  # a hamlet of another commune: the commune only
    assert "thôn, tổ dân phố" in conversation.text
    assert len(_subs(services)) == 1 and _subs(services)[0].hamlet_id == hamlet
    conversation.say("/start sub_999999_1")  # an unknown commune: the ordinary dialog
    assert "tỉnh/thành phố" in conversation.text
