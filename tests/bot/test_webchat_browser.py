"""The local web chat in a real browser (Debian's chromium, headless, driven by Playwright):
it works under the page's security policy, and what a resident types stays text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.webchat.channel import WebChatChannel
from bot.web.app import create_app
from tests.bot.console.test_browser import CHROMIUM, CHROMIUM_ARGS, serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def server(services) -> Iterator[str]:  # type: ignore[no-untyped-def]
    services.channels["web"] = WebChatChannel()
    with serving(create_app(services, background=False)) as address:
        yield address


def test_a_resident_checks_a_message_in_the_web_chat(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="vi-VN")
        problems: list[str] = []
        # Script errors and policy refusals; a missing favicon (a plain 404) is not the chat's.
        page.on(
            "console",
            lambda msg: problems.append(msg.text) if msg.type == "error" and "404" not in msg.text else None,
        )
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(server + "/")
        greeting = page.locator(".msg.bot").first
        greeting.wait_for()
        assert "Xin chào" in greeting.inner_text()
        page.get_by_label("Tin nhắn").fill("<b>đậm</b> <img src=x onerror=alert(1)> em ơi")
        page.get_by_role("button", name="Gửi", exact=True).click()
        mine = page.locator(".msg.me").last
        assert mine.inner_text() == "<b>đậm</b> <img src=x onerror=alert(1)> em ơi"
        assert mine.locator("b, img").count() == 0
        page.get_by_label("Tin nhắn").fill(
            "Tôi là cán bộ công an quận, chị liên quan đường dây rửa tiền, có lệnh bắt. Chị phải "
            "chuyển hết tiền vào tài khoản tạm giữ 19035678123456 Techcombank để xác minh."
        )
        page.get_by_role("button", name="Gửi", exact=True).click()
        verdict = page.locator(".msg.bot", has_text="LỪA ĐẢO").last
        verdict.wait_for()
        # The bot's bold text is an element built by the script, not markup shown as text.
        assert verdict.locator("b").count() >= 1 and "<b>" not in verdict.inner_text()
        assert verdict.locator("button.opt").count() >= 2
        browser.close()
    assert not problems, problems
