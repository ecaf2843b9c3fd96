"""A screenshot sent to the bot on Telegram is downloaded from the fake Bot API, read and answered."""

from __future__ import annotations

from itertools import count

from tests.bot.channels.telegram.conftest import CHAT, Webhook, load_update
from tests.screens import Style, needs_tesseract, render

pytestmark = needs_tesseract


def _photo(update_id: int, file_id: str, *, album: str | None = None) -> dict[str, object]:
    update = load_update("photo_caption", update_id=update_id)
    message = update["message"]
    del message["caption"]
    message["photo"][-1]["file_id"] = file_id
    message["photo"][-1]["file_size"] = None
    if album:
        message["media_group_id"] = album
    return update


async def test_a_photo_of_a_scam_message_is_read_and_answered(webhook: Webhook) -> None:
    fake, n = webhook.fake, count(2000)
    screen = render(
        [
            "VCB: Tai khoan cua Quy khach bi tam khoa do chua cap nhat sinh trac hoc.",
            "Vui long truy cap vcb-xacthuc.top de xac thuc truoc 17h.",
        ],
        Style(app="sms", jpeg=85),
        sender="VCB",
    )
    fake.files["shot-1"] = screen.data
    assert (await webhook.post(_photo(next(n), "shot-1"))).status_code == 200
    await webhook.settle()
    read, verdict = fake.sent(chat_id=CHAT)[-2:]
    assert "Mình đọc được trong ảnh" in read.text and "vcb-xacthuc.top" in read.text
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in verdict.text
    assert "vcb-xacthuc.top" in verdict.text
    assert len(fake.sent("getFile")) == 1


async def test_screenshots_sent_together_are_read_in_order_as_one_message(webhook: Webhook) -> None:
    fake, n = webhook.fake, count(2100)
    webhook.services.dispatcher.burst_seconds = 3
    parts = [
        "Chao ban, ben minh tuyen cong tac vien lam nhiem vu tha tim TikTok tai nha.",
        "Nhiem vu dau tien ban nap 500k, hoan lai ca goc lan hoa hong 30% ngay.",
    ]
    for index, part in enumerate(parts):
        fake.files[f"part-{index}"] = render(
            [part], Style(app="zalo", dark=index == 1), sender="Chi Ngoc"
        ).data
    before = len(fake.sent(chat_id=CHAT))
    for index in range(2):  # picked together in the gallery: one message each, no album
        assert (await webhook.post(_photo(next(n), f"part-{index}"))).status_code == 200
    await webhook.settle()
    read, verdict = fake.sent(chat_id=CHAT)[before:]
    assert "trong 2 ảnh" in read.text
    assert read.text.index("tha tim") < read.text.index("hoa hong")
    assert "Làm nhiệm vụ" in verdict.text  # the card of the whole story, told over both pictures
