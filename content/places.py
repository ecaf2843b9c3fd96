"""Provinces and communes/wards (since 1 July 2025) matched from what residents type.

Input may lack diacritics, carry a prefix ("p.", "xã", "tp"), an old province name, or a
typo. Matching returns every plausible unit; when there is more than one, the caller asks
the resident to pick: an ambiguous mapping is never guessed.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

from content.normalize import fold as fold_letters

ALIASES_FILE = Path(__file__).parent / "lexicon" / "province_aliases.tsv"
# Prefixes as they look after fold() (dots become spaces).
_PROVINCE_PREFIXES = ("thanh pho ", "tp ", "tinh ", "t ")
_WARD_PREFIXES = ("phuong ", "p ", "xa ", "x ", "dac khu ", "thi tran ", "tt ")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")


def fold(text: str) -> str:
    """The engine's folding, with punctuation turned into spaces ("P.Hoàn Kiếm" → "p hoan kiem")."""
    return " ".join(_NON_WORD.sub(" ", fold_letters(text)).split())


@dataclass(frozen=True)
class Place:
    """A province (ward_code None) or a commune/ward of one."""

    province_code: int
    province_name: str
    ward_code: int | None = None
    ward_name: str | None = None
    division_type: str = ""

    @property
    def name(self) -> str:
        return self.ward_name or self.province_name

    @property
    def full_name(self) -> str:
        if self.ward_name:
            return f"{self.ward_name}, {self.province_name}"
        return self.province_name


@dataclass(frozen=True)
class _Index:
    provinces: dict[int, Place]
    province_keys: dict[str, set[int]]
    wards: dict[int, Place]
    ward_keys: dict[int, dict[str, set[int]]]  # province → folded key → ward codes


def _strip(text: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


@lru_cache(maxsize=1)
def _index() -> _Index:
    data = json.loads(Path(NESTED_DIVISIONS_JSON_PATH).read_text(encoding="utf-8"))
    provinces: dict[int, Place] = {}
    province_keys: dict[str, set[int]] = {}
    wards: dict[int, Place] = {}
    ward_keys: dict[int, dict[str, set[int]]] = {}
    for p in data:
        code, name = int(p["code"]), str(p["name"])
        provinces[code] = Place(province_code=code, province_name=name, division_type=p["division_type"])
        folded = fold(name)
        for key in {folded, _strip(folded, _PROVINCE_PREFIXES)}:
            province_keys.setdefault(key, set()).add(code)
        keys: dict[str, set[int]] = {}
        for w in p["wards"]:
            wcode = int(w["code"])
            wards[wcode] = Place(
                province_code=code,
                province_name=name,
                ward_code=wcode,
                ward_name=str(w["name"]),
                division_type=str(w["division_type"]),
            )
            wfold = fold(str(w["name"]))
            for key in {wfold, _strip(wfold, _WARD_PREFIXES)}:
                keys.setdefault(key, set()).add(wcode)
        ward_keys[code] = keys
    for line in ALIASES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        alias, code_text, *_ = line.split("\t")
        province_keys.setdefault(fold(alias), set()).add(int(code_text))
    return _Index(provinces, province_keys, wards, ward_keys)


def provinces() -> list[Place]:
    """By name as people say it: "Thành phố Hà Nội" sorts under H, not T."""
    return sorted(
        _index().provinces.values(), key=lambda p: _strip(fold(p.province_name), _PROVINCE_PREFIXES)
    )


def province(code: int) -> Place | None:
    return _index().provinces.get(code)


def ward(code: int) -> Place | None:
    return _index().wards.get(code)


def wards_of(province_code: int) -> list[Place]:
    return [w for w in _index().wards.values() if w.province_code == province_code]


def match_province(text: str, *, limit: int = 5) -> list[Place]:
    """Every province the text may mean: exact (name or alias) first, else close spellings."""
    idx = _index()
    key = _strip(fold(text), _PROVINCE_PREFIXES)
    if not key:
        return []
    codes = idx.province_keys.get(key)
    if codes:
        return [idx.provinces[c] for c in sorted(codes)]
    close = difflib.get_close_matches(key, list(idx.province_keys), n=limit * 2, cutoff=0.82)
    found: list[int] = []
    for candidate in close:
        for c in sorted(idx.province_keys[candidate]):
            if c not in found:
                found.append(c)
    return [idx.provinces[c] for c in found[:limit]]


def match_ward(province_code: int, text: str, *, limit: int = 6) -> list[Place]:
    """Communes/wards of a province the text may mean; a prefix (xã, phường) narrows the choice."""
    idx = _index()
    keys = idx.ward_keys.get(province_code, {})
    folded = fold(text)
    if not folded:
        return []
    exact = keys.get(folded)
    if exact:
        return [idx.wards[c] for c in sorted(exact)]
    bare = _strip(folded, _WARD_PREFIXES)
    if bare.isdigit():
        bare = f"{int(bare)}"
    codes = keys.get(bare)
    if codes:
        return [idx.wards[c] for c in sorted(codes)]
    close = difflib.get_close_matches(bare, list(keys), n=limit * 2, cutoff=0.8)
    found: list[int] = []
    for candidate in close:
        for c in sorted(keys[candidate]):
            if c not in found:
                found.append(c)
    return [idx.wards[c] for c in found[:limit]]


# Old district prefixes: districts were abolished on 1 July 2025, but "Quận Hoàn Kiếm" still
# names today's Phường Hoàn Kiếm more often than not.
_DISTRICT_PREFIXES = ("quan ", "q ", "huyen ", "h ", "thi xa ", "tx ")
_ADDRESS_PARTS = re.compile(r"[,;/\n]|\s[-–]\s")


@dataclass(frozen=True)
class Address:
    """What a one-line address named: a province, and the communes/wards of it the text may mean."""

    province: Place
    wards: list[Place]


def match_address(text: str) -> Address | None:
    """A commune/ward and its province typed together ("Phường Hoàn Kiếm, Hà Nội", "ha noi phuong
    hoan kiem", "Hoàn Kiếm, Hà Nội"), in either order, with or without commas and diacritics, with
    an old province or district name. None unless exactly one province is named beside something
    else; only exact names count here, so a guess is never made from a long line.
    """
    idx = _index()
    parts = [p for p in (fold(part) for part in _ADDRESS_PARTS.split(text)) if p]
    splits: list[tuple[str, list[str]]] = []
    if len(parts) >= 2:
        splits = [(part, parts[:i] + parts[i + 1 :]) for i, part in enumerate(parts)]
    elif parts:
        words = parts[0].split()
        for cut in range(1, len(words)):
            head, tail = " ".join(words[:cut]), " ".join(words[cut:])
            splits += [(tail, [head]), (head, [tail])]
    named: dict[int, list[Place]] = {}
    for province_text, rest in splits:
        for code in sorted(idx.province_keys.get(_strip(province_text, _PROVINCE_PREFIXES), ())):
            wards = named.setdefault(code, [])
            for part in rest:
                for ward_code in _exact_wards(code, part):
                    if idx.wards[ward_code] not in wards:
                        wards.append(idx.wards[ward_code])
    with_wards = [code for code, wards in named.items() if wards]
    if len(with_wards) == 1:
        return Address(idx.provinces[with_wards[0]], named[with_wards[0]])
    if len(named) == 1 and not with_wards:
        code = next(iter(named))
        return Address(idx.provinces[code], [])
    return None


def _exact_wards(province_code: int, folded: str) -> set[int]:
    keys = _index().ward_keys.get(province_code, {})
    for key in (folded, _strip(folded, _WARD_PREFIXES), _strip(folded, _DISTRICT_PREFIXES)):
        if key.isdigit():
            key = f"{int(key)}"
        if codes := keys.get(key):
            return codes
    return set()
