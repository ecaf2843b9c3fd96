"""The shape of a library card; validation errors name the file, the field and the reason."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

CardKind = Literal["modus", "guide"]


class Source(BaseModel):
    """An official or press source a card's facts come from."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3)
    url: HttpUrl


class Phrases(BaseModel):
    """What the matcher looks for; written in folded form (no diacritics, lower case).

    `strong` phrases alone point at the modus; `weak` ones only add to a score that
    already has support; `negative` ones lower it (legitimate look-alikes).
    """

    model_config = ConfigDict(extra="forbid")

    strong: list[str] = Field(default_factory=list)
    weak: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)


class Card(BaseModel):
    """One card of the library: a modus (a scam trick) or a general guide."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    kind: CardKind = "modus"
    title: str = Field(min_length=3, max_length=120)
    summary: str = Field(min_length=10, max_length=400, description="two short lines")
    how_it_works: list[str] = Field(default_factory=list)
    warning_signs: list[str] = Field(default_factory=list)
    what_to_do: list[str] = Field(min_length=1)
    if_money_lost: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    law: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date
    reviewed_by: str | None = None
    phrases: Phrases = Field(default_factory=Phrases)

    @field_validator("summary")
    @classmethod
    def _at_most_two_lines(cls, value: str) -> str:
        if len([line for line in value.splitlines() if line.strip()]) > 2:
            raise ValueError("tóm tắt chỉ được nhiều nhất hai dòng")
        return value
