"""Data tables of the engine (TSV and text files), loaded once and cached.

Kept as data so officers and engineers can extend them without touching code.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["bank_aliases", "brands", "lines", "risky_tlds", "shorteners", "tlds"]


def _read(name: str) -> str:
    return resources.files("content.lexicon").joinpath(name).read_text("utf-8")


def lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a lexicon file."""
    return [ln.strip() for ln in _read(name).splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def tlds() -> frozenset[str]:
    return frozenset(ln for ln in lines("tlds.txt"))


@lru_cache(maxsize=1)
def risky_tlds() -> frozenset[str]:
    return frozenset(lines("risky_tlds.txt"))


@lru_cache(maxsize=1)
def shorteners() -> frozenset[str]:
    return frozenset(lines("shorteners.txt"))


@lru_cache(maxsize=1)
def bank_aliases() -> dict[str, str]:
    """Folded alias → bank short code."""
    table: dict[str, str] = {}
    for ln in lines("banks.tsv"):
        code, _, aliases = ln.partition("\t")
        for alias in aliases.split("|"):
            table.setdefault(alias.strip(), code.strip())
    return table


@lru_cache(maxsize=1)
def brands() -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
    """(genuine domains, brand tokens, kind) rows."""
    rows = []
    for ln in lines("brands.tsv"):
        domains, tokens, kind = ln.split("\t")
        rows.append((tuple(domains.split("|")), tuple(tokens.split("|")), kind))
    return rows
