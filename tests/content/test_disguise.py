"""De-disguising: each trick lures use against spam filters is undone, and what must
stay as written (links, phones, amounts, codes) stays."""

from __future__ import annotations

import pytest

from content import Checker, Verdict
from content.disguise import Undisguiser

WORDS = {"thong": 9, "bao": 9, "tai": 9, "khoan": 9, "cua": 9, "ban": 9, "iphone": 3, "shopee": 3, "code": 3}


@pytest.fixture(scope="module")
def undisguiser() -> Undisguiser:
    return Undisguiser(WORDS, {("tai", "khoan"): 5})


@pytest.mark.parametrize(
    ("text", "expected", "trick"),
    [
        ("Th0ng ba0 t@i kh0an", "Thong bao tai khoan", "leet"),  # digits and @ for letters
        ("Qu! khach s!nh nhat", "Qui khach sinh nhat", "leet"),  # ! for i
        ("t.ai kh.oan c.ua b.an", "tai khoan cua ban", "split"),  # dots inside words
        ("s_u k_ien ch_ua", "su kien chua", "split"),  # underscores inside words
        ("A.C.B th.ong b.ao", "ACB thong bao", "split"),  # a brand spelt with dots
        ("tài khоản của bạn", "tài khoản của bạn", "homoglyph"),  # Cyrillic о
        ("Tаi khοan", "Tai khoan", "homoglyph"),  # Cyrillic а, Greek ο
        ("ｔàｉ khoản", "tài khoản", "fullwidth"),  # full-width letters
        ("tà\u200bi kho\u200dản", "tài khoản", "invisible"),  # zero-width characters
        ("Nh🎁ận qu💰à", "Nhận quà", "emoji"),  # emoji between letters
        ("T H O N G B A O tai khoan", "thong bao tai khoan", "spaced"),  # spaced letters
        ("Ip\u200bh0ne 16 tu Sh0pee", "Iphone 16 tu Shopee", "leet"),  # a brand word of the corpus
    ],
)
def test_each_trick_is_undone(undisguiser: Undisguiser, text: str, expected: str, trick: str) -> None:
    result = undisguiser.undisguise(text)
    assert result.text == expected
    assert trick in result.tricks
    assert result.disguised


@pytest.mark.parametrize(
    "text",
    [
        "Gọi 0912.345.678 hoặc 0912 345 678",
        "Số tiền 3.500.000đ, phí 100tr, lãi 12%",
        "Mã OTP 482913, đơn hàng 2412ABCD, mạng 4G, nạp x200%",
        "Vào bit.ly/ab12cd hoặc https://vcb-xacthuc.top/login?id=3",
        "Email hotro@bank-vn.top",
        "Giờ hẹn 14:30 ngày 05/12",
        "Mình cảm ơn bạn nhiều nhé!",
    ],
)
def test_numbers_amounts_codes_and_links_stay_as_written(undisguiser: Undisguiser, text: str) -> None:
    result = undisguiser.undisguise(text)
    assert result.text == text
    assert not result.disguised


def test_vni_typing_is_left_to_the_normaliser(undisguiser: Undisguiser) -> None:
    """ "ca1m o7n" is Vietnamese typed with VNI marks, not a disguise."""
    assert undisguiser.undisguise("ca1m o7n").text == "ca1m o7n"


def test_a_host_among_cut_words_stays_a_link(checker: Checker) -> None:
    text = "t.ai kh.oan c.ua b.an b.i kh.oa, x.ac m.inh t.ai acb-bao-mat.cc"
    hosts = {e.host for e in checker.check(text).entities if e.kind == "url"}
    assert hosts == {"acb-bao-mat.cc"}  # "t.ai" and "b.an" are cut words, not hosts


def test_a_disguised_lure_is_flagged_and_its_link_found(checker: Checker) -> None:
    text = "Th0ng ba0: BIDV n@ng c@p h3 th0ng, qu! kh@ch x@c th_uc l@i t@i kh0an t@i bidv-capnhat.xyz"
    result = checker.check(text)
    assert result.verdict is Verdict.LIKELY_SCAM
    assert result.top_modus == "fake-bank"
    assert any(e.host == "bidv-capnhat.xyz" for e in result.entities)
    assert any(r.code == "disguised" for r in result.reasons)


def test_disguise_alone_is_a_red_flag(checker: Checker) -> None:
    plain = checker.check("Ban nhan duoc qua tang, nhan tai qua-tang.xyz")
    hidden = checker.check("B@n nh@n du0c qu@ t@ng, nh@n t@i qua-tang.xyz")
    order = [Verdict.NO_MATCH, Verdict.SUSPICIOUS, Verdict.LIKELY_SCAM]
    assert order.index(hidden.verdict) >= order.index(plain.verdict)
    assert hidden.verdict is not Verdict.NO_MATCH
