"""Vietnamese text normalisation: one folded, teencode-expanded form for matching.

Residents type with or without diacritics, in teencode, with Telex/VNI leftovers when
their input method misfires, and with letters stretched for emphasis. The matcher
sees one canonical token stream (`tokens`, `normalize`); entity extraction and replies
use `clean`, which keeps the original letters for display.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

__all__ = ["clean", "fold", "is_syllable", "normalize", "repair_token", "tokens"]

# Combining marks Vietnamese needs; every other mark is decoration or obfuscation.
_VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")
_MARK_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_FOREIGN_MARK_RE = re.compile(
    "["
    + "".join(f"{chr(c)}" for c in range(0x300, 0x370) if chr(c) not in _VIETNAMESE_MARKS)
    + "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_MONEY_RE = re.compile(r"^(\d+)(k|tr|trieu|ty|cu|d|vnd|usd|usdt)(\d{0,3})$")
_MONEY_UNITS = {
    "k": "nghin",
    "tr": "trieu",
    "trieu": "trieu",
    "ty": "ty",
    "cu": "trieu",
    "d": "dong",
    "vnd": "dong",
    "usd": "do la",
    "usdt": "usdt",
}

# A folded Vietnamese syllable: onset, vowel nucleus, coda. Used to accept a repair of
# a Telex/VNI leftover only when the result is a real-looking syllable.
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_NUCLEUS = (
    r"(?:ieu|oai|oao|oay|oeo|uoi|uou|uya|uye|uyu|yeu|uay"
    r"|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|ua|ue|ui|uo|uu|uy|ya|ye|[aeiouy])"
)
_CODA = r"(?:ch|ng|nh|[cmnpt])?"
_SYLLABLE_RE = re.compile(_ONSET + _NUCLEUS + _CODA)
_TELEX_PAIRS = (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o"))
_TELEX_W = (("uw", "u"), ("ow", "o"), ("aw", "a"), ("w", "u"))

_PRONOUNS = frozenset(
    [
        "e",
        "em",
        "a",
        "anh",
        "c",
        "chi",
        "minh",
        "toi",
        "t",
        "tao",
        "ban",
        "b",
        "co",
        "chu",
        "bac",
        "ong",
        "ba",
        "bo",
        "me",
        "con",
        "chau",
        "no",
    ]
)
_HUSBAND_NEXT = frozenset(["oi", "cua", "voi", "minh"])  # "ck oi", "ck cua chi": husband
_TASK_CONTEXT = frozenset(
    ["lam", "nhan", "cac", "moi", "tung", "giao", "hoan", "thanh", "tha", "like", "follow", "chot"]
)
_TASK_NEXT = frozenset(["nhom", "tha", "like", "follow", "chot", "tiktok", "dau", "cuoi", "tiep", "don"])
_BANK_CONTEXT = frozenset(["tk", "stk", "khoan", "the", "vay", "qua", "cua", "mo", "so", "taikhoan"])
_POLICE_NEXT = frozenset(["phuong", "xa", "quan", "huyen", "tinh", "tp", "thanh", "tx", "khu"])


def clean(text: str) -> str:
    """Text safe to display and to extract entities from, original letters kept.

    NFKC folds "fancy" styled letters; zero-width and control characters and
    non-Vietnamese combining marks (used to dodge filters) are dropped.
    """
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = _CONTROL_RE.sub(" ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", _FOREIGN_MARK_RE.sub("", unicodedata.normalize("NFD", text)))
    return text


def fold(text: str) -> str:
    """Lower case without diacritics (đ→d); punctuation and digits stay in place."""
    low = clean(text).lower()
    if low.isascii():
        return low
    stripped = _MARK_RE.sub("", unicodedata.normalize("NFD", low))
    return stripped.replace("đ", "d").replace("ð", "d")


def is_syllable(token: str) -> bool:
    """A folded token shaped like one Vietnamese syllable (onset, vowel nucleus, coda)."""
    return _SYLLABLE_RE.fullmatch(token) is not None


@lru_cache(maxsize=65536)
def repair_token(token: str) -> str:
    """Undo stretched letters and Telex/VNI leftovers in one folded token.

    A repair is kept only when it yields a valid syllable, so English words,
    brand names and numbers pass through unchanged.
    """
    if len(token) < 2 or token in _teencode():
        return token
    squeezed = re.sub(r"([a-z])\1{2,}", r"\1", token)
    if is_syllable(squeezed):
        return squeezed
    if token[0].isalpha() and any(c.isdigit() for c in token):
        if re.fullmatch(r"[a-z]+(?:[1-9]{1,2}[a-z]*)+", token):
            vni = re.sub(r"[1-9]", "", token)
            if is_syllable(vni):
                return vni
        return token
    telex = squeezed
    if len(telex) > 2 and telex[-1] in "sfrxj":
        telex = telex[:-1]
    for old, new in _TELEX_PAIRS + _TELEX_W:
        telex = telex.replace(old, new)
    if telex != squeezed and is_syllable(telex):
        return telex
    return squeezed


@lru_cache(maxsize=1)
def _teencode() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    data = resources.files("content").joinpath("lexicon/teencode.tsv").read_text("utf-8")
    for line in data.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        abbr, _, expansion = line.partition("\t")
        table[abbr.strip()] = tuple(expansion.split())
    return table


def _expand(prev: str | None, token: str, nxt: str | None) -> tuple[str, ...]:
    """Teencode expansion, with context rules for the few ambiguous abbreviations."""
    if token == "k" and prev is not None and prev.isdigit():
        return ("nghin",)
    if token == "ck" and (nxt in _HUSBAND_NEXT or nxt in _PRONOUNS) and prev not in _PRONOUNS:
        return ("chong",)
    if token == "nv" and (prev in _TASK_CONTEXT or nxt in _TASK_NEXT):
        return ("nhiem", "vu")
    if token == "nh" and prev not in _BANK_CONTEXT:
        return (token,)
    if token == "ca" and nxt in _POLICE_NEXT:
        return ("cong", "an")
    return _teencode().get(token, (token,))


def _raw_tokens(folded: str) -> list[str]:
    out: list[str] = []
    for tok in _TOKEN_RE.findall(folded):
        money = _MONEY_RE.match(tok)
        if money:
            out.append(money.group(1))
            out.extend(_MONEY_UNITS[money.group(2)].split())
            continue
        out.append(repair_token(tok))
    return out


def tokens(text: str) -> list[str]:
    """The canonical token stream the matcher works on."""
    raw = _raw_tokens(fold(text))
    out: list[str] = []
    for i, tok in enumerate(raw):
        prev = raw[i - 1] if i else None
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        out.extend(_expand(prev, tok, nxt))
    return out


def normalize(text: str) -> str:
    """The canonical matching form: folded, repaired, teencode expanded, space-joined."""
    return " ".join(tokens(text))
