"""Screenshots sent to the web chat are read and checked; bad pictures get a clear answer.

The pictures are drawn by tests/screens.py; the web chat's upload endpoint is driven over
HTTP, as the chat page does.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest
from PIL import Image

from bot.check_command import run_check
from bot.pictures.qr import BANKS_BY_BIN, describe
from content.check import Checker
from tests.screens import Style, fonts, needs_tesseract, qr_image, render, vietqr_payload

pytestmark = needs_tesseract

SCAM = (
    "Cục Cảnh sát thông báo: ông/bà liên quan đến vụ án rửa tiền, sắp có lệnh bắt. "
    "Chuyển ngay 80 triệu vào tài khoản tạm giữ 1903 5678 1234 Techcombank để xác minh, "
    "gọi lại 0865 214 937."
)


async def _upload(client: httpx.AsyncClient, name: str, data: bytes, mime: str = "image/png") -> str:
    res = await client.post("/api/chat/upload", files={"file": (name, data, mime)})
    assert res.status_code == 200
    return "\n".join(m["html"] for m in res.json()["messages"])


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _kept(services) -> list[str]:  # type: ignore[no-untyped-def]
    """Every file in the data folder but the database: where a kept picture would be."""
    return [str(p) for p in services.settings.data_dir.rglob("*") if p.is_file() and ".db" not in p.name]


@pytest.mark.parametrize(
    "style",
    [
        Style(app="sms"),
        Style(app="zalo", dark=True, jpeg=75),
        Style(app="messenger", font=fonts()[-1], size=34),
    ],
    ids=["sms-light-png", "zalo-dark-jpeg", "messenger-light"],
)
async def test_a_screenshot_of_a_scam_is_read_and_checked(
    client: httpx.AsyncClient, services, style: Style
) -> None:  # type: ignore[no-untyped-def]
    before = _kept(services)
    screen = render([SCAM[:80], SCAM[80:]], style, sender="0865 214 937", outgoing=(1,))
    html = await _upload(client, "screenshot.png", screen.data, "image/jpeg" if style.jpeg else "image/png")
    assert "Mình đọc được trong ảnh" in html
    assert "lệnh bắt" in html
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in html
    assert "1903 5678 1234" in html or "190356781234" in html  # the account, as the card lists entities
    assert "10:25" not in html and "Tin nhắn văn bản" not in html  # the phone's chrome is left out
    assert _kept(services) == before  # the picture is not kept


async def test_the_read_text_is_escaped(client: httpx.AsyncClient) -> None:
    screen = render(["<i>Trúng giải</i> iPhone, nộp phí nhận quà tại qua-tang.top"], Style())
    html = await _upload(client, "a.png", screen.data)
    assert "&lt;i&gt;" in html and "<i>" not in html


async def test_a_vietqr_code_gives_the_account_and_its_bank(client: httpx.AsyncClient) -> None:
    picture = qr_image(vietqr_payload("970407", "19035678123456", amount=2_000_000), caption="Quét mã")
    html = await _upload(client, "qr.png", picture)
    assert "19035678123456 (TCB)" in html


async def test_a_picture_without_text_gets_a_plain_answer_and_the_guide(client: httpx.AsyncClient) -> None:
    html = await _upload(client, "sky.png", _png(Image.new("RGB", (900, 1600), "#87ceeb")))
    assert "không đọc được chữ nào" in html
    assert "ảnh chụp màn hình" in html  # the guide
    assert "LỪA ĐẢO" not in html and "DẤU HIỆU" not in html  # no guess


async def test_bad_pictures_get_a_clear_answer_and_nothing_is_kept(
    client: httpx.AsyncClient, services
) -> None:  # type: ignore[no-untyped-def]
    before = _kept(services)
    huge = _png(Image.new("L", (10_000, 10_000), 255))
    gif = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(gif, "GIF")
    cases = {
        "lớn quá": (b"\xff\xd8\xff\xe0" + b"\x00" * services.settings.evidence_max_bytes, "image/jpeg"),
        "hỏng": (_png(Image.new("RGB", (800, 600), "white"))[:300], "image/png"),
        "kích thước quá lớn": (huge, "image/png"),
        "GIF": (gif.getvalue(), "image/gif"),
        "PDF": (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n", "application/pdf"),
    }
    for expected, (data, mime) in cases.items():
        html = await _upload(client, "file", data, mime)
        assert expected in html, expected
        assert "Để mình kiểm tra được" in html
    # 20 MB never reaches the handlers: the web app refuses the body as it streams in
    res = await client.post(
        "/api/chat/upload", files={"file": ("big.jpg", b"\xff\xd8" * 10_000_000, "image/jpeg")}
    )
    assert res.status_code == 413
    assert _kept(services) == before


def test_check_image_prints_the_contract_and_the_text(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    screen = render([SCAM], Style(jpeg=80))
    path = tmp_path / "shot.jpg"
    path.write_bytes(screen.data)
    out = io.StringIO()
    assert run_check(settings, text=None, jsonl=False, image=path, use_registry=False, stdout=out) == 0
    answer = json.loads(out.getvalue())
    assert answer["verdict"] == "likely_scam"
    assert "lệnh bắt" in answer["text"]
    assert {"kind": "phone", "value": "+84865214937", "reported": 0} in answer["entities"]

    lines = [
        {"id": "img", "image": str(path)},
        {"id": "txt", "text": SCAM},
        {"id": "gone", "image": str(tmp_path / "missing.png")},
        {"id": "pdf", "image": str(tmp_path / "doc.pdf")},
    ]
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "big.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 20_000_000)
    lines.append({"id": "big", "image": str(tmp_path / "big.jpg")})
    out = io.StringIO()
    stdin = io.StringIO("\n".join(json.dumps(line) for line in lines) + "\n")
    run_check(settings, text=None, jsonl=True, use_registry=False, stdin=stdin, stdout=out)
    img, txt, gone, pdf, big = (json.loads(line) for line in out.getvalue().splitlines())
    assert img["id"] == "img" and img["verdict"] == txt["verdict"] == "likely_scam" and img["text"]
    assert "text" not in txt
    assert gone["id"] == "gone" and "error" in gone
    assert pdf["id"] == "pdf" and "PDF" in pdf["error"]
    assert big["id"] == "big" and "lớn quá" in big["error"]


def test_every_bank_with_a_short_code_is_found_by_the_engine(test_library) -> None:  # type: ignore[no-untyped-def]
    checker = Checker(test_library)
    codes = {}
    for bin_ in BANKS_BY_BIN:
        line = describe(vietqr_payload(bin_, "0123456789"))
        [entity] = [e for e in checker.check(line).entities if e.kind == "bank_account"]
        assert entity.value == "0123456789"
        codes[bin_] = entity.bank
    assert codes["970436"] == "VCB" and codes["970415"] == "CTG" and codes["970405"] == "VBA"
    assert codes["970440"] == "SSB" and codes["971005"] == "VIETTELMONEY"
    assert sum(code is not None for code in codes.values()) >= 39
