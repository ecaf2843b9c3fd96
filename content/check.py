"""The scam check: one `Checker`, built once from the library, serves every caller.

Built once because compiling a few thousand phrases takes milliseconds while a check
must take well under that; the chat, the console and `canhgiac check` share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

from content.extract import extract
from content.lexicon import lines
from content.lookalike import brand_kind
from content.normalize import tokens
from content.result import CheckResult, Entity, ModusScore, RegistryLookup, no_registry
from content.schema import Card
from content.score import Matcher, ModusScorer, Phrase, compile_phrase
from content.verdict import Evidence, decide, reasons

__all__ = ["MAX_ANALYSED", "MAX_LISTED", "MIN_LISTED", "CardSource", "Checker"]

MAX_ANALYSED = 20_000  # characters read for phrases; a story never needs more
MAX_LISTED = 5
MIN_LISTED = 0.1
_LEGIT = ("legit", "warning")
# A link imitating a bank or a state service is itself evidence of these (fixed) modus.
_LOOKALIKE_MODUS = {"bank": "fake-bank", "gov": "fake-egov"}
LOOKALIKE_HINT = 1.0
TYPO_MIN = 5  # shortest library word whose one-letter-short misspelling is repaired


class CardSource(Protocol):
    """What the checker needs from a library (`content.library.Library` fits)."""

    def modus_cards(self) -> list[Card]: ...


def _signal_phrases() -> list[Phrase]:
    out = []
    for ln in lines("signals.tsv"):
        name, _, text = ln.partition("\t")
        phrase = compile_phrase("@" + name.strip(), "signal", text.strip())
        if phrase is not None:
            out.append(phrase)
    return out


def _typo_map(phrases: Iterable[Phrase]) -> dict[str, str]:
    """Misspellings of the library's words that drop one letter ("chuyn", "khoa" stays).

    Only words of five letters or more are repaired, only to a single candidate, and
    never when the misspelling is itself a word of the library.
    """
    vocab = {tok for p in phrases for part in p.parts for tok in part}
    out: dict[str, str] = {}
    clash: set[str] = set()
    for word in vocab:
        if len(word) < TYPO_MIN or not word.isalpha():
            continue
        for i in range(len(word)):
            typo = word[:i] + word[i + 1 :]
            if typo in vocab or typo in clash:
                continue
            if out.get(typo, word) != word:
                del out[typo]
                clash.add(typo)
            else:
                out[typo] = word
    return out


def _extract_tuple(text: str) -> tuple[Entity, ...]:
    return tuple(extract(text))


def _hints(entities: Iterable[Entity]) -> dict[str, float]:
    hints: dict[str, float] = {}
    for entity in entities:
        kind = brand_kind(entity.lookalike_of) if entity.lookalike_of else None
        if kind in _LOOKALIKE_MODUS:
            hints[_LOOKALIKE_MODUS[kind]] = LOOKALIKE_HINT
    return hints


class Checker:
    """Scores a text against every modus card and returns the contract's result."""

    def __init__(self, library: CardSource | Iterable[Card]) -> None:
        cards: Sequence[Card] = library.modus_cards() if hasattr(library, "modus_cards") else list(library)
        cards = [c for c in cards if c.kind == "modus"]
        self._titles = {c.id: c.title for c in cards}
        self._scorer = ModusScorer(cards)
        signals = _signal_phrases()
        self._matcher = Matcher([*self._scorer.phrases, *signals])
        self._typos = _typo_map([*self._scorer.phrases, *signals])
        # The entities of the last texts: a caller that asked for their keys ahead of the
        # check (to look up many texts at once) does not pay for the extraction twice.
        self._entities = lru_cache(maxsize=128)(_extract_tuple)

    @property
    def modus_ids(self) -> list[str]:
        return list(self._scorer.card_ids)

    def _tokens(self, text: str) -> list[str]:
        typos = self._typos
        return [typos.get(t, t) for t in tokens(text[:MAX_ANALYSED])]

    def entity_keys(self, text: str) -> list[tuple[str, str]]:
        """The registry keys a check of `text` looks up, so a batch can look them up together."""
        return [entity.key for entity in self._entities(text)]

    def check(self, text: str, lookup: RegistryLookup = no_registry) -> CheckResult:
        """Verdict, ranked modus, entities with their report counts, and reasons."""
        if isinstance(text, bytes | bytearray):
            text = bytes(text).decode("utf-8", errors="replace")
        elif not isinstance(text, str):
            text = str(text)
        entities = list(self._entities(text))
        toks = self._tokens(text)
        hits = self._matcher.find(toks)
        scores = self._scorer.score(hits, toks, _hints(entities))
        signal_hits = {h.phrase.text for h in hits if h.phrase.owner[1:] in _LEGIT}
        signals = {h.phrase.owner[1:] for h in hits if h.phrase.owner.startswith("@")}
        keys = [e.key for e in entities]
        reported = {k: v for k, v in lookup(keys).items() if v} if keys else {}
        evidence = Evidence(scores, signals, len(signal_hits), entities, reported)
        verdict = decide(evidence)
        return CheckResult(
            verdict=verdict,
            modus=[
                ModusScore(s.card_id, round(s.score, 4)) for s in scores[:MAX_LISTED] if s.score >= MIN_LISTED
            ],
            entities=entities,
            reported=reported,
            reasons=reasons(evidence, verdict, self._titles),
        )

    def signals(self, text: str) -> set[str]:
        """The signs `text` shows (threat, urgent, secrecy…), whatever the verdict: the report
        dialog asks whether a story tells of a threat."""
        hits = self._matcher.find(self._tokens(text))
        return {h.phrase.owner[1:] for h in hits if h.phrase.owner.startswith("@")}

    def explain(self, text: str) -> dict[str, object]:
        """The phrases behind a check, for tuning and for officers curious why."""
        toks = self._tokens(text)
        hits = self._matcher.find(toks)
        return {
            "tokens": " ".join(toks),
            "signals": sorted(
                {f"{h.phrase.owner}:{h.phrase.text}" for h in hits if h.phrase.owner.startswith("@")}
            ),
            "scores": [
                {
                    "id": s.card_id,
                    "score": round(s.score, 3),
                    "strong": s.strong,
                    "weak": s.weak,
                    "negative": s.negative,
                }
                for s in self._scorer.score(hits, toks)[:4]
            ],
        }
