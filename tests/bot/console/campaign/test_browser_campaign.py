"""The campaign pages in a real browser (Debian's chromium, headless, driven by Playwright): a
commune officer imports the hamlets from CSV, logs an activity, opens the coverage page and
downloads the gap list."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import Services
from storage.campaign.activities import vn_today
from tests.bot.console.conftest import HOAN_KIEM, PASSWORD, World
from tests.bot.console.test_browser import CHROMIUM, browser, server  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def test_officer_imports_hamlets_logs_work_and_downloads_the_gaps(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    console: Services,
    world: World,
    tmp_path: Path,
) -> None:
    csv_file = tmp_path / "thon.csv"
    csv_file.write_text(
        "ward_code,ten,loai,so_ho,so_bang_tin\n"
        f"{HOAN_KIEM},Tổ dân phố Hàng Bạc,tổ dân phố,120,2\n"
        f"{HOAN_KIEM},Tổ dân phố Hàng Đào,TDP,80,1\n"
        f"{HOAN_KIEM},Tổ dân phố lỗi,làng,10,1\n",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True)
    page.goto(f"{server}/console/login")
    page.get_by_label("Tên đăng nhập").fill("xa1")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server}/console/tips")

    page.get_by_role("link", name="Tuyên truyền").click()
    page.get_by_role("link", name="Danh mục thôn/TDP, tổ chức").click()
    page.get_by_label("Tệp thôn/TDP").set_input_files(str(csv_file))
    page.get_by_role("button", name="Nhập thôn/TDP").click()
    result = page.locator("#import-result").inner_text()
    assert "2 mục mới" in result and "Dòng 4: loại không hợp lệ: làng" in result

    page.get_by_role("link", name="Sổ theo dõi hoạt động").click()
    page.get_by_role("link", name="+ Ghi hoạt động").click()
    page.get_by_label("Loại hoạt động").select_option("hamlet_session")
    page.get_by_label("Thôn/tổ dân phố").select_option(label="Tổ dân phố Hàng Bạc")
    page.get_by_label("Ngày bắt đầu").fill(vn_today().strftime("%d/%m/%Y"))
    page.get_by_label("Số người tham dự").fill("1.250")
    page.get_by_label("Số hộ được tuyên truyền").fill("120")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url("**/console/campaign/activities?ok=activity_created")
    row = page.locator("table.plain tbody tr").first.inner_text()
    assert "Tổ dân phố Hàng Bạc" in row and "1.250" in row

    page.get_by_role("link", name="Độ bao phủ").click()
    table = page.locator("table.coverage").inner_text()
    assert "50%" in table and "1/2" in table  # C1: one of the two hamlets
    assert "Tổ dân phố Hàng Đào" in page.locator("table.gaps").inner_text()
    with page.expect_download() as info:
        page.locator("#gaps-download").click()
    saved = tmp_path / "gaps.xlsx"
    info.value.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    names = [r[2] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert "Tổ dân phố Hàng Đào" in names
