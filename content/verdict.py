"""From scores, signals, voice and entities to a verdict with reasons a resident can read.

The rules, in order (each is tested):
1. A confirmed registry report, or a link imitating a bank's or a state body's domain,
   makes `likely_scam` on its own.
2. A message in a genuine shape (one-time code, balance change, login alert) or whose
   every call to action is protective (a warning, a notice) is `no_match`, unless it
   asks the reader to act where a lure would (a link that is not the sender's own, a
   code to read out, a contact to add) or is disguised against filters.
3. Otherwise two thresholds, as in Meedan Check: above `SUGGEST` (or a model
   probability of a scam above `P_SUGGEST`) the engine suggests a card
   (`suspicious`); above `ACT` (or `P_ACT`) and with a concrete red flag (money or a
   code asked for, a threat, secrecy, an install, a risky link, a call to act in the
   sender's favour, disguised text) it says `likely_scam`.
4. No card is named to a resident below `NAME_MIN`, and `no_match` names none.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from content.lexicon import lines
from content.lookalike import is_risky_tld
from content.result import NAME_MIN, Entity, Reason, Verdict
from content.score import CardScore
from content.voice import Voice

__all__ = ["ACT", "NAME_MIN", "P_ACT", "P_SUGGEST", "RED_FLAGS", "SUGGEST", "Evidence", "decide", "reasons"]

HINT = 0.2  # a likeness-only match: enough to suggest a card when a red flag is seen
SUGGEST = 0.35
ACT = 0.6
SURE = 0.75  # a request for money alone is everyday life; it needs a clear match
P_SUGGEST = 0.6  # the model's probability that a message is a scam, to suggest a card
P_ACT = 0.8  # … and to call it likely, with a concrete red flag
P_SURE = 0.9  # … so sure that a call to act is enough beside a weak match
P_NOTICE = 0.65  # below this probability of a scam, a protective voice reads as a notice
# Calls to act that make a message in a genuine shape a lure all the same.
_LURE_ASKS = ("cung cap ma", "doc ma", "gui ma", "cung cap otp", "doc otp", "gui otp", "cai dat",
              "cai ung dung", "tai ung dung", "tai app", "ket ban zalo", "ket ban", "add zalo",
              "lien he zalo", "cung cap mat khau")  # fmt: skip
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
    voice: Voice | None = None
    disguised: bool = False
    p_scam: float | None = None  # the model's probability of a scam; None without a model

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

    def genuine_voice(self) -> bool:
        """Rule 2: a genuine shape or a protective voice, with nothing a lure would ask."""
        voice = self.voice
        if voice is None or self.disguised or not (voice.shape or voice.protective_only):
            return False
        if not voice.shape and not self._reads_as_notice(voice):
            return False
        if self.risky_links() or any(e.kind == "url" and not e.lookalike_of for e in self.entities):
            # A link in a one-time code or a warning is what a lure adds to the shape.
            return voice.protective_only and not voice.shape and not self.risky_links()
        return not any(ask in _LURE_ASKS for ask in voice.asks)

    def _reads_as_notice(self, voice: Voice) -> bool:
        """A warning, not a resident's retelling of a lure (which also says "báo công an").

        The model, trained on both, tells them apart; without it, two protective cues.
        """
        if self.p_scam is not None:
            return self.p_scam < P_NOTICE
        return voice.protective + voice.warns >= 2


def decide(ev: Evidence) -> Verdict:
    """The verdict: registry and look-alikes first, then the voice, then the two thresholds."""
    if any(count > 0 for count in ev.reported.values()):
        return Verdict.LIKELY_SCAM
    risky = ev.risky_links()
    money = "money" in ev.signals
    asks = bool(ev.voice and ev.voice.asks)
    if any(e.lookalike_of for e in risky):
        return Verdict.LIKELY_SCAM if ev.top >= SUGGEST or ev.flags or asks else Verdict.SUSPICIOUS
    if ev.genuine_voice():
        return Verdict.NO_MATCH
    serious = [f for f in ev.flags if f != "urgent"]
    concrete = bool(ev.flags or risky or ev.disguised or asks)
    p_scam = ev.p_scam if ev.p_scam is not None else 0.0
    if (
        (ev.top >= ACT and (concrete or (money and ev.top >= SURE)))
        or (p_scam >= P_ACT and concrete and ev.top >= SUGGEST)
        # A clear match that the model also reads as a scam: a retelling of the trick.
        or (p_scam >= P_ACT and ev.top >= SURE)
        # Written against filters, and reading like a lure: no genuine sender does that.
        or (ev.disguised and p_scam >= P_SUGGEST and ev.top >= SUGGEST)
        # The model is sure and the message asks the reader to act.
        or (p_scam >= P_SURE and concrete and ev.top >= HINT)
    ):
        level = 2
    elif (
        ev.top >= SUGGEST
        or (p_scam >= P_ACT and ev.top >= HINT)
        or (risky and (ev.flags or money or asks))
        or (ev.top >= HINT and (serious or ev.disguised))
    ):
        level = 1
    else:
        level = 0
    # A word of a genuine notice ("miễn phí", "trân trọng") lowers a phrase-only verdict;
    # the model has already weighed such words when it is sure.
    if not risky and ev.legit_hits and not ev.disguised and p_scam < P_ACT:
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
    if verdict is not Verdict.NO_MATCH and ev.scores and ev.top >= NAME_MIN:
        title = titles.get(ev.scores[0].card_id, ev.scores[0].card_id)
        out.insert(0, Reason("modus", text["modus"].format(title=title)))
    if verdict is not Verdict.NO_MATCH:
        out.extend(Reason(flag, text[flag]) for flag in ev.flags)
        if ev.disguised:
            out.append(Reason("disguised", text["disguised"]))
    if verdict is Verdict.NO_MATCH and ev.genuine_voice():
        out.append(Reason("genuine", text["genuine"]))
    elif "warning" in ev.signals and not out:
        out.append(Reason("warning", text["warning"]))
    return out[:MAX_REASONS]
