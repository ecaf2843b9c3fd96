"""The scam check: one `Checker`, built once from the library, serves every caller.

Built once because compiling a few thousand phrases takes milliseconds while a check
must take well under that; the chat, the console and `canhgiac check` share it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

from content.disguise import Undisguised, Undisguiser
from content.extract import extract
from content.lexicon import lines
from content.lookalike import brand_kind
from content.model import CheckModel, load_model
from content.normalize import fold, tokens
from content.result import CheckResult, Entity, ModusScore, RegistryLookup, Verdict, no_registry
from content.schema import Card
from content.score import CardScore, Matcher, ModusScorer, Phrase, tagged_phrases
from content.verdict import Evidence, decide, reasons
from content.voice import VoiceReader, negated, voice_phrases

__all__ = ["MAX_ANALYSED", "MAX_LISTED", "MIN_LISTED", "CardSource", "Checker"]

MAX_ANALYSED = 20_000  # characters read for phrases; a story never needs more
MAX_LISTED = 5
MIN_LISTED = 0.1
_LEGIT = ("legit", "warning")
GENUINE = "genuine"
# A link imitating a bank or a state service is itself evidence of these (fixed) modus.
_LOOKALIKE_MODUS = {"bank": "fake-bank", "gov": "fake-egov"}
LOOKALIKE_HINT = 1.0
# How much the learned model adds to a modus: the blend is 1 - (1 - phrases)(1 - w·p).
MODEL_WEIGHT = 0.8
MODEL_GATE = 0.6  # the model's probability of a scam below which it adds to no modus
_SHIPPED = "shipped"
TYPO_MIN = 5  # shortest library word whose one-letter-short misspelling is repaired


class CardSource(Protocol):
    """What the checker needs from a library (`content.library.Library` fits)."""

    def modus_cards(self) -> list[Card]: ...


def _signal_phrases() -> list[Phrase]:
    return tagged_phrases(lines("signals.tsv"), "@", "signal")


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


def _library_words(cards: Sequence[Card]) -> Counter[str]:
    words: Counter[str] = Counter()
    for card in cards:
        for text in (card.title, card.summary, *card.phrases.strong, *card.phrases.weak):
            words.update(t for t in fold(text).split() if t.isalpha())
    return words


def _blend(phrases: Sequence[CardScore], probs: dict[str, float] | None) -> list[CardScore]:
    """Phrase scores raised by the model's probability of each modus, best first."""
    # The model names a modus only for a message it reads as a scam: on a genuine-looking
    # one its small probabilities spread over every card would be noise.
    if not probs or 1.0 - probs.get(GENUINE, 0.0) < MODEL_GATE:
        return list(phrases)
    by_id = {s.card_id: s for s in phrases}
    out = []
    for card_id in by_id.keys() | {k for k, p in probs.items() if p >= 0.05 and k != GENUINE}:
        base = by_id.get(card_id) or CardScore(card_id, 0.0, (), (), ())
        value = 1.0 - (1.0 - base.score) * (1.0 - MODEL_WEIGHT * probs.get(card_id, 0.0))
        out.append(CardScore(card_id, value, base.strong, base.weak, base.negative))
    out.sort(key=lambda s: (-s.score, -len(s.strong), s.card_id))
    return out


def _hints(entities: Iterable[Entity]) -> dict[str, float]:
    hints: dict[str, float] = {}
    for entity in entities:
        kind = brand_kind(entity.lookalike_of) if entity.lookalike_of else None
        if kind in _LOOKALIKE_MODUS:
            hints[_LOOKALIKE_MODUS[kind]] = LOOKALIKE_HINT
    return hints


class Checker:
    """Scores a text against every modus card and returns the contract's result."""

    def __init__(
        self,
        library: CardSource | Iterable[Card],
        model: CheckModel | str | None = _SHIPPED,
        words: dict[str, int] | None = None,
        pairs: dict[tuple[str, str], int] | None = None,
    ) -> None:
        """`model`: the shipped one by default, None for phrases alone; `words` and
        `pairs` add to the vocabulary the de-disguising stage trusts (for training)."""
        cards: Sequence[Card] = library.modus_cards() if hasattr(library, "modus_cards") else list(library)
        cards = [c for c in cards if c.kind == "modus"]
        self._titles = {c.id: c.title for c in cards}
        self._scorer = ModusScorer(cards)
        signals = _signal_phrases()
        self._matcher = Matcher([*self._scorer.phrases, *signals, *voice_phrases()])
        self._typos = _typo_map([*self._scorer.phrases, *signals])
        self.model: CheckModel | None = load_model() if model == _SHIPPED else model  # type: ignore[assignment]
        if self.model is not None and set(self.model.labels) - {GENUINE} - set(self._titles):
            self.model = None  # trained for another library (a test library): phrases alone
        vocab = _library_words(cards)
        vocab.update(self.model.words if self.model else {})
        vocab.update(words or {})
        self._undisguiser = Undisguiser(vocab, {**(self.model.pairs if self.model else {}), **(pairs or {})})
        self._voice = VoiceReader()
        # The analysis of the last texts: a caller that asked for their entity keys ahead
        # of the check (to look up many texts at once) does not pay for it twice.
        self._undisguised = lru_cache(maxsize=128)(self._undisguiser.undisguise)
        self._entities = lru_cache(maxsize=128)(self._extract)

    def _extract(self, text: str) -> tuple[Entity, ...]:
        return tuple(extract(self._undisguised(text[:MAX_ANALYSED]).text + text[MAX_ANALYSED:]))

    def analysis_tokens(self, text: str) -> list[str]:
        """The tokens the phrases and the model read: de-disguised, normalised, repaired."""
        return self._tokens(self._undisguised(text[:MAX_ANALYSED]).text)

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
        undisguised: Undisguised = self._undisguised(text[:MAX_ANALYSED])
        entities = list(self._entities(text))
        toks = self._tokens(undisguised.text)
        hits = self._matcher.find(toks)
        probs = self.model.probabilities(toks) if self.model is not None else None
        scores = _blend(self._scorer.score(hits, toks, _hints(entities)), probs)
        signal_hits = {h.phrase.text for h in hits if h.phrase.owner[1:] in _LEGIT}
        # A red flag said in the negative ("không cung cấp mã OTP") is advice, not a flag.
        signals = {
            h.phrase.owner[1:]
            for h in hits
            if h.phrase.owner.startswith("@") and (h.phrase.owner[1:] in _LEGIT or not negated(toks, h.start))
        }
        keys = [e.key for e in entities]
        reported = {k: v for k, v in lookup(keys).items() if v} if keys else {}
        evidence = Evidence(
            scores,
            signals,
            len(signal_hits),
            entities,
            reported,
            voice=self._voice.read(undisguised.text, toks, hits),
            disguised=undisguised.disguised,
            p_scam=None if probs is None else 1.0 - probs.get(GENUINE, 0.0),
        )
        verdict = decide(evidence)
        return CheckResult(
            verdict=verdict,
            modus=[
                ModusScore(s.card_id, round(s.score, 4)) for s in scores[:MAX_LISTED] if s.score >= MIN_LISTED
            ],
            entities=entities,
            reported=reported,
            reasons=reasons(evidence, verdict, self._titles),
            looks_genuine=verdict is Verdict.NO_MATCH and evidence.genuine_voice(),
        )

    def signals(self, text: str) -> set[str]:
        """The signs `text` shows (threat, urgent, secrecy…), whatever the verdict: the report
        dialog asks whether a story tells of a threat."""
        hits = self._matcher.find(self._tokens(text))
        return {h.phrase.owner[1:] for h in hits if h.phrase.owner.startswith("@")}

    def explain(self, text: str) -> dict[str, object]:
        """The phrases behind a check, for tuning and for officers curious why."""
        toks = self.analysis_tokens(text)
        hits = self._matcher.find(toks)
        probs = self.model.probabilities(toks) if self.model is not None else {}
        return {
            "undisguised": self._undisguised(text[:MAX_ANALYSED]).text,
            "model": {k: round(v, 3) for k, v in sorted(probs.items(), key=lambda kv: -kv[1])[:4]},
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
