"""Training the check model: the corpus in, `content/model/check-model.npz` out.

A multinomial logistic regression (scikit-learn) over the engine's own hashed
features, on the corpus the project writes (`content/corpus/`), after the same
de-disguising and normalisation the checker applies. Cross-validation groups the
variants of one template together, so a figure never credits the model for
recognising a sentence it has seen in another spelling.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from content.corpus import GENUINE, Sample, corpus_fingerprint, generate, vocabulary
from content.model import FEATURE_BITS, FEATURES_VERSION, MODEL_FILE, features

__all__ = ["CrossValidation", "cross_validate", "model_path", "train"]

C = 8.0  # inverse regularisation; with balanced classes, measured by grouped cross-validation
FOLDS = 5
BALANCE = 0.5  # 0: classes as they come; 1: fully balanced


def model_path() -> Path:
    import content.model

    return Path(content.model.__file__).with_name(MODEL_FILE)


def _matrix(samples: Sequence[Sample], tokenize: Callable[[str], list[str]]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for sample in samples:
        feats = features(tokenize(sample.text))
        indices.extend(feats)
        data.extend([1.0 / np.sqrt(max(1, len(feats)))] * len(feats))
        indptr.append(len(indices))
    return csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(samples), 1 << FEATURE_BITS),
    )


def _fit(x, y: Sequence[str]):  # type: ignore[no-untyped-def]
    """Fit on the columns the rows use only: the hashed space is mostly empty."""
    from sklearn.linear_model import LogisticRegression

    used = np.unique(x.indices)
    counts = Counter(y)
    # Half-way to balanced classes: a modus with few templates still counts, while the
    # genuine side (the most varied) keeps enough weight to hold false alarms down.
    weights = {label: (len(y) / (len(counts) * n)) ** BALANCE for label, n in counts.items()}
    model = LogisticRegression(C=C, class_weight=weights, max_iter=3000, tol=1e-4)
    model.fit(x[:, used], list(y))
    return model, used


class CrossValidation:
    """Recall per label and the share of genuine messages kept genuine, from grouped folds."""

    def __init__(self, per_label: dict[str, tuple[int, int]]) -> None:
        self.per_label = per_label

    def lines(self) -> list[str]:
        out = [f"{'label':<28}{'n':>6}{'recall':>9}"]
        for label, (hit, n) in sorted(self.per_label.items()):
            out.append(f"{label:<28}{n:>6}{hit / n:>9.3f}")
        scams = [(h, n) for label, (h, n) in self.per_label.items() if label != GENUINE]
        hit = sum(h for h, _ in scams)
        total = sum(n for _, n in scams)
        out.append(f"{'all scams (top-1)':<28}{total:>6}{hit / max(1, total):>9.3f}")
        return out


def cross_validate(
    tokenize: Callable[[str], list[str]], samples: Sequence[Sample] | None = None
) -> CrossValidation:
    from sklearn.model_selection import GroupKFold

    samples = list(samples if samples is not None else generate())
    x = _matrix(samples, tokenize)
    y = np.asarray([s.label for s in samples])
    groups = np.asarray([hash(s.template) % 1_000_003 for s in samples])
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for train_at, test_at in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        model, used = _fit(x[train_at], y[train_at])
        for want, got in zip(y[test_at], model.predict(x[test_at][:, used]), strict=True):
            tally[str(want)][1] += 1
            tally[str(want)][0] += int(want == got)
    return CrossValidation({k: (v[0], v[1]) for k, v in tally.items()})


def train(tokenize: Callable[[str], list[str]], out: Path | None = None) -> dict[str, str]:
    """Fit on the whole corpus and write the model file; returns its metadata."""
    samples = generate()
    x = _matrix(samples, tokenize)
    model, used = _fit(x, [s.label for s in samples])
    coef = model.coef_.T.astype(np.float32)
    meta = {
        "fingerprint": corpus_fingerprint(),
        "features": FEATURES_VERSION,
        "samples": str(len(samples)),
        "labels": json.dumps(dict(Counter(s.label for s in samples))),
        "C": str(C),
    }
    target = out or model_path()
    np.savez_compressed(
        target,
        labels=np.asarray([str(c) for c in model.classes_]),
        ids=used.astype(np.int32),
        weights=coef.astype(np.float16),
        bias=model.intercept_.astype(np.float32),
        meta=np.asarray(json.dumps(meta)),
        vocab=np.asarray(json.dumps(dict(zip(("words", "pairs"), vocabulary(samples), strict=True)))),
    )
    return meta
