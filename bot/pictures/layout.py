"""From OCR lines to a message: reading order, chat bubbles, no phone or app chrome.

A screenshot's text is not only the message: the status bar (clock, signal, battery), the
back arrow, date stamps between bubbles and the input bar's placeholder are noise for a
check. The sender's name in the header stays: "VCB" or a phone number is evidence. Lines
are read top to bottom (chat bubbles alternate sides but never overlap in height); the
wrapped lines of one bubble are joined with spaces, bubbles with line breaks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

STATUS_BAND = 0.07  # of the width: how tall a status bar is at most
INPUT_BAND = 0.18  # of the width: how tall an input bar is at most
MIN_CONFIDENCE = 30.0

_CLOCK = re.compile(r"\d{1,2}[:.]\d{2}|\d{1,3}\s?%|\b[345]G\b|\bLTE\b|\bVoLTE\b", re.IGNORECASE)
_STAMP = re.compile(
    r"(hom nay|hom qua|today|yesterday|thu \w+|t[2-7]|cn|chu nhat|luc|sang|chieu|toi|am|pm|[\s,.-])*"
    r"(\d{1,2}[:h]\d{2}|\d{1,2}/\d{1,2}(/\d{2,4})?|\d{1,2} thg \d{1,2})"
    r"(\s*(\d{1,2}[:h]\d{2}|\d{1,2}/\d{1,2}(/\d{2,4})?|am|pm|sa|ch|[,.-]))*",
    re.IGNORECASE,
)
_BACK = re.compile(r"^\s*[<←‹«]+\s*[_\-]?\s*")
_PLACEHOLDERS = ("nhan", "nhap", "soan", "message", "aa")
_STAMP_WORDS = ("hom nay", "hom qua", "today", "yesterday")


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return max(1, self.bottom - self.top)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def arrange(lines: Iterable[Line], size: tuple[int, int]) -> str:
    """The message text of a screenshot's OCR lines."""
    width, height = size
    kept = [
        line for line in sorted(lines, key=lambda ln: (ln.top, ln.left)) if not _chrome(line, width, height)
    ]
    bubbles: list[list[Line]] = []
    for line in kept:
        text = _BACK.sub("", line.text).strip() if line.top < STATUS_BAND * width * 3 else line.text.strip()
        if not text:
            continue
        line = Line(text, line.confidence, line.left, line.top, line.right, line.bottom)
        if bubbles and _same_bubble(bubbles[-1][-1], line):
            bubbles[-1].append(line)
        else:
            bubbles.append([line])
    return "\n".join(" ".join(ln.text for ln in bubble) for bubble in bubbles)


def _same_bubble(above: Line, below: Line) -> bool:
    gap = below.top - above.bottom
    aligned = (
        abs(below.left - above.left) < 2 * above.height or abs(below.right - above.right) < 2 * above.height
    )
    return gap < 0.8 * above.height and aligned


def _chrome(line: Line, width: int, height: int) -> bool:
    text = line.text.strip()
    folded = fold(text)
    letters = sum(c.isalpha() for c in text)
    if not text or (line.confidence < MIN_CONFIDENCE and letters < len(text) / 2):
        return True
    solid = [c for c in text if not c.isspace()]
    if sum(c.isalnum() for c in solid) < 0.4 * len(solid):
        return True  # rules, borders, a row of dashes
    if len(text) <= 3 and line.confidence < 70:
        return True  # a stray mark: an icon, a bubble's corner
    status = _CLOCK.search(text) or not letters
    if line.bottom < STATUS_BAND * width and status and len(_CLOCK.sub("", folded).strip()) <= 10:
        return True  # the status bar: clock, signal, battery (and perhaps the carrier)
    if _STAMP.fullmatch(folded) or (folded.startswith(_STAMP_WORDS) and len(folded) <= 20):
        return True  # a date or time between bubbles
    return (
        line.top > height - INPUT_BAND * width
        and len(folded) <= 25
        and any(p in folded for p in _PLACEHOLDERS)
    )
