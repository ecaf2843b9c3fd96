"""Fixtures of the engine tests: a checker on the small test library and on the real one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from content import Checker
from content.library import load_library
from content.schema import Card

DATA = Path(__file__).parent / "data"


def load_test_cards() -> list[Card]:
    """The engine's own small library: 21 cards with phrases and no prose."""
    return [
        Card.model_validate(yaml.safe_load(f.read_text("utf-8")))
        for f in sorted((DATA / "library").glob("*.yaml"))
    ]


@pytest.fixture(scope="session")
def test_checker() -> Checker:
    return Checker(load_test_cards())


@pytest.fixture(scope="session")
def checker() -> Checker:
    return Checker(load_library())
