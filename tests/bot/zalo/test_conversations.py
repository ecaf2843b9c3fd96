"""The Telegram end-to-end conversations, on Zalo: signed webhook in, fake OA API out, real engine."""

from __future__ import annotations

from content.replies import label
from tests.bot.zalo.conftest import ZaloHarness, payloads, texts

USER = "2468458835296197922"
SCAM = (
    "Chúc mừng quý khách đã trúng thưởng 50 triệu đồng từ chương trình tri ân khách hàng. "
    "Để nhận thưởng vui lòng nộp phí 500.000đ vào STK 0123456789 Vietcombank và truy cập "
    "http://vietcombank-tritan.top để xác nhận."
)


async def test_menu_with_buttons(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    answer = await zalo.say(USER, "menu")
    assert "Kiểm tra" in str(zalo.fake.buttons(USER))
    every = payloads(answer)
    assert "#cg:check" in every and "#cg:lib:1" in every
    # Zalo shows at most five buttons under a message: the rest follow under "Xem thêm".
    assert all(len((m.get("attachment") or {}).get("payload", {}).get("buttons", [])) <= 5 for m in answer)
    assert len(every) == 7
    assert "<b>" not in texts(answer)  # Zalo shows plain text


async def test_pasted_scam_message_gets_a_verdict_with_buttons(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    answer = await zalo.say(USER, SCAM)
    text = texts(answer)
    assert label("verdict_likely_scam") in text or label("verdict_suspicious") in text
    assert "#cg:report:check" in payloads(answer)
    assert "#cg:guide:after-scam" in payloads(answer)


async def test_button_payload_opens_the_card(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    await zalo.say(USER, "menu")
    answer = await zalo.press(USER, "lib:1")
    cards = [p for p in payloads(answer) if p.startswith("#cg:card:")]
    assert cards
    card_id = cards[0].removeprefix("#cg:card:")
    answer = await zalo.press(USER, f"card:{card_id}")
    assert zalo.services.library.get(card_id).title in texts(answer)
    assert f"#cg:report:modus:{card_id}" in payloads(answer)


async def test_typed_text_that_looks_like_a_payload_is_checked(zalo: ZaloHarness) -> None:
    """Without our prefix, 'menu' or 'card:x' typed by a user is just text."""
    await zalo.authorize()
    answer = await zalo.say(USER, "card:impersonate-authority")
    assert "#cg:report:check" in payloads(answer)
