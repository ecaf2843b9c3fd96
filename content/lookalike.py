"""Look-alike domains: hosts that borrow a bank's, a state service's or a brand's name.

Phishing links put the brand in a junk domain ("vietcombank-xacthuc.com",
"dichvucong.gov.vn-hoso.com"), misspell it ("vietcornbank.com.vn") or use homoglyphs
behind punycode. A host is a look-alike when it carries a brand but is neither the
genuine domain nor one of its subdomains.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache

from content.lexicon import brands, risky_tlds, shorteners, tlds

__all__ = [
    "LookalikeIndex",
    "brand_kind",
    "decode_host",
    "is_risky_tld",
    "is_shortener",
    "lookalike_of",
    "registrable_domain",
]

# Letters that render like Latin ones (Cyrillic, Greek) and visual digit/letter swaps.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y",
        "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ո": "n", "ԛ": "q", "ԝ": "w",
        "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "τ": "t",
        "ı": "i", "ɑ": "a", "0": "o", "1": "l", "3": "e", "5": "s", "$": "s",
    }
)  # fmt: skip
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("ii", "u"))


def skeleton(label: str) -> str:
    """A label with homoglyphs and visual swaps undone ("vietcornbank" → "vietcombank")."""
    out = label.lower().translate(_HOMOGLYPHS)
    for old, new in _MULTI:
        out = out.replace(old, new)
    return out


def decode_host(host: str) -> str:
    """Punycode labels (xn--) decoded to Unicode, so homoglyphs become visible."""
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError, ValueError):
                label = label[4:].encode("ascii").decode("punycode")
        labels.append(label)
    return ".".join(labels)


def registrable_domain(host: str) -> str:
    """The registrable domain (one label under the public suffix): a.b.com.vn → b.com.vn."""
    labels = host.lower().strip(".").split(".")
    suffixes = tlds()
    if len(labels) >= 3 and ".".join(labels[-2:]) in suffixes:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_shortener(host: str) -> bool:
    """A link service that hides the destination: listed hosts, and subdomains of `*.` entries."""
    host = host.lower()
    listed = shorteners()
    if host in listed:
        return True
    return any(entry.startswith("*.") and host.endswith(entry[1:]) for entry in listed)


def is_risky_tld(host: str) -> bool:
    return host.rsplit(".", 1)[-1] in risky_tlds()


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance, cut off above `limit` (cheap on short labels)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass(frozen=True)
class _Brand:
    genuine: tuple[str, ...]
    tokens: tuple[str, ...]
    kind: str


class LookalikeIndex:
    """Brand tokens precompiled into one regex; typo checks only on the registrable label."""

    def __init__(self) -> None:
        self._brands = [_Brand(d, t, k) for d, t, k in brands()]
        self._by_token: dict[str, _Brand] = {}
        for brand in self._brands:
            for token in brand.tokens:
                self._by_token.setdefault(token, brand)
        long_tokens = sorted((t for t in self._by_token if len(t) >= 5), key=len, reverse=True)
        self._long_re = re.compile("|".join(map(re.escape, long_tokens)))
        self._typo_tokens = [t for t in long_tokens if len(t) >= 6]

    def kind_of(self, genuine: str) -> str | None:
        """The kind (bank, gov, brand) of a genuine domain from the brands table."""
        return next((b.kind for b in self._brands if genuine in b.genuine), None)

    def _is_genuine(self, host: str) -> bool:
        if host.endswith(".gov.vn") or host == "gov.vn":
            return True
        return any(host == d or host.endswith("." + d) for b in self._brands for d in b.genuine)

    def lookalike_of(self, host: str) -> str | None:
        """The genuine domain `host` imitates, or None."""
        host = decode_host(host.lower().strip("."))
        if not host or self._is_genuine(host) or is_shortener(host):
            return None  # a link service's subdomain hides a link; it imitates no one
        skel = skeleton(host)
        parts = [p for p in re.split(r"[.\-]", skel) if p]
        found: list[str] = [m.group(0) for m in self._long_re.finditer(skel)]
        found += [p for p in parts if p in self._by_token and len(p) < 5]
        if not found:
            label = skeleton(registrable_domain(host).split(".")[0])
            for cand in [label, *label.split("-")]:
                for token in self._typo_tokens:
                    limit = 2 if len(token) >= 9 else 1
                    if cand[:1] != token[:1] or cand == token:
                        continue  # typosquats keep the first letter; "cooking" is no "booking"
                    if _distance(cand, token, limit) <= limit:
                        found.append(token)
        if not found and "gov" in parts and "vn" in parts:
            return "gov.vn"
        if not found:
            return None
        best = max(found, key=len)
        return self._by_token[best].genuine[0]


@lru_cache(maxsize=1)
def _index() -> LookalikeIndex:
    return LookalikeIndex()


def lookalike_of(host: str) -> str | None:
    """The genuine domain a host imitates (shared, lazily built index)."""
    return _index().lookalike_of(host)


def brand_kind(genuine: str) -> str | None:
    """bank, gov or brand for a genuine domain returned by `lookalike_of`."""
    if genuine == "gov.vn":
        return "gov"
    return _index().kind_of(genuine)
