"""A bag-of-words back-off: how much a message reads like each card.

Exact phrases are precise but brittle; a story told in new words matches none. Each
card is also read as a TF-IDF document (its title, summary, how it works, warning
signs and phrases), and a message is compared with every card by cosine similarity
over word unigrams and bigrams. It ranks cards when no phrase fits and breaks ties
when several do; it never raises the verdict on its own.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise

from content.normalize import tokens
from content.schema import Card

__all__ = ["CardSimilarity"]

# Function words that carry no modus: left out of the bags.
_STOP = frozenset(
    [
        "la",
        "va",
        "cua",
        "co",
        "khong",
        "duoc",
        "cho",
        "thi",
        "ma",
        "de",
        "o",
        "voi",
        "nay",
        "do",
        "mot",
        "cac",
        "nhung",
        "nhieu",
        "rat",
        "da",
        "dang",
        "se",
        "bi",
        "vao",
        "ra",
        "len",
        "xuong",
        "toi",
        "minh",
        "em",
        "anh",
        "chi",
        "ban",
        "ho",
        "no",
        "ong",
        "ba",
        "con",
        "chau",
        "ay",
        "kia",
        "nao",
        "gi",
        "sao",
        "vay",
        "nhe",
        "a",
        "oi",
        "u",
        "roi",
        "lai",
        "cung",
        "con",
        "nua",
        "moi",
        "neu",
        "khi",
        "nhu",
        "the",
        "tu",
        "den",
        "qua",
        "trong",
        "ngoai",
        "sau",
        "truoc",
        "tren",
        "duoi",
        "hay",
        "hoac",
        "nguoi",
        "ai",
        "ca",
        "het",
        "chi",
        "can",
        "phai",
        "muon",
        "biet",
        "lam",
        "noi",
        "bao",
        "goi",
        "nhan",
        "ngay",
        "gio",
        "hom",
        "nam",
        "thang",
        "tuan",
        "phut",
        "tieng",
        "luc",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "nghin",
        "trieu",
        "dong",
    ]
)
_FIELD_WEIGHTS = (("title", 2.0), ("summary", 1.0), ("how_it_works", 1.0), ("warning_signs", 1.0))


def _features(toks: Sequence[str]) -> Counter[str]:
    words = [t for t in toks if t not in _STOP and not t.isdigit()]
    bag: Counter[str] = Counter(words)
    bag.update(f"{a} {b}" for a, b in pairwise(toks) if a not in _STOP or b not in _STOP)
    return bag


def _card_bag(card: Card) -> dict[str, float]:
    bag: defaultdict[str, float] = defaultdict(float)
    for name, weight in _FIELD_WEIGHTS:
        value = getattr(card, name)
        texts: Iterable[str] = [value] if isinstance(value, str) else value
        for text in texts:
            for feat, n in _features(tokens(text)).items():
                bag[feat] += weight * n
    for text in card.phrases.strong:
        for feat, n in _features(tokens(text.replace("*", " "))).items():
            bag[feat] += 2.0 * n
    for text in card.phrases.weak:
        for feat, n in _features(tokens(text.replace("*", " "))).items():
            bag[feat] += 0.5 * n
    return bag


class CardSimilarity:
    """TF-IDF vectors of the cards, built once."""

    def __init__(self, cards: Sequence[Card]) -> None:
        bags = {card.id: _card_bag(card) for card in cards}
        df: Counter[str] = Counter()  # in how many cards a feature occurs
        for bag in bags.values():
            df.update(bag.keys())
        n = max(1, len(bags))
        self._idf = {feat: math.log((n + 1) / (d + 0.5)) for feat, d in df.items()}
        # Inverted index: feature -> (card, weight); a message touches only its features.
        self._index: dict[str, list[tuple[str, float]]] = {}
        for card_id, bag in bags.items():
            vec = {f: (1 + math.log(c)) * self._idf[f] for f, c in bag.items() if c > 0}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for f, v in vec.items():
                self._index.setdefault(f, []).append((card_id, v / norm))

    def scores(self, toks: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the message with each card (0..1), zeros left out."""
        bag = _features(toks)
        vec = {f: (1 + math.log(c)) * self._idf[f] for f, c in bag.items() if f in self._idf}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        if not norm:
            return {}
        out: dict[str, float] = {}
        for f, v in vec.items():
            for card_id, w in self._index[f]:
                out[card_id] = out.get(card_id, 0.0) + v * w / norm
        return out
