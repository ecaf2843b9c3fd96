"""The console in a real browser (Debian's chromium, headless, driven by Playwright).

An officer logs in, filters the queue, opens a tip and changes its status; the outbox
worker then delivers the update to the reporter's chat. Set CANHGIAC_SCREENSHOTS to a
folder to keep screenshots of the queue and the tip page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
    # Date filters are dd/mm/yyyy whatever the browser's language.
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    since = page.get_by_label("Nhận từ ngày")
    assert since.get_attribute("type") == "text" and since.get_attribute("placeholder") == "dd/mm/yyyy"
    since.fill(today)
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**from=**")
    assert rows.count() == 1 and page.get_by_label("Nhận từ ngày").input_value() == today
    assert "Nơi ở người báo" in page.locator("table.queue thead").inner_text()
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    rows.first.locator("a").first.click()
    page.wait_for_url(f"{server}/console/tips/{tip}")
    assert "nâng hạn mức" in page.locator(".story-text").inner_text()
    assert "Nơi ở của người báo" in page.inner_text("main")
    assert "Chuyển đơn vị" not in page.inner_text("main")  # a commune officer does not move tips
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

    # A provincial officer hands the tip to another commune's unit; its status stays.
    province = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    province.goto(f"{server}/console/login")
    province.get_by_label("Tên đăng nhập").fill("tinh")
    province.get_by_label("Mật khẩu").fill(PASSWORD)
    province.get_by_role("button", name="Đăng nhập").click()
    province.wait_for_url(f"{server}/console/tips")
    province.goto(f"{server}/console/tips/{tip}")
    province.get_by_label("Đơn vị nhận tin báo").select_option(str(world.other_commune_unit))
    province.get_by_role("button", name="Chuyển tin báo").click()
    province.wait_for_url(f"{server}/console/tips/{tip}?ok=moved")
    assert "Trạng thái tin báo giữ nguyên" in province.locator(".notice").inner_text()
    assert "Đang xác minh" in province.locator("h1 .tag").inner_text()
    assert "Chuyển cho đơn vị" in province.locator(".history").inner_text()
    assert province.request.get(f"{server}/favicon.ico").status == 200


def test_web_chat_asks_the_number_with_a_phone_field(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 420, "height": 900}, locale="vi-VN")
    page.goto(f"{server}/")
    bot = page.locator(".msg.bot")
    bot.first.wait_for()

    def answered(act: Any) -> None:
        before = bot.count()
        act()
        page.wait_for_function("n => document.querySelectorAll('.msg.bot').length > n", arg=before)

    def say(text: str) -> None:
        answered(lambda: (page.fill("#t", text), page.press("#t", "Enter")))

    def press(payload: str) -> None:  # what a button of an earlier message sends
        answered(lambda: page.evaluate("p => send('', p, p)", payload))

    press("report")
    press("report:consent:yes")
    press("report:modus:other")
    say("Có người gọi xưng ngân hàng bảo tôi đọc mã OTP")
    press("report:story:done")
    say("hôm qua")
    say("không")
    press("report:ent:ok")
    say("bỏ qua")
    say("Phường Hoàn Kiếm, Hà Nội")
    answered(lambda: page.get_by_role("button", name="📞 Để lại số điện thoại").last.click())
    field = page.get_by_label("Số điện thoại của bạn")
    assert field.get_attribute("type") == "tel"
    field.fill("0912 000 111")
    answered(lambda: page.get_by_role("button", name="📱 Gửi số điện thoại của tôi").click())
    summary = bot.last.inner_text()
    assert "Kiểm tra lại trước khi gửi" in summary and "0912 000 111" in summary
    assert "Phường Hoàn Kiếm" in summary
