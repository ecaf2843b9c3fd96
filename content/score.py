"""Phrase matching and modus scoring.

Every phrase of every card (and the generic warning signals) is compiled once into
one token trie, so a message is matched in a single pass whatever the size of the
library. Phrases are written folded ("chuyen khoan vao tai khoan tam giu") and go
through the same normaliser as messages, so teencode in a phrase is harmless.
A `*` inside a phrase lets up to four words stand between its parts
("lay lai * tien" matches "lay lai het so tien").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from content.normalize import tokens
from content.schema import Card
from content.similarity import CardSimilarity

__all__ = ["GAP", "Hit", "Matcher", "ModusScorer", "Phrase", "compile_phrase", "tagged_phrases"]

GAP = 4  # words a "*" may skip
_STRONG, _WEAK, _NEGATIVE = "strong", "weak", "negative"
WEAK_WEIGHT = 0.35
WEAK_CAP = 1.05
NEGATIVE_WEIGHT = 1.0
STEEPNESS = 0.75
SIM_BONUS = 1.5  # how much likeness adds to a card that has phrase support
BACKOFF_CAP = 0.34  # without a strong phrase a card stays below the suggest threshold
SIM_TOKENS = 600  # words of the message compared by likeness
# Many weak phrases of one card, with no strong one, still describe its trick: a retelling
# in the resident's own words ("sms bao ngan hang khoa tai khoan, bam link, dien otp").
# Such a card reaches the suggest threshold but never the act threshold on its own.
WEAK_QUORUM = 4
QUORUM_BASE = 0.25
QUORUM_CAP = 0.55


@dataclass(frozen=True)
class Phrase:
    """A compiled phrase: the owner (card id or signal name), its kind and tokens."""

    owner: str
    kind: str
    text: str
    parts: tuple[tuple[str, ...], ...]

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.parts)


@dataclass(frozen=True)
class Hit:
    phrase: Phrase
    start: int
    end: int


def compile_phrase(owner: str, kind: str, text: str) -> Phrase | None:
    """Normalise a phrase like a message; parts split on `*`. None if nothing is left."""
    parts = tuple(tuple(tokens(part)) for part in text.split("*"))
    parts = tuple(p for p in parts if p)
    if not parts:
        return None
    return Phrase(owner, kind, text, parts)


def tagged_phrases(rows: Iterable[str], prefix: str, kind: str) -> list[Phrase]:
    """Phrases of a lexicon file of `tag<TAB>phrase` rows, owned by `prefix + tag`."""
    out = []
    for row in rows:
        tag, _, text = row.partition("\t")
        phrase = compile_phrase(prefix + tag.strip(), kind, text.strip())
        if phrase is not None:
            out.append(phrase)
    return out


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    gap: _Node | None = None
    ends: list[Phrase] = field(default_factory=list)


class Matcher:
    """A token trie over all phrases; `*` becomes a gap edge."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self._root = _Node()
        self.size = 0
        for phrase in phrases:
            self._add(phrase)
            self.size += 1

    def _add(self, phrase: Phrase) -> None:
        node = self._root
        for i, part in enumerate(phrase.parts):
            if i:
                if node.gap is None:
                    node.gap = _Node()
                node = node.gap
            for tok in part:
                node = node.children.setdefault(tok, _Node())
        node.ends.append(phrase)

    def find(self, toks: Sequence[str]) -> list[Hit]:
        """All phrase occurrences; linear in the text for a fixed library."""
        hits: list[Hit] = []
        n = len(toks)
        for start in range(n):
            first = self._root.children.get(toks[start])
            if first is None:
                continue
            stack = [(first, start + 1)]
            while stack:
                node, pos = stack.pop()
                hits.extend(Hit(p, start, pos) for p in node.ends)
                if pos < n:
                    child = node.children.get(toks[pos])
                    if child is not None:
                        stack.append((child, pos + 1))
                if node.gap is not None:
                    for skip in range(GAP + 1):
                        at = pos + skip
                        if at >= n:
                            break
                        nxt = node.gap.children.get(toks[at])
                        if nxt is not None:
                            stack.append((nxt, at + 1))
        return hits


def _drop_nested(hits: list[Hit]) -> list[Hit]:
    """Keep one hit per phrase and drop a hit lying inside a longer one of the same owner."""
    first: dict[tuple[str, str, str], Hit] = {}
    for hit in hits:
        key = (hit.phrase.owner, hit.phrase.kind, hit.phrase.text)
        first.setdefault(key, hit)
    unique = sorted(first.values(), key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in unique:
        if any(
            k.phrase.owner == hit.phrase.owner
            and k.phrase.kind == hit.phrase.kind
            and k.start <= hit.start
            and hit.end <= k.end
            and (k.end - k.start) > (hit.end - hit.start)
            for k in kept
        ):
            continue
        kept.append(hit)
    return kept


@dataclass(frozen=True)
class CardScore:
    """Evidence for one modus: its score and the phrases that produced it."""

    card_id: str
    score: float
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    negative: tuple[str, ...]


class ModusScorer:
    """Scores every modus card from its `phrases` block."""

    def __init__(self, cards: Sequence[Card]) -> None:
        self.card_ids = [c.id for c in cards]
        self._ids = frozenset(self.card_ids)
        self._order = {card_id: i for i, card_id in enumerate(self.card_ids)}
        phrases: list[Phrase] = []
        for card in cards:
            for kind in (_STRONG, _WEAK, _NEGATIVE):
                for text in getattr(card.phrases, kind):
                    compiled = compile_phrase(card.id, kind, text)
                    if compiled is not None:
                        phrases.append(compiled)
        self.phrases = phrases
        self._similarity = CardSimilarity(cards)

    def score(
        self,
        hits: Iterable[Hit],
        toks: Sequence[str] = (),
        hints: Mapping[str, float] | None = None,
    ) -> list[CardScore]:
        """Per-card scores in 0..1, best first.

        Strong phrases carry a card; weak ones add to it; negative ones take away.
        Likeness to the card's text adds a little, and alone gives a low back-off
        score so the closest card is still offered when no phrase fits. `hints` is
        evidence from entities (a link imitating a bank), worth that many strong phrases.
        """
        hints = hints or {}
        sim = self._similarity.scores(toks[:SIM_TOKENS]) if toks else {}
        by_card: dict[str, dict[str, list[Phrase]]] = {}
        for hit in _drop_nested([h for h in hits if h.phrase.owner in self._ids]):
            by_card.setdefault(hit.phrase.owner, {}).setdefault(hit.phrase.kind, []).append(hit.phrase)
        out: list[CardScore] = []
        for card_id in by_card.keys() | sim.keys() | (hints.keys() & self._ids):
            kinds = by_card.get(card_id, {})
            strong = kinds.get(_STRONG, [])
            weak = kinds.get(_WEAK, [])
            negative = kinds.get(_NEGATIVE, [])
            likeness = sim.get(card_id, 0.0)
            raw = sum(min(1.2, 0.8 + 0.1 * p.size) for p in strong) + hints.get(card_id, 0.0)
            supported = bool(strong) or card_id in hints
            if supported:
                raw += min(WEAK_CAP, WEAK_WEIGHT * len(weak))
            raw -= NEGATIVE_WEIGHT * len(negative)
            if supported and raw > 0:
                value = 1.0 - math.exp(-STEEPNESS * (raw + SIM_BONUS * likeness))
            else:
                backoff = 0.8 * likeness + 0.08 * len(weak) - 0.1 * len(negative)
                value = min(BACKOFF_CAP, backoff)
                if len(weak) >= WEAK_QUORUM and not negative:
                    quorum = QUORUM_BASE + 0.05 * len(weak) + 0.3 * likeness
                    value = max(value, min(QUORUM_CAP, quorum))
            if value <= 0:
                continue
            out.append(
                CardScore(
                    card_id,
                    value,
                    tuple(p.text for p in strong),
                    tuple(p.text for p in weak),
                    tuple(p.text for p in negative),
                )
            )
        out.sort(key=lambda s: (-s.score, -len(s.strong), self._order[s.card_id]))
        return out
