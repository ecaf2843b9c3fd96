"""Phone numbers a resident gives as their own inside their story.

"Số của tôi là 0987…", "sđt mình: 0987…", "gọi lại cho em theo số 0987…": such a number
is the reporter's, not the scammer's, and must not be filed among the scammer's
identifiers (which officers may confirm into the public registry). Only a number right
after such words counts: "nó gọi cho tôi từ số 0912…" names the scammer's.
"""

from __future__ import annotations

import re

from content.extract import extract
from content.normalize import fold

_ME = r"(?:toi|minh|em|con|chau|to|tui|anh|chi|co|chu|bac|ong|ba)"
_NUMBER = r"(?:so|sdt|so dien thoai|so dt|dien thoai|dt|zalo)"
_OWN_BEFORE = re.compile(
    rf"(?:\b{_NUMBER}\s*(?:cua\s*)?{_ME}\b"  # số (điện thoại) (của) tôi
    rf"|\b(?:lien he|lien lac|goi lai|nhan tin)\s*(?:lai\s*)?(?:cho|voi)?\s*{_ME}"
    rf"\s*(?:qua|theo|o|bang)?\s*{_NUMBER}?"
    rf"|\b{_ME}\s*(?:dung|co|xai)\s*{_NUMBER})"
    r"\s*(?:la|:|-|=)?\s*$"
)
_LOOKBACK = 60


def own_phones(text: str) -> set[str]:
    """The numbers (E.164) the writer introduces as their own."""
    found: set[str] = set()
    folded = fold(text)  # digits and their places stay as written
    for entity in extract(text):
        if entity.kind != "phone":
            continue
        for start in _starts(folded, entity.value):
            before = folded[max(0, start - _LOOKBACK) : start]
            if _OWN_BEFORE.search(before):
                found.add(entity.value)
    return found


_DIGITS = re.compile(r"\+?\(?\d[\d .\-()]{7,16}\d")


def _starts(text: str, e164: str) -> list[int]:
    """Where the written forms of `e164` begin in `text`."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    starts = []
    for match in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if digits in (national.lstrip("+"), e164.lstrip("+")):
            starts.append(match.start())
    return starts
