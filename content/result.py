"""What a check returns: the engine's contract with the chat, the console and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

EntityKind = Literal["phone", "bank_account", "url"]


class Verdict(StrEnum):
    LIKELY_SCAM = "likely_scam"
    SUSPICIOUS = "suspicious"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Entity:
    """A phone number, bank account or link found in a text, normalised.

    phone: E.164; bank_account: digits only, `bank` the short code when named;
    url: the link as written (scheme added), `host` lower-cased, `lookalike_of` the
    genuine domain it imitates, `shortener` when it hides its destination.
    """

    kind: EntityKind
    value: str
    host: str | None = None
    bank: str | None = None
    lookalike_of: str | None = None
    shortener: bool = False
    punycode: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.value)


# The caller's registry: (kind, value) pairs in, confirmed report counts out.
RegistryLookup = Callable[[Iterable[tuple[str, str]]], Mapping[tuple[str, str], int]]


def no_registry(keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
    """A registry that knows nothing; for callers without a database."""
    return {}


@dataclass(frozen=True)
class ModusScore:
    id: str
    score: float


@dataclass(frozen=True)
class Reason:
    """Why the verdict is what it is, in words a resident can read (Vietnamese)."""

    code: str
    text: str


# No card is named to a resident below this score: a weak likeness would mislead
# ("Giống chiêu: Làm quen qua mạng" under a bank's one-time code).
NAME_MIN = 0.35


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    modus: list[ModusScore] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    reported: Mapping[tuple[str, str], int] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    looks_genuine: bool = False  # a genuine shape or a protective voice decided it

    @property
    def top_modus(self) -> str | None:
        return self.modus[0].id if self.modus else None

    @property
    def named_modus(self) -> str | None:
        """The modus a reply may name: none for `no_match`, none below `NAME_MIN`."""
        if self.verdict is Verdict.NO_MATCH or not self.modus or self.modus[0].score < NAME_MIN:
            return None
        return self.modus[0].id

    def reports_for(self, entity: Entity) -> int:
        return self.reported.get(entity.key, 0)

    def to_contract(self, id_: str | int | None) -> dict[str, object]:
        """The JSON object of the scam-check contract (shared eval README)."""
        entities: list[dict[str, object]] = []
        for e in self.entities:
            item: dict[str, object] = {"kind": e.kind, "value": e.value}
            if e.host is not None:
                item["host"] = e.host
            if e.bank is not None:
                item["bank"] = e.bank
            if e.lookalike_of is not None:
                item["lookalike_of"] = e.lookalike_of
            item["reported"] = self.reports_for(e)
            entities.append(item)
        return {
            "id": id_,
            "verdict": self.verdict.value,
            "modus": [{"id": m.id, "score": round(m.score, 4)} for m in self.modus],
            "entities": entities,
            "reasons": [r.text for r in self.reasons],
        }
