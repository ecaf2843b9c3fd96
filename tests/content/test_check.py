"""The check end to end: verdicts, ranking, reasons, the contract shape and bad input."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from content import Checker, CheckResult, Verdict

DATA = Path(__file__).parent / "data"

SCAMS = [
    (
        "Có người xưng công an phường gọi bảo tôi dính vụ án rửa tiền, bắt chuyển hết tiền "
        "vào tài khoản tạm giữ để chứng minh trong sạch, dặn không được nói với ai.",
        "impersonate-authority",
    ),
    ("ng ta bao lam nv tha tim tiktok, nap 2tr don combo gio ko rut dc, bao sai cu phap", "task-scam"),
    (
        "Vay nhanh khong tham dinh, no xau van duyet, dong phi bao hiem khoan vay truoc khi giai ngan",
        "loan-scam",
    ),
    ("co nguoi ck nham 5tr vao tk e roi goi bat chuyen lai vao so tai khoan khac", "mistaken-transfer"),
    ("[VCB] Tai khoan se bi khoa do chua cap nhat sinh trac hoc, cap nhat tai vcb-xacthuc.top", "fake-bank"),
]
LEGIT = [
    "MobiFone: goi cuoc cua quy khach da duoc gia han. De huy gia han soan HUY gui 999. Tran trong.",
    "Vietcombank: Ma OTP cua Quy khach la 123456, hieu luc 3 phut. "
    "Tuyet doi khong cung cap ma nay cho bat ky ai.",
    "Con ơi mẹ chuyển tiền học rồi nhé, nhận được thì nhắn mẹ.",
    "Công an xã khuyến cáo: công an không làm việc qua điện thoại, "
    "không yêu cầu chuyển tiền vào tài khoản tạm giữ.",
    "mai di an lau ko mn, 7h toi nha",
]


@pytest.mark.parametrize(("text", "modus"), SCAMS)
def test_scams_rank_their_modus_first_and_warn(checker: Checker, text: str, modus: str) -> None:
    result = checker.check(text)
    assert result.top_modus == modus
    assert result.verdict is Verdict.LIKELY_SCAM
    assert result.reasons and result.reasons[0].code in ("modus", "lookalike")


@pytest.mark.parametrize(("text", "modus"), SCAMS)
def test_the_test_library_ranks_the_same(test_checker: Checker, text: str, modus: str) -> None:
    assert test_checker.check(text).top_modus == modus


@pytest.mark.parametrize("text", LEGIT)
def test_legitimate_messages_stay_no_match(checker: Checker, text: str) -> None:
    assert checker.check(text).verdict is Verdict.NO_MATCH


def test_scores_are_ordered_and_bounded(checker: Checker) -> None:
    result = checker.check(SCAMS[0][0])
    scores = [m.score for m in result.modus]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)
    assert len({m.id for m in result.modus}) == len(scores)


def test_nothing_fits_gives_an_empty_modus_list(checker: Checker) -> None:
    result = checker.check("xin chao")
    assert result.modus == [] and result.verdict is Verdict.NO_MATCH


def test_a_reported_entity_raises_the_verdict(checker: Checker) -> None:
    text = "Goi cho minh qua so 0912 345 678 nhe"
    assert checker.check(text).verdict is Verdict.NO_MATCH

    def lookup(keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
        return {k: 3 for k in keys if k == ("phone", "+84912345678")}

    result = checker.check(text, lookup)
    assert result.verdict is Verdict.LIKELY_SCAM
    assert result.reported == {("phone", "+84912345678"): 3}
    assert any(r.text == "Số 0912 345 678 đã bị báo cáo 3 lần" for r in result.reasons)


def test_a_lookalike_link_raises_the_verdict_and_says_why(checker: Checker) -> None:
    result = checker.check("Vui long xac thuc tai vietcombank-xacthuc.com de tranh bi khoa")
    assert result.verdict is Verdict.LIKELY_SCAM
    assert "Đường link giả mạo vietcombank.com.vn" in [r.text for r in result.reasons]


def test_red_flags_appear_as_reasons(checker: Checker) -> None:
    codes = {r.code for r in checker.check(SCAMS[0][0]).reasons}
    assert {"safe_account", "secrecy"} <= codes


def test_contract_shape(checker: Checker) -> None:
    text = (
        "Co nguoi goi tu 0865 214 937 bao chuyen tien vao tai khoan tam giu "
        "Techcombank 19035678123456, xem tai dichvucong-gov.vn.top/xac-thuc"
    )

    def lookup(keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
        return {("bank_account", "19035678123456"): 2}

    out = checker.check(text, lookup).to_contract("d001")
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out
    assert out["id"] == "d001" and out["verdict"] == "likely_scam"
    assert out["modus"][0] == {"id": "impersonate-authority", "score": out["modus"][0]["score"]}
    entities = out["entities"]
    assert {"kind": "phone", "value": "+84865214937", "reported": 0} in entities
    assert {"kind": "bank_account", "value": "19035678123456", "bank": "TCB", "reported": 2} in entities
    url = next(e for e in entities if e["kind"] == "url")
    assert url["host"] == "dichvucong-gov.vn.top"
    assert url["value"] == "http://dichvucong-gov.vn.top/xac-thuc"
    assert url["lookalike_of"] == "dichvucong.gov.vn"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01\x02", "\ufffd" * 50, bytes(range(256)).decode("latin-1"), "🙂" * 1000, "*" * 5000],
)
def test_bad_input_gives_a_result(checker: Checker, text: str) -> None:
    result = checker.check(text)
    assert isinstance(result, CheckResult)
    assert result.verdict is Verdict.NO_MATCH


def test_bytes_are_decoded(checker: Checker) -> None:
    result = checker.check("chuyển vào tài khoản tạm giữ".encode())  # type: ignore[arg-type]
    assert result.top_modus == "impersonate-authority"


def test_a_100_kb_message_is_checked_quickly(checker: Checker) -> None:
    story = "Tôi nhận cuộc gọi từ 0912 345 678, họ bảo chuyển tiền vào tài khoản tạm giữ. "
    text = (story * 2000)[:100_000]
    start = time.perf_counter()
    result = checker.check(text)
    assert time.perf_counter() - start < 2.0
    assert result.top_modus == "impersonate-authority"
    assert [e.value for e in result.entities] == ["+84912345678"]


def test_held_out_sets_stay_accurate(checker: Checker) -> None:
    """The engine's own held-out messages (not the eval set): a guard against regressions."""
    hits = total = alarms = 0
    for name in ("heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl"):
        for line in (DATA / name).read_text("utf-8").splitlines():
            row = json.loads(line)
            result = checker.check(row["text"])
            want = row["expect"]["modus"]
            if want is None:
                alarms += result.verdict is Verdict.LIKELY_SCAM
            else:
                total += 1
                hits += result.top_modus == want
    assert hits / total >= 0.9
    assert alarms == 0


def test_a_retelling_in_weak_words_still_gets_a_suspicious_verdict(checker: Checker) -> None:
    """Many signs of one trick with no exact strong phrase: suggest the card, never stay silent."""
    text = (
        "e nhan dc sms bao ngan hang can cap nhat thong tin can cuoc neu ko se khoa tk, co link kem theo, "
        "e bam vao r dien otp, h tk bi tru 30tr. lam sao lay lai a"
    )
    result = checker.check(text)
    assert result.verdict is not Verdict.NO_MATCH
    assert result.top_modus == "fake-bank"


def test_one_word_of_a_genuine_notice_does_not_clear_a_clear_scam(checker: Checker) -> None:
    text = "Dịch vụ lấy lại tiền bị lừa đảo online, đã giúp hơn 1000 người, tư vấn miễn phí qua Zalo."
    assert checker.check(text).verdict is not Verdict.NO_MATCH


def test_a_dropped_letter_is_forgiven(checker: Checker) -> None:
    clean = checker.check("xung la can bo dieu tra goi bao toi phai chung minh trong sach")
    typo = checker.check("xung la can bo dieu tra goi bao toi phai chung minh trog sach")
    assert typo.top_modus == clean.top_modus == "impersonate-authority"
    assert typo.verdict is clean.verdict


def test_a_bank_name_after_an_account_is_not_an_amount() -> None:
    from content.extract import extract

    found = extract("chị chuyển lại giúp em vào STK 9704221188 ngân hàng Sacombank nhé")
    assert [(e.kind, e.value) for e in found] == [("bank_account", "9704221188")]


def test_a_resident_tracing_their_own_mistaken_transfer_is_not_told_it_is_a_scam(checker: Checker) -> None:
    """The bank's trace ("tra soát") is the genuine way back for a mistaken transfer."""
    text = (
        "Chiều qua em chuyển khoản nhầm 3 triệu sang tài khoản của người khác, đã ra ngân hàng "
        "nhờ tra soát rồi, bao giờ thì nhận lại được ạ?"
    )
    assert checker.check(text).verdict is not Verdict.LIKELY_SCAM
    scam = (
        "co nguoi chuyen nham 5tr vao tk em, goi bao dung tra soat mat thoi gian, "
        "chuyen lai vao stk khac giup"
    )
    assert checker.check(scam).verdict is Verdict.LIKELY_SCAM
