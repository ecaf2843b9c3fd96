"""Reading dates, amounts and file types as residents give them."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.report.evidence import sniff
from handlers.report.parse import parse_amount, parse_date

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5tr", 5_000_000),
        ("5 triệu", 5_000_000),
        ("5 trieu", 5_000_000),
        ("500k", 500_000),
        ("1,5 tỷ", 1_500_000_000),
        ("1.5 ty", 1_500_000_000),
        ("2.000.000đ", 2_000_000),
        ("2,000,000 VND", 2_000_000),
        ("100 000 000 đồng", 100_000_000),
        ("5tr5", 5_500_000),
        ("1 tỷ 2", 1_200_000_000),
        ("2 triệu 500 nghìn", 2_500_000),
        ("khoảng 20 triệu", 20_000_000),
        ("3 củ", 3_000_000),
        ("không", 0),
        ("chưa mất tiền", 0),
    ],
)
def test_amounts(typed: str, expected: int) -> None:
    assert parse_amount(typed) == expected


@pytest.mark.parametrize("typed", ["500", "2,5", "nhiều lắm", "5 triệu 2 tỷ", "", "99999999 tỷ"])
def test_amounts_that_need_asking_again(typed: str) -> None:
    assert parse_amount(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hôm nay", TODAY),
        ("hom qua", dt.date(2026, 11, 22)),
        ("hôm kia", dt.date(2026, 11, 21)),
        ("3 ngày trước", dt.date(2026, 11, 20)),
        ("2 tuần trước", dt.date(2026, 11, 9)),
        ("12/11", dt.date(2026, 11, 12)),
        ("24/12", dt.date(2025, 12, 24)),  # the latest 24/12 that has already happened
        ("12/11/2025", dt.date(2025, 11, 12)),
        ("12-11-25", dt.date(2025, 11, 12)),
        ("ngày 5 tháng 3", dt.date(2026, 3, 5)),
        ("2025-11-12", dt.date(2025, 11, 12)),
    ],
)
def test_dates(typed: str, expected: dt.date) -> None:
    answer = parse_date(typed, TODAY)
    assert answer is not None and answer.value == expected


def test_impossible_dates() -> None:
    assert parse_date("ngày mai", TODAY) is None
    assert parse_date("31/02", TODAY) is None
    future = parse_date("1/1/2027", TODAY)
    assert future is not None and future.error == "future"
    old = parse_date("1/1/1990", TODAY)
    assert old is not None and old.error == "too_old"


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"%PDF-1.7", "application/pdf"),
        (b"\x00\x00\x00\x18ftypheic", "image/heic"),
        (b"\x00\x00\x00\x18ftypisom", "video/mp4"),
        (b"OggS\x00", "audio/ogg"),
        (b"MZ\x90\x00", None),
        (b"PK\x03\x04", None),
        (b"<html>", None),
    ],
)
def test_file_types_by_content(head: bytes, mime: str | None) -> None:
    assert sniff(head + b"\x00" * 32) == mime
