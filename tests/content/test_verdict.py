"""The verdict's two thresholds at their edges (the figures the development set was tuned with)."""

from __future__ import annotations

import pytest

from content.result import Entity, Verdict
from content.score import CardScore
from content.verdict import Evidence, decide


def evidence(top: float, signals: tuple[str, ...] = (), **extra: object) -> Evidence:
    values: dict[str, object] = {"legit_hits": 0, "entities": (), "reported": {}, **extra}
    return Evidence(
        scores=[CardScore("fake-bank", top, ("nâng hạn mức",), (), ())],
        signals=signals,
        **values,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("top", "signals", "verdict"),
    [
        (0.6, ("credentials",), Verdict.LIKELY_SCAM),  # ACT: a clear match with a red flag acts
        (0.62, ("threat",), Verdict.LIKELY_SCAM),
        (0.59, ("credentials",), Verdict.SUSPICIOUS),
        (0.7, (), Verdict.SUSPICIOUS),  # a match without a red flag only suggests
        (0.75, ("money",), Verdict.LIKELY_SCAM),  # SURE: money asked for with a clear match
        (0.74, ("money",), Verdict.SUSPICIOUS),
        (0.35, (), Verdict.SUSPICIOUS),  # SUGGEST
        (0.34, (), Verdict.NO_MATCH),
        (0.2, ("credentials",), Verdict.SUSPICIOUS),  # HINT: a likeness with a serious flag
        (0.2, ("urgent",), Verdict.NO_MATCH),  # hurry alone is not serious
        (0.19, ("credentials",), Verdict.NO_MATCH),
    ],
)
def test_thresholds(top: float, signals: tuple[str, ...], verdict: Verdict) -> None:
    assert decide(evidence(top, signals)) is verdict


def test_a_confirmed_report_or_a_lookalike_decides_on_its_own() -> None:
    phone = Entity("phone", "+84912345678")
    assert decide(evidence(0.0, entities=(phone,), reported={phone.key: 1})) is Verdict.LIKELY_SCAM
    fake = Entity(
        "url",
        "http://vietcombank-xacthuc.top",
        host="vietcombank-xacthuc.top",
        lookalike_of="vietcombank.com.vn",
    )
    assert decide(evidence(0.35, entities=(fake,))) is Verdict.LIKELY_SCAM
    assert decide(evidence(0.0, entities=(fake,))) is Verdict.SUSPICIOUS
