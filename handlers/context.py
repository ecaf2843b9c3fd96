"""What a handler gets: the unit of work, the engine, the user's state, the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from content.check import Checker
from content.library import Library
from content.result import RegistryLookup


@dataclass
class State:
    """The user's dialog step and draft; saved by the router after the handler returns."""

    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def goto(self, step: str | None) -> None:
        self.step = step

    def reset(self) -> None:
        self.step = None
        self.data = {}


@dataclass(frozen=True)
class Features:
    """What this deployment offers; a command whose feature is off answers honestly."""

    report: bool = False
    alerts: bool = False
    status: bool = False
    # Officers' alerts: a second officer approves (CANHGIAC_ALERT_APPROVAL); channels they go out on.
    alert_approval: bool = False
    alert_channels: tuple[str, ...] = ()


@dataclass
class HandlerContext:
    session: Session
    library: Library
    checker: Checker
    lookup: RegistryLookup
    channel: str
    user_key: str
    state: State
    now: dt.datetime
    features: Features = field(default_factory=Features)
    numbered_options: bool = False
    options: dict[str, Any] = field(default_factory=dict)
