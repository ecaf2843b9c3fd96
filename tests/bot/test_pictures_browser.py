"""End to end in a real browser: a screenshot of the local web chat, taken by headless
Chromium, is uploaded through the same web chat and checked.

A resident types a scam message into the chat; its bubble, as Chromium renders it on a
phone-sized screen, is captured; in a fresh chat the picture is sent with the 📎 button.
Set CANHGIAC_SCREENSHOTS to a folder to keep the screenshot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services
from bot.channels.webchat.channel import WebChatChannel
from bot.web.app import create_app
from tests.browser import chromium, needs_chromium, serving
from tests.screens import needs_tesseract

SCAM = (
    "Chi Lan oi, em la can bo cong an phuong. Chi dang lien quan vu an rua tien, "
    "phai chuyen 50 trieu vao tai khoan tam giu 0451000123987 Vietcombank de xac minh, "
    "khong duoc noi voi ai."
)

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    needs_tesseract,
]


@pytest.fixture
def server(services: Services) -> Iterator[str]:
    services.channels["web"] = WebChatChannel()
    with serving(create_app(services, background=False)) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_a_chromium_screenshot_of_the_web_chat_is_read_and_checked(
    server: str, browser: Any, tmp_path: Path
) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "locale": "vi-VN"}
    writer = browser.new_context(**phone).new_page()
    writer.goto(server)
    writer.locator(".msg.bot").first.wait_for(timeout=60_000)
    writer.fill("#t", SCAM)
    writer.press("#t", "Enter")
    # the verdict card (a case-sensitive pattern: the greeting speaks of "lừa đảo" too)
    writer.locator(".msg.bot", has_text=re.compile("RẤT CÓ THỂ LÀ LỪA ĐẢO")).wait_for(timeout=60_000)
    shots = Path(os.environ.get("CANHGIAC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "webchat-message.png"
    writer.locator(".msg.me").last.screenshot(path=str(shot))

    reader = browser.new_context(**phone).new_page()
    reader.goto(server)
    reader.locator(".msg.bot").first.wait_for(timeout=60_000)
    reader.set_input_files("#file", str(shot))
    read = reader.locator(".msg.bot", has_text="Mình đọc được trong ảnh")
    read.wait_for(timeout=60_000)  # a loaded machine reads slowly
    assert "0451000123987" in read.inner_text()
    verdict = reader.locator(".msg.bot", has_text="Vì sao").last
    verdict.wait_for(timeout=60_000)
    text = verdict.inner_text()
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in text
    assert "0451000123987" in text
