"""The console in a real browser (Debian's chromium, headless, driven by Playwright).

An officer logs in, filters the queue, opens a tip and changes its status; the outbox
worker then delivers the update to the reporter's chat. Set CANHGIAC_SCREENSHOTS to a
folder to keep screenshots of the queue and the tip page.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.app import Services
from bot.channels.webchat.channel import WebChatChannel
from bot.web.app import create_app
from bot.worker import OutboxWorker
from tests.bot.console.conftest import PASSWORD, World, submit

# Debian's package; another path only to check how a missing browser is reported
CHROMIUM = Path(os.environ.get("CANHGIAC_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's chromium is not installed ({CHROMIUM}; apt-get install chromium)",
    ),
]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The real app under uvicorn on a free port of 127.0.0.1, in a thread; yields its address."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def server(console: Services) -> Iterator[str]:
    with serving(create_app(console, background=False)) as address:
        yield address


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_officer_triages_a_tip_and_the_reporter_hears_of_it(
    server: str, browser: Any, console: Services, world: World, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("CANHGIAC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    tip = submit(console, reporter_channel="web", reporter_user_key="resident-7")
    submit(
        console,
        modus_id="online-shopping",
        amount_lost=350_000,
        story="Đặt cọc mua điện thoại trên mạng rồi bị chặn liên lạc.",
        reporter_user_key="resident-8",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.goto(f"{server}/console/tips")
    assert page.url.startswith(f"{server}/console/login")
    page.get_by_label("Tên đăng nhập").fill("xa1")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server}/console/tips")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2

    page.get_by_label("Thủ đoạn").select_option("fake-bank")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**modus=fake-bank**")
    assert rows.count() == 1
    assert "Giả mạo ngân hàng" in rows.first.inner_text()
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    rows.first.locator("a").first.click()
    page.wait_for_url(f"{server}/console/tips/{tip}")
    assert "nâng hạn mức" in page.locator(".story-text").inner_text()
    page.get_by_label("Trạng thái mới").select_option("verifying")
    page.get_by_label("Ghi chú nội bộ (không gửi cho người dân)").fill("Đã liên hệ ngân hàng phong tỏa.")
    page.get_by_role("button", name="Cập nhật trạng thái").click()
    page.wait_for_url(f"{server}/console/tips/{tip}?ok=status")
    assert "Đã đổi trạng thái" in page.locator(".notice").inner_text()
    assert "Đang xác minh" in page.locator("h1 .tag").inner_text()
    assert "Đã liên hệ ngân hàng phong tỏa." in page.locator(".history").inner_text()
    page.screenshot(path=str(shots / "tip.png"), full_page=True)

    # The worker delivers the queued update to the reporter's chat (in its own thread: Playwright's
    # sync API keeps an event loop running in this one).
    channel = WebChatChannel()
    worker = OutboxWorker(console.engine, {"web": channel})
    sent: list[int] = []
    runner = threading.Thread(target=lambda: sent.append(asyncio.run(worker.run_once())))
    runner.start()
    runner.join(timeout=30)
    assert sent == [1]
    delivered = channel.take("resident-7")
    assert delivered, "the reporter got nothing"
    assert "Đang xác minh" in delivered[0]["html"]
    assert channel.take("resident-8") == []
