"""Entity extraction: the formats of the contract, and the look-alikes that are not entities."""

from __future__ import annotations

import pytest

from content import Entity, extract
from content.lookalike import lookalike_of, registrable_domain, skeleton


def _values(text: str, kind: str) -> list[str]:
    return [e.value for e in extract(text) if e.kind == kind]


def _one(text: str, kind: str) -> Entity:
    found = [e for e in extract(text) if e.kind == kind]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "written",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "091-234-5678",
        "+84 912 345 678",
        "+84912345678",
        "84912345678",
        "(+84) 912 345 678",
        "0084 912 345 678",
        "zalo0912345678",
        "goi 0912345678nhe",
        "bam **21*0912345678#",
        "01662345678",
    ],
)
def test_phone_writings_give_e164(written: str) -> None:
    expected = "+84362345678" if written == "01662345678" else "+84912345678"
    assert _values(f"Lien he {written} ngay", "phone") == [expected]


def test_foreign_phones() -> None:
    assert _values("goi +855 96 418 2273", "phone") == ["+855964182273"]
    assert _values("so +1 (646) 555-0187 moi", "phone") == ["+16465550187"]


@pytest.mark.parametrize(
    "text",
    [
        "phi 1.860.000d",
        "ngay 15/06/2025 luc 14:22",
        "so du 12,345,678VND",
        "ma OTP 482913",
        "chuyen 5000000 dong",
        "don hang GHN5KQ27X8",
        "TK 1023xxx789",
    ],
)
def test_amounts_dates_and_codes_are_no_entities(text: str) -> None:
    assert [e for e in extract(text) if e.kind in ("phone", "bank_account")] == []


@pytest.mark.parametrize(
    ("text", "value", "bank"),
    [
        ("STK: 0011004382957 - Vietcombank - TRAN VAN LONG", "0011004382957", "VCB"),
        ("ck vao Techcombank 1907 2845 5310 17", "19072845531017", "TCB"),
        ("chuyen vao tai khoan Agribank 1500206739418", "1500206739418", "VBA"),
        ("so tk 104829375 VPBank", "104829375", "VPB"),
        ("tk MB 0860237714589 nhe", "0860237714589", "MB"),
        ("chuyển vào tài khoản BIDV 21510004738291", "21510004738291", "BIDV"),
        ("stk 12345678", "12345678", None),
        ("vao so 06728841501 TPBank", "06728841501", "TPB"),
        ("ViettinBank 1234-5678-9012", "123456789012", "CTG"),
    ],
)
def test_bank_accounts_near_cues(text: str, value: str, bank: str | None) -> None:
    account = _one(text, "bank_account")
    assert (account.value, account.bank) == (value, bank)


def test_digits_without_a_cue_are_not_accounts() -> None:
    assert _values("Nam 2025 co 123456789 nguoi", "bank_account") == []


def test_a_number_next_to_a_bank_is_an_account_not_also_a_phone() -> None:
    found = [(e.kind, e.value, e.bank) for e in extract("STK 0912345678 MB Bank")]
    assert found == [("bank_account", "0912345678", "MB")]


def test_a_phone_with_no_bank_named_stays_a_phone() -> None:
    assert [(e.kind, e.value) for e in extract("goi lai so 0912345678 nhe")] == [("phone", "+84912345678")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0123456789", {("bank_account", "0123456789")}),
        ("  1903 5678 1234 ", {("bank_account", "190356781234")}),
        ("0912345678", {("phone", "+84912345678"), ("bank_account", "0912345678")}),
    ],
)
def test_a_number_pasted_alone_is_every_kind_it_can_be(text: str, expected: set[tuple[str, str]]) -> None:
    assert {(e.kind, e.value) for e in extract(text)} == expected


def test_a_chat_link_carries_its_phone_number() -> None:
    found = {(e.kind, e.value) for e in extract("ket ban qua zalo.me/0937441240 de nhan viec")}
    assert ("phone", "+84937441240") in found
    assert ("url", "http://zalo.me/0937441240") in found


def test_an_all_digit_host_is_a_host_but_an_amount_is_not() -> None:
    assert [e.host for e in extract("choi ngay tai 470420.com nhe")] == ["470420.com"]
    assert extract("gia chi 3.500.000d, giam 1.200 con") == []


@pytest.mark.parametrize(
    ("host", "imitates"),
    [
        ("vcbdigibank.page.link", None),  # a link service's subdomain
        ("mbbank.go.link", None),
        ("km.vtmoney.vn", None),  # the brand's own registered domain
        ("uudai.vietcombank.com.vn", None),
        ("vietcombank.vn-ms.top", "vietcombank.com.vn"),  # the brand in a junk domain
    ],
)
def test_lookalikes_spare_link_services_and_brands_own_domains(host: str, imitates: str | None) -> None:
    found = [e for e in extract(f"xem tai {host}/khuyen-mai") if e.kind == "url"]
    assert [e.host for e in found] == [host]
    assert found[0].lookalike_of == imitates


@pytest.mark.parametrize(
    ("text", "host", "value"),
    [
        (
            "vao https://vcb-sinhtrachoc.top/xacthuc ngay",
            "vcb-sinhtrachoc.top",
            "https://vcb-sinhtrachoc.top/xacthuc",
        ),
        ("truy cap www.tpbank-baomat.com/huy.", "tpbank-baomat.com", "http://www.tpbank-baomat.com/huy"),
        (
            "link: dichvucong-gov.vn.top/xac-thuc",
            "dichvucong-gov.vn.top",
            "http://dichvucong-gov.vn.top/xac-thuc",
        ),
        (
            "vao http://Shopee-HoanTien.shop/XacNhan",
            "shopee-hoantien.shop",
            "http://shopee-hoantien.shop/XacNhan",
        ),
        ("web bhxh[.]co de tra cuu", "bhxh.co", "http://bhxh.co"),
        ("hxxps://evil.xyz/a", "evil.xyz", "https://evil.xyz/a"),
    ],
)
def test_links(text: str, host: str, value: str) -> None:
    link = _one(text, "url")
    assert (link.host, link.value) == (host, value)


@pytest.mark.parametrize(
    "text",
    ["v.v...", "5.000.000d", "TP.HCM", "0912.345.678", "anh.jpg", "file.apk", "mail a@gmail.com", "Q.1"],
)
def test_things_that_are_not_links(text: str) -> None:
    assert _values(text, "url") == []


def test_shorteners_are_flagged() -> None:
    for link in ("bit.ly/mb-doiqua24", "tinyurl.com/abc", "cutt.ly/x", "s.id/abc"):
        assert _one(f"bam {link}", "url").shortener


def test_punycode_host_is_decoded_for_lookalikes() -> None:
    host = "vietcomb\u0430nk.com".encode("idna").decode()  # Cyrillic a
    link = _one(f"vao {host}/login", "url")
    assert link.punycode
    assert link.lookalike_of == "vietcombank.com.vn"


@pytest.mark.parametrize(
    ("host", "genuine"),
    [
        ("vietcombank-xacthuc.com", "vietcombank.com.vn"),
        ("dichvucong-gov.vn.top", "dichvucong.gov.vn"),
        ("vietcornbank.com.vn", "vietcombank.com.vn"),
        ("dichvucong.gov.vn-hoso.com", "dichvucong.gov.vn"),
        ("msb.com.vn-cz.top", "msb.com.vn"),
        ("vneid-gov.cc", "vneid.gov.vn"),
        ("vietnamairslines.com", "vietnamairlines.com"),
        ("acbonliine.com", "acb.com.vn"),
        ("shopee-hoantien.shop", "shopee.vn"),
        ("evn-thanhtoan.xyz", "evn.com.vn"),
        ("vietteI.com.vn", "viettel.com.vn"),
    ],
)
def test_lookalikes(host: str, genuine: str) -> None:
    assert lookalike_of(host) == genuine


@pytest.mark.parametrize(
    "host",
    [
        "vietcombank.com.vn",
        "ebank.vietcombank.com.vn",
        "congan.hanoi.gov.vn",
        "shopee.vn",
        "cooking.com",
        "vnexpress.net",
    ],
)
def test_genuine_and_unrelated_hosts_are_no_lookalikes(host: str) -> None:
    assert lookalike_of(host) is None


def test_registrable_domain_and_skeleton() -> None:
    assert registrable_domain("a.b.vietcombank.com.vn") == "vietcombank.com.vn"
    assert registrable_domain("vietcombank.vn-cbs.xyz") == "vn-cbs.xyz"
    assert skeleton("vietcornbank") == "vietcombank"


def test_entities_are_deduplicated_in_order() -> None:
    text = "goi 0912345678, nhac lai 0912 345 678, roi vao evil.top"
    assert [e.kind for e in extract(text)] == ["phone", "url"]
