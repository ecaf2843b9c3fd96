"""The learned part of the scam check: a linear model over the normalised text.

Phrase lists are precise but only know the words someone wrote down; real lures use
new ones ("cỗ máy in tiền", "phí dịch vụ toàn cầu"). A multinomial logistic model over
word and character n-grams, trained on the project's own corpus (`content/corpus/`),
gives every message a probability per modus and for "genuine". It is data, like the
cards: `canhgiac model train` writes `check-model.npz` beside this file, and the checker
loads it once. Features are hashed with CRC-32, so the same text gives the same
features on every machine and no vocabulary has to be shipped.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from content.corpus import split_pairs

__all__ = ["FEATURES_VERSION", "FEATURE_BITS", "MODEL_FILE", "CheckModel", "features", "load_model"]

FEATURE_BITS = 20
FEATURES_VERSION = "2"
MODEL_FILE = "check-model.npz"
MAX_TOKENS = 300  # a long story is judged on its opening, like a reader would
_MASK = (1 << FEATURE_BITS) - 1
_CHAR_SIZES = (3, 4, 5)


_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SALT = {"w": 1, "b": 2, 3: 3, 4: 4, 5: 5}


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    """Spread polynomial hashes over the feature space (Fibonacci hashing)."""
    with np.errstate(over="ignore"):
        mixed = (values + np.uint64(salt) * _PRIME) * _MIX
    return (mixed >> np.uint64(64 - FEATURE_BITS)).astype(np.int64)


def _poly(codes: np.ndarray, size: int) -> np.ndarray:
    """Polynomial hashes of every window of `size` code points, in one vector pass."""
    count = codes.size - size + 1
    out = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(size):
            out = out * _PRIME + codes[k : k + count]
    return out


def features(toks: Sequence[str]) -> list[int]:
    """Sorted distinct feature ids: words, word pairs and character 3–5-grams.

    Hashed with fixed polynomial and multiplicative hashing, so the ids are the same on
    every machine and in every process (unlike Python's salted `hash`).
    """
    toks = list(toks[:MAX_TOKENS])
    if not toks:
        return []
    line = " " + " ".join(toks) + " "
    codes = np.frombuffer(line.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = []
    for size in _CHAR_SIZES:
        if codes.size >= size:
            parts.append(_mix(_poly(codes, size), _SALT[size]))
    word_hash = np.asarray([zlib.crc32(tok.encode("utf-8")) for tok in toks], dtype=np.uint64)
    parts.append(_mix(word_hash, _SALT["w"]))
    if len(toks) > 1:
        with np.errstate(over="ignore"):
            pairs = word_hash[:-1] * _PRIME + word_hash[1:]
        parts.append(_mix(pairs, _SALT["b"]))
    return _distinct(np.concatenate(parts)).tolist()


def _distinct(values: np.ndarray) -> np.ndarray:
    values.sort()
    keep = np.empty(values.size, dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


@dataclass(frozen=True)
class CheckModel:
    """Weights of the features seen in training (sorted ids) for each label."""

    labels: tuple[str, ...]
    ids: np.ndarray  # int64, sorted
    weights: np.ndarray  # float32, len(ids) × len(labels)
    bias: np.ndarray  # float32, len(labels)
    meta: dict[str, str]
    words: dict[str, int]  # folded words of the corpus with their counts
    pairs: dict[tuple[str, str], int]  # adjacent word pairs with their counts
    rows: np.ndarray  # feature id → weight row, -1 for a feature unseen in training

    def probabilities(self, toks: Sequence[str]) -> dict[str, float]:
        """Label → probability; every label present, summing to one."""
        feats = np.asarray(features(toks), dtype=np.int64)
        logits = self.bias.astype(np.float64)
        if feats.size:
            known = self.rows[feats]
            known = known[known >= 0]
            if known.size:
                logits = logits + self.weights[known].sum(axis=0, dtype=np.float64) / np.sqrt(feats.size)
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}


def read_model(data: np.lib.npyio.NpzFile) -> CheckModel:
    meta = json.loads(str(data["meta"]))
    vocab = json.loads(str(data["vocab"]))
    ids = data["ids"].astype(np.int64)
    rows = np.full(1 << FEATURE_BITS, -1, dtype=np.int32)
    rows[ids] = np.arange(ids.size, dtype=np.int32)
    return CheckModel(
        labels=tuple(str(x) for x in data["labels"]),
        ids=ids,
        weights=data["weights"].astype(np.float32),
        bias=data["bias"].astype(np.float32),
        meta=meta,
        words=dict(vocab["words"]),
        pairs=split_pairs(vocab["pairs"]),
        rows=rows,
    )


@lru_cache(maxsize=1)
def load_model() -> CheckModel | None:
    """The shipped model, or None when none has been trained (the phrases work alone)."""
    ref = resources.files("content.model").joinpath(MODEL_FILE)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
        return read_model(data)
