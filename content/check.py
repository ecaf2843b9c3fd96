"""Placeholder checker; replaced by the full engine."""

from __future__ import annotations

from content.library import Library
from content.result import CheckResult, RegistryLookup, Verdict, no_registry


class Checker:
    def __init__(self, library: Library) -> None:
        self.library = library

    def check(self, text: str, lookup: RegistryLookup = no_registry) -> CheckResult:
        return CheckResult(verdict=Verdict.NO_MATCH)
