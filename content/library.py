"""Placeholder loader; replaced by the full validating loader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from content.schema import Card

LIBRARY_DIR = Path(__file__).parent / "library"


@dataclass(frozen=True)
class Library:
    cards: Mapping[str, Card]

    def get(self, card_id: str) -> Card | None:
        return self.cards.get(card_id)

    def modus_cards(self) -> list[Card]:
        return sorted((c for c in self.cards.values() if c.kind == "modus"), key=lambda c: c.id)

    def guides(self) -> list[Card]:
        return sorted((c for c in self.cards.values() if c.kind == "guide"), key=lambda c: c.id)

    def __len__(self) -> int:
        return len(self.cards)


def load_library(path: Path | None = None) -> Library:
    folder = path or LIBRARY_DIR
    cards = {}
    for file in sorted(folder.glob("*.yaml")):
        card = Card.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")))
        cards[card.id] = card
    return Library(cards=cards)
