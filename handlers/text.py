"""Comparing typed answers (menu words, yes/no) the way the engine compares text."""

from __future__ import annotations

from content.normalize import fold as fold_letters


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d, single spaces."""
    return " ".join(fold_letters(text).split())
