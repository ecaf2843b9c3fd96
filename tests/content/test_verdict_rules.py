"""The verdict's rules (content/verdict.py), each on evidence built to test it alone."""

from __future__ import annotations

import pytest

from content import Checker, Verdict
from content.model import load_model
from content.result import NAME_MIN, CheckResult, ModusScore
from content.score import CardScore
from content.verdict import ACT, P_ACT, SUGGEST, Evidence, decide
from content.voice import Voice


def _ev(top: float, **kw: object) -> Evidence:
    scores = [CardScore("fake-bank", top, (), (), ())] if top else []
    defaults: dict[str, object] = {"signals": set(), "legit_hits": 0, "entities": [], "reported": {}}
    defaults.update(kw)
    return Evidence(scores, **defaults)  # type: ignore[arg-type]


def test_a_registry_report_decides_alone() -> None:
    assert decide(_ev(0.0, reported={("phone", "+84912345678"): 1})) is Verdict.LIKELY_SCAM


def test_a_clear_match_needs_a_concrete_red_flag_to_be_likely() -> None:
    assert decide(_ev(ACT + 0.05)) is Verdict.SUSPICIOUS
    assert decide(_ev(ACT + 0.05, signals={"credentials"})) is Verdict.LIKELY_SCAM
    assert decide(_ev(ACT + 0.05, disguised=True)) is Verdict.LIKELY_SCAM
    assert decide(_ev(ACT + 0.05, voice=Voice(("bam vao",), 0, 0, None))) is Verdict.LIKELY_SCAM


def test_the_model_alone_does_not_make_a_weak_match_likely() -> None:
    assert decide(_ev(SUGGEST - 0.1, p_scam=P_ACT + 0.05)) is Verdict.SUSPICIOUS
    assert decide(_ev(0.05, p_scam=0.99)) is Verdict.NO_MATCH


def test_below_the_suggest_threshold_nothing_is_suggested() -> None:
    assert decide(_ev(SUGGEST - 0.01)) is Verdict.NO_MATCH
    assert decide(_ev(SUGGEST)) is Verdict.SUSPICIOUS


def test_a_genuine_shape_is_no_match_unless_it_asks_what_a_lure_asks() -> None:
    otp = Voice((), 1, 0, "otp")
    assert decide(_ev(ACT + 0.1, signals={"credentials"}, voice=otp, p_scam=0.2)) is Verdict.NO_MATCH
    read_out = Voice(("doc ma",), 0, 0, "otp")
    assert decide(_ev(ACT + 0.1, signals={"credentials"}, voice=read_out)) is Verdict.LIKELY_SCAM
    assert decide(_ev(ACT + 0.1, signals={"credentials"}, voice=otp, disguised=True)) is Verdict.LIKELY_SCAM


def test_a_protective_voice_needs_the_model_to_agree_it_is_a_notice() -> None:
    warning = Voice((), 2, 2, None)
    assert decide(_ev(ACT + 0.2, signals={"threat"}, voice=warning, p_scam=0.1)) is Verdict.NO_MATCH
    assert decide(_ev(ACT + 0.2, signals={"threat"}, voice=warning, p_scam=0.9)) is Verdict.LIKELY_SCAM


@pytest.mark.parametrize("score", [0.11, 0.2, NAME_MIN - 0.01])
def test_no_card_is_named_below_the_stated_score(score: float) -> None:
    result = CheckResult(Verdict.SUSPICIOUS, [ModusScore("romance-gift", score)])
    assert result.named_modus is None
    assert (
        CheckResult(Verdict.SUSPICIOUS, [ModusScore("romance-gift", NAME_MIN)]).named_modus == "romance-gift"
    )


def test_no_match_names_no_card_whatever_its_score() -> None:
    assert CheckResult(Verdict.NO_MATCH, [ModusScore("fake-investment", 0.9)]).named_modus is None


def test_no_modus_reason_below_the_naming_score(checker: Checker) -> None:
    for text in ("mai di an lau ko mn, 7h toi nha", "Con ơi mẹ chuyển tiền học rồi nhé"):
        result = checker.check(text)
        assert "modus" not in {r.code for r in result.reasons}
        assert result.named_modus is None


def test_the_shipped_model_is_loaded_by_the_checker(checker: Checker) -> None:
    assert load_model() is not None
    assert checker.model is load_model()
