"""Undo the tricks lures use to pass spam filters, and say which were used.

Real lures are written `Th0ng ba0`, `t.ai kh.oan`, `s_u k!en`, with Cyrillic `а`
for Latin `a`, full-width or invisible characters, emoji between letters, or letters
spaced out. A bank or a state body never writes that way, so the tricks found are
evidence in themselves; the text they hid goes on to the matcher and the extractor.

Links, e-mail addresses, phone numbers, amounts (`100tr`, `3.500.000d`) and codes
are left exactly as written: only a word that becomes a real word when undone is
changed (a Vietnamese syllable, or a word of the engine's vocabulary).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from content.lexicon import tlds
from content.normalize import fold, is_syllable

__all__ = ["TRICKS", "Undisguised", "Undisguiser"]

TRICKS = ("invisible", "fullwidth", "homoglyph", "leet", "split", "emoji", "spaced")

# Letters of other alphabets drawn like Latin ones; Vietnamese is written in Latin only.
_HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
    "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "τ": "t", "ρ": "p", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z", "ı": "i", "ɑ": "a",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
_HOMOGLYPH_RE = re.compile("[" + "".join(_HOMOGLYPHS) + "]")
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061-\u2064]")
_WIDE_RE = re.compile("[\uff01-\uff5e\U0001d400-\U0001d7ff]")
_SYMBOL_RE = re.compile("[\u2190-\u2bff\ufe0f\u20e3\U0001f000-\U0001faff]")
_VOWELS = "aeiouy"
# Characters standing for letters. Digits 1-9 after a vowel are left to the VNI repair
# of the normaliser ("ca1m" is "cám"); after a consonant they are letters ("T4i").
_LEET: dict[str, tuple[str, ...]] = {
    "0": ("o",),
    "@": ("a",),
    "4": ("a",),
    "3": ("e",),
    "1": ("i", "l"),
    "!": ("i", "l"),
    "|": ("l", "i"),
    "$": ("s",),
    "5": ("s",),
    "7": ("t",),
    "€": ("e",),
    "*": tuple(_VOWELS),
}
_VNI_DIGITS = frozenset("123456789")
_MAX_LEET = 4  # leet characters undone in one word; more is a code, not a word
_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://|www\.)|^[^\s@]+@[^\s@]+\.[a-z]{2,}$", re.IGNORECASE)
_HOSTISH = re.compile(r"^(?:[\w\-]+\.)+([a-z]{2,24})(?:[:/?#].*)?$", re.IGNORECASE)
_MONEY = re.compile(r"^\d+(?:[.,]\d+)*(?:k|tr|trieu|ty|cu|d|đ|vnd|usd|usdt|m|b|%)?\d{0,3}$", re.IGNORECASE)
_EDGE = "\"'()[]{}<>«»“”‘’,;:?!….-–—/"
_SPLITTERS = "._-"
# A word worth a closer look: a stand-in next to a letter, or a letter cut by a splitter.
_CANDIDATE = re.compile(r"[^\W\d_][0-9@!$*|€]|[0-9@!$*|€][^\W\d_]|[^\W\d_][._\-][^\W\d_]")


@dataclass(frozen=True)
class Undisguised:
    """The text with the tricks undone, and the tricks found (names from `TRICKS`)."""

    text: str
    tricks: tuple[str, ...]
    words_changed: int

    @property
    def disguised(self) -> bool:
        """Written against filters: one hidden-letter trick, or two words rewritten."""
        strong = {"invisible", "fullwidth", "homoglyph", "emoji", "spaced"}
        return bool(strong & set(self.tricks)) or self.words_changed >= 2


def _is_symbol(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("So", "Sk", "Cs") or 0x1F000 <= ord(ch) <= 0x1FAFF or ch in "\ufe0f\u20e3"


class Undisguiser:
    """Undoes disguises with the help of a word list (folded word → how common)."""

    def __init__(self, words: Mapping[str, int], pairs: Mapping[tuple[str, str], int] | None = None) -> None:
        self._words = words
        self._pairs = pairs or {}

    # -- words -----------------------------------------------------------------

    def _known(self, folded: str) -> int:
        """How plausible a folded word is: its count, 1 for a bare syllable, 0 for none."""
        if not folded:
            return 0
        count = self._words.get(folded, 0)
        if count:
            return count + 1
        return 1 if is_syllable(folded) else 0

    def _best(self, options: list[str], prev: str | None, nxt: str | None) -> str | None:
        scored = []
        for opt in options:
            base = self._known(fold(opt))
            if not base:
                continue
            ctx = self._pairs.get((prev or "", fold(opt)), 0) + self._pairs.get((fold(opt), nxt or ""), 0)
            scored.append((ctx * 100 + base, opt))
        if not scored:
            return None
        return max(scored)[1]

    def _unleet(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        """A word with letter stand-ins undone, or None when it is no disguised word."""
        if not any(ch.isalpha() for ch in word) or _MONEY.match(word):
            return None
        slots: list[tuple[str, ...]] = []
        leet = 0
        for i, ch in enumerate(word):
            low = ch.lower()
            if low in _LEET:
                before = word[i - 1].lower() if i else ""
                after = word[i + 1] if i + 1 < len(word) else ""
                if not (before.isalpha() or after.isalpha()):
                    return None  # "x200", "4G": digits of a code
                if low in _VNI_DIGITS and fold(before) in _VOWELS:
                    return None  # VNI tone after a vowel: the normaliser repairs it
                if low.isdigit() and i and word[i - 1].isdigit():
                    return None
                slots.append(_LEET[low])
                leet += 1
            else:
                slots.append((ch,))
        if not leet or leet > _MAX_LEET:
            return None
        if sum(ch.isdigit() for ch in word) > sum(ch.isalpha() for ch in word):
            return None
        options = ["".join(combo) for combo in itertools.islice(itertools.product(*slots), 512)]
        return self._best(options, prev, nxt)

    def _unsplit(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        """`t.ai`, `ch_ua`, `A.C.B`: a word cut by dots, dashes or underscores."""
        parts = re.split(r"[._\-]", word)
        if len(parts) < 2 or not all(p and p.isalpha() for p in parts):
            return None
        if all(len(p) == 1 for p in parts) and len(parts) >= 3 and word.replace(".", "").isupper():
            return word.replace(".", "")  # "A.C.B" → "ACB"
        if "." in word and not ("_" in word or len(parts[0]) <= 3):
            return None
        joined = "".join(parts)
        if len(joined) > 7:
            return None
        return joined if self._known(fold(joined)) else None

    # -- the text ---------------------------------------------------------------

    def undisguise(self, text: str) -> Undisguised:
        tricks: set[str] = set()
        if _INVISIBLE_RE.search(text):
            tricks.add("invisible")
            text = _INVISIBLE_RE.sub("", text)
        if _WIDE_RE.search(text):
            tricks.add("fullwidth")
            text = _WIDE_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
        if _HOMOGLYPH_RE.search(text):
            tricks.add("homoglyph")
            text = text.translate(_HOMOGLYPH_TABLE)
        text, emoji = _drop_inner_symbols(text)
        if emoji:
            tricks.add("emoji")
        text, spaced = self._join_spaced(text)
        if spaced:
            tricks.add("spaced")
        pieces = re.split(r"(\s+)", text)
        words = [p for p in pieces if p and not p.isspace()]
        changed = 0
        out: list[str] = []
        index = 0
        multi_dotted = sum(1 for w in words if _dotted_word(w.strip(_EDGE)))
        for piece in pieces:
            if not piece or piece.isspace():
                out.append(piece)
                continue
            index += 1
            if not _CANDIDATE.search(piece):
                out.append(piece)
                continue
            prev = fold(words[index - 2].strip(_EDGE)) if index > 1 else None
            nxt = fold(words[index].strip(_EDGE)) if index < len(words) else None
            new, trick = self._word(piece, prev, nxt, multi_dotted)
            if trick:
                tricks.add(trick)
                changed += 1
            out.append(new)
        return Undisguised("".join(out), tuple(t for t in TRICKS if t in tricks), changed)

    def _word(self, piece: str, prev: str | None, nxt: str | None, dotted: int) -> tuple[str, str | None]:
        keep = _EDGE.replace("!", "").replace("@", "").replace("*", "")
        lead = len(piece) - len(piece.lstrip(keep))
        head, core = piece[:lead], piece[lead:]
        stripped = core.rstrip(keep)
        tail = core[len(stripped) :]
        bare = stripped.rstrip("!")
        if bare != stripped and (is_syllable(fold(bare)) or not bare[-1:].isalpha()):
            stripped, tail = bare, stripped[len(bare) :] + tail  # "ngay!": punctuation
        if not stripped or _URLISH.match(stripped) or _is_link(stripped, dotted):
            return piece, None
        if any(s in stripped for s in _SPLITTERS):
            joined = self._unsplit(stripped, prev, nxt)
            if joined is not None:
                unleet = self._unleet(joined, prev, nxt)
                return head + (unleet or joined) + tail, "split"
            if "." in stripped:
                return piece, None
        if any(ch.lower() in _LEET for ch in stripped):
            unleet = self._unleet(stripped, prev, nxt)
            if unleet is not None and unleet != stripped:
                return head + unleet + tail, "leet"
        return piece, None

    def _join_spaced(self, text: str) -> tuple[str, bool]:
        """`T H O N G  B A O`: runs of four or more single letters, segmented into words."""
        found = False

        def repl(m: re.Match[str]) -> str:
            nonlocal found
            letters = m.group(0).replace(" ", "")
            words = self._segment(fold(letters).lower())
            if words is None:
                return m.group(0)
            found = True
            return " ".join(words)

        out = re.sub(r"(?<!\S)(?:[^\W\d_] ){3,}[^\W\d_](?!\S)", repl, text)
        return out, found

    def _segment(self, letters: str) -> list[str] | None:
        """The likeliest split of a letter run into known words (dynamic programming)."""
        n = len(letters)
        best: list[tuple[float, list[str]] | None] = [None] * (n + 1)
        best[0] = (0.0, [])
        for end in range(1, n + 1):
            for start in range(max(0, end - 7), end):
                if best[start] is None:
                    continue
                word = letters[start:end]
                weight = self._known(word)
                if not weight or (len(word) == 1 and word not in ("a", "o", "y", "e")):
                    continue
                prev_score, prev_words = best[start]  # type: ignore[misc]
                score = prev_score - 1.0 + min(weight, 1000) / 1000
                if best[end] is None or score > best[end][0]:  # type: ignore[index]
                    best[end] = (score, [*prev_words, word])
        found = best[n]
        return found[1] if found else None


def _dotted_word(word: str) -> bool:
    parts = word.split(".")
    return len(parts) == 2 and all(p.isalpha() and len(p) <= 4 for p in parts) and len(parts[0]) <= 3


def _is_link(word: str, dotted_words: int) -> bool:
    """A host or link to keep as written; short dotted words count as links only when alone."""
    if "/" in word and "." in word.split("/")[0]:
        return True
    m = _HOSTISH.match(word)
    if not m or m.group(1).lower() not in tlds():
        return False
    # "t.ai kh.oan": several short dotted words are cut words, not hosts.
    return not (dotted_words >= 2 and _dotted_word(word))


def _drop_inner_symbols(text: str) -> tuple[str, bool]:
    """Emoji and symbols between two letters of one word."""
    if text.isascii() or not _SYMBOL_RE.search(text):
        return text, False
    out: list[str] = []
    found = False
    for i, ch in enumerate(text):
        if _is_symbol(ch):
            j = i + 1
            while j < len(text) and _is_symbol(text[j]):
                j += 1
            before = out[-1] if out else ""
            after = text[j] if j < len(text) else ""
            if before.isalpha() and after.isalpha():
                found = True
                continue
        out.append(ch)
    return "".join(out), found
