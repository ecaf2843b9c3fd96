"""From scores, signals and entities to a verdict with reasons a resident can read.

Two thresholds, as in Meedan Check: above `SUGGEST` the engine only suggests a card
(`suspicious`); above `ACT` and with a concrete red flag (money asked for, a code or
password asked for, a threat, a look-alike link) it says `likely_scam`. A confirmed
registry report or a link imitating a real domain raises the verdict on its own;
the wording of a genuine notice or of a police warning lowers it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from content.lexicon import lines
from content.lookalike import is_risky_tld
from content.result import Entity, Reason, Verdict
from content.score import CardScore

__all__ = ["ACT", "RED_FLAGS", "SUGGEST", "Evidence", "decide", "reasons"]

HINT = 0.2  # a likeness-only match: enough to suggest a card when a red flag is seen
SUGGEST = 0.35
ACT = 0.6
SURE = 0.75  # a request for money alone is everyday life; it needs a clear match
RED_FLAGS = (
    "safe_account",
    "credentials",
    "fee_first",
    "deposit_more",
    "threat",
    "secrecy",
    "install",
    "urgent",
)
_LEVELS = (Verdict.NO_MATCH, Verdict.SUSPICIOUS, Verdict.LIKELY_SCAM)
MAX_REASONS = 5


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    return dict(ln.split("\t", 1) for ln in lines("reasons.tsv"))


@dataclass(frozen=True)
class Evidence:
    """Everything the verdict looks at, gathered by the checker."""

    scores: Sequence[CardScore]
    signals: Collection[str]
    legit_hits: int
    entities: Sequence[Entity]
    reported: Mapping[tuple[str, str], int]

    @property
    def top(self) -> float:
        return self.scores[0].score if self.scores else 0.0

    @property
    def flags(self) -> list[str]:
        return [f for f in RED_FLAGS if f in self.signals]

    def risky_links(self) -> list[Entity]:
        return [
            e
            for e in self.entities
            if e.kind == "url"
            and (
                e.lookalike_of
                or e.shortener
                or e.punycode
                or is_risky_tld(e.host or "")
                or e.value.lower().split("?")[0].endswith(".apk")
            )
        ]


def decide(ev: Evidence) -> Verdict:
    """The verdict: registry and look-alikes first, then the two thresholds."""
    if any(count > 0 for count in ev.reported.values()):
        return Verdict.LIKELY_SCAM
    risky = ev.risky_links()
    money = "money" in ev.signals
    if any(e.lookalike_of for e in risky):
        return Verdict.LIKELY_SCAM if ev.top >= SUGGEST or ev.flags else Verdict.SUSPICIOUS
    serious = [f for f in ev.flags if f != "urgent"]
    if ev.top >= ACT and (ev.flags or risky or (money and ev.top >= SURE)):
        level = 2
    elif ev.top >= SUGGEST or (risky and (ev.flags or money)) or (ev.top >= HINT and serious):
        level = 1
    else:
        level = 0
    if not risky and ev.legit_hits:
        floor = 1 if level and ev.top >= SURE and "warning" not in ev.signals else 0
        # A word of a genuine notice ("miễn phí") is also bait; it does not clear a clear match.
        level = max(floor, level - min(2, ev.legit_hits))
    return _LEVELS[max(0, level)]


def _show_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 84
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def reasons(ev: Evidence, verdict: Verdict, titles: Mapping[str, str]) -> list[Reason]:
    """Short Vietnamese sentences, most telling first."""
    text = _texts()
    out: list[Reason] = []
    for entity in ev.entities:
        count = ev.reported.get(entity.key, 0)
        if count > 0:
            shown = _show_phone(entity.value) if entity.kind == "phone" else entity.value
            if entity.kind == "url":
                shown = entity.host or entity.value
            body = text[f"reported_{entity.kind}"].format(value=shown, count=count)
            out.append(Reason(f"reported_{entity.kind}", body))
    for entity in ev.risky_links():
        host = entity.host or entity.value
        if entity.lookalike_of:
            out.append(Reason("lookalike", text["lookalike"].format(genuine=entity.lookalike_of)))
        elif entity.punycode:
            out.append(Reason("punycode", text["punycode"].format(host=host)))
        elif entity.shortener:
            out.append(Reason("shortener", text["shortener"].format(host=host)))
        elif entity.value.lower().split("?")[0].endswith(".apk"):
            out.append(Reason("apk", text["apk"]))
        else:
            out.append(Reason("risky_tld", text["risky_tld"].format(host=host)))
    if verdict is not Verdict.NO_MATCH and ev.scores and ev.top >= SUGGEST:
        title = titles.get(ev.scores[0].card_id, ev.scores[0].card_id)
        out.insert(0, Reason("modus", text["modus"].format(title=title)))
    if verdict is not Verdict.NO_MATCH:
        out.extend(Reason(flag, text[flag]) for flag in ev.flags)
    if "warning" in ev.signals and not out:
        out.append(Reason("warning", text["warning"]))
    return out[:MAX_REASONS]
