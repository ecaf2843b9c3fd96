"""What a handler gets: the unit of work, the engine, the user's state, the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from content.check import Checker
from content.library import Library
from content.result import RegistryLookup
from handlers.attachments import FetchAttachment
from handlers.reading import ReadPicture
from storage.crypto import Cipher
from storage.evidence import EvidenceStore

# State keys that outlive a reset (menu, /start): an unfinished report is kept until the
# user sends or cancels it, or it expires (see bot/maintenance.py).
KEPT_ON_RESET = ("report_draft",)


@dataclass
class State:
    """The user's dialog step and draft; saved by the router after the handler returns."""

    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def goto(self, step: str | None) -> None:
        self.step = step

    def reset(self) -> None:
        self.step = None
        self.data = {k: v for k, v in self.data.items() if k in KEPT_ON_RESET}


@dataclass(frozen=True)
class Features:
    """What this deployment offers; a command whose feature is off answers honestly."""

    report: bool = False
    alerts: bool = False
    status: bool = False
    # Officers' alerts: a second officer approves (CANHGIAC_ALERT_APPROVAL); channels they go out on.
    alert_approval: bool = False
    alert_channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportConfig:
    """Limits of the report dialog, from settings."""

    evidence_max_bytes: int = 10_000_000
    evidence_max_files: int = 10
    retention_days: int = 730
    draft_expire_days: int = 7
    # Public address of the web app; new-tip announcements link to the console's tip page.
    console_url: str | None = None


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
    cipher: Cipher | None = None
    evidence: EvidenceStore | None = None
    fetch_attachment: FetchAttachment | None = None
    read_picture: ReadPicture | None = None
    report: ReportConfig = field(default_factory=ReportConfig)
