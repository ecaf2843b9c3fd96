"""The learned model: shipped, built from the corpus in the repository, the same everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from content.corpus import GENUINE, corpus_fingerprint, generate
from content.model import FEATURES_VERSION, features, load_model
from content.normalize import tokens

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"


def test_the_shipped_model_matches_its_training_corpus() -> None:
    """Edit the corpus without retraining (`canhgiac model train`) and this fails."""
    model = load_model()
    assert model is not None
    assert model.meta["fingerprint"] == corpus_fingerprint()
    assert model.meta["features"] == FEATURES_VERSION
    assert int(model.meta["samples"]) == len(generate())


def test_the_model_knows_every_modus_and_the_genuine_side() -> None:
    model = load_model()
    assert model is not None
    assert GENUINE in model.labels
    assert len(model.labels) == 22


def test_features_are_the_same_in_every_process() -> None:
    """Fixed hashing, not Python's salted `hash`: these ids are part of the model file."""
    code = (
        "from content.model import features; from content.normalize import tokens; "
        "print(features(tokens('chuyen tien vao tai khoan tam giu')))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] == str(features(tokens("chuyen tien vao tai khoan tam giu"))) + "\n"


def test_the_corpus_is_several_times_the_development_sets_and_none_of_their_lines() -> None:
    samples = generate()
    dev_lines: list[str] = []
    for name in ("check-dev.jsonl", "check-dev-sms.jsonl"):
        path = EVAL / name
        if path.exists():
            dev_lines += [json.loads(ln)["text"] for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    assert len(samples) >= 5 * max(141, len(dev_lines))
    corpus = {" ".join(tokens(s.text)) for s in samples}
    assert not any(" ".join(tokens(line)) in corpus for line in dev_lines)


def test_the_model_reads_a_lure_it_never_saw_word_for_word() -> None:
    model = load_model()
    assert model is not None
    probs = model.probabilities(
        tokens("Sàn coin Bitmax trả lãi 2% mỗi ngày, nạp tối thiểu 5 triệu, chuyên gia hướng dẫn 1 kèm 1")
    )
    assert max(probs, key=probs.__getitem__) == "fake-investment"
