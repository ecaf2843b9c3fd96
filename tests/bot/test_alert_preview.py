"""The console's preview shows an alert as each channel will."""

from __future__ import annotations

from bot.alert_preview import preview
from bot.channels.base import Capabilities
from content.alerts import compose_alert
from content.messages import Reply


class _Channel:
    def __init__(self, name: str, caps: Capabilities) -> None:
        self.name = name
        self.capabilities = caps

    async def send(self, user_key: str, replies: list[Reply]) -> None:  # pragma: no cover
        raise AssertionError("a preview sends nothing")


TELEGRAM = _Channel("telegram", Capabilities(max_len=4096, buttons=True, html=True))
ZALO = _Channel("zalo", Capabilities(max_len=2000, buttons=True, html=False))
PLAIN = _Channel("zalo_bot", Capabilities(max_len=2000, buttons=False, html=False))


def test_each_channel_gets_its_own_rendering() -> None:
    reply = compose_alert(title="Giả danh <công an>", body="Không chuyển tiền.\n<script>x</script>")
    telegram, zalo, plain = preview([reply], {"telegram": TELEGRAM, "zalo": ZALO, "zalo_bot": PLAIN})
    assert telegram.name == "Telegram" and telegram.formatted and telegram.single_message
    assert "<b>CẢNH BÁO LỪA ĐẢO</b>" in telegram.messages[0]
    assert "&lt;script&gt;" in telegram.messages[0] and "<script>" not in telegram.messages[0]
    assert "Giả danh &lt;công an&gt;" in telegram.messages[0]
    assert "<b>" not in zalo.messages[0] and "CẢNH BÁO LỪA ĐẢO" in zalo.messages[0]
    assert "&lt;script&gt;" in zalo.messages[0]
    assert zalo.buttons == ["🔍 Kiểm tra tin nhắn", "🔕 Ngừng nhận cảnh báo"]
    assert plain.buttons == [] and "1. 🔍 Kiểm tra tin nhắn" in plain.messages[0]


def test_a_long_text_shows_how_many_messages_it_takes() -> None:
    reply = Reply("Cảnh báo. " * 300)
    (zalo,) = preview([reply], {"zalo": ZALO})
    assert len(zalo.messages) == 2 and not zalo.single_message
    assert zalo.characters <= 2000
