"""Normalisation: every way residents write the same words ends as one token stream."""

from __future__ import annotations

import unicodedata

import pytest

from content import clean, fold, normalize, tokens
from content.normalize import repair_token


def test_diacritics_and_d_are_folded() -> None:
    assert fold("Chuyển khoản ĐẾN Tài Khoản Tạm Giữ") == "chuyen khoan den tai khoan tam giu"
    assert normalize("Đường dây rửa tiền") == "duong day rua tien"


def test_nfd_input_folds_like_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Công an phường")
    assert normalize(nfd) == normalize("Công an phường") == "cong an phuong"


def test_clean_keeps_vietnamese_for_display_but_drops_tricks() -> None:
    assert clean("Tài\u200bkhoản") == "Tàikhoản"
    assert clean("Ma\u033c trận") == "Ma trận"
    assert clean("𝚝𝚒𝚗 𝚗𝚑ắ𝚗") == "tin nhắn"
    assert clean("a\x00b\x07c") == "a b c"


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("chuyeenr khoanr", "chuyen khoan"),
        ("tieenf", "tien"),
        ("ddaau", "dau"),
        ("coong an", "cong an"),
        ("khoong", "khong"),
        ("nguwowif", "nguoi"),
        ("chuye63n khoa3n", "chuyen khoan"),
        ("tie62n", "tien"),
    ],
)
def test_telex_and_vni_leftovers_are_repaired(typed: str, folded: str) -> None:
    assert normalize(typed) == folded


def test_repairs_leave_words_numbers_and_brands_alone() -> None:
    for token in ("shopee", "viettel", "facebook", "vn1247", "st90", "app", "link"):
        assert repair_token(token) == token


def test_stretched_letters_collapse() -> None:
    assert normalize("lừaaaa đảoooo gấpppp") == "lua dao gap"


def test_teencode_is_expanded() -> None:
    assert normalize("ck vao stk") == "chuyen khoan vao so tai khoan"
    assert normalize("ko dc") == "khong duoc"
    assert normalize("ctv") == "cong tac vien"
    assert normalize("sdt cua ng do") == "so dien thoai cua nguoi do"
    assert normalize("bhxh") == "bao hiem xa hoi"


def test_ambiguous_abbreviations_follow_context() -> None:
    assert tokens("ck e choi game")[:2] == ["chong", "em"]
    assert normalize("a ck tra 500k") == "a chuyen khoan tra 500 nghin"
    assert normalize("lam nv tha tim") == "lam nhiem vu tha tim"
    assert normalize("nv ngan hang goi") == "nhan vien ngan hang goi"
    assert normalize("tk nh") == "tai khoan ngan hang"
    assert "ngan hang" not in normalize("nh oi")
    assert normalize("xung la ca phuong") == "xung la cong an phuong"
    assert normalize("ca nha") == "ca nha"


def test_amounts_split_into_number_and_unit() -> None:
    assert normalize("nap 5tr") == "nap 5 trieu"
    assert normalize("50k") == "50 nghin"
    assert normalize("50 k") == "50 nghin"


def test_abbreviations_match_whole_words_only() -> None:
    assert normalize("stkx") == "stkx"
    assert normalize("tkb") == "tkb"


def test_empty_and_junk() -> None:
    assert normalize("") == ""
    assert normalize("\x00\x01\ufffe") == ""
    assert isinstance(normalize(bytes(range(256)).decode("latin-1")), str)
