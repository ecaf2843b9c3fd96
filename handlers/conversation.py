"""One message, one transaction: user touched, state loaded, routed, state saved."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from content import replies
from content.check import Checker
from content.library import Library
from content.messages import Button, Reply
from content.result import RegistryLookup
from handlers.attachments import FetchAttachment
from handlers.context import Features, HandlerContext, ReportConfig, State
from handlers.messages import IncomingMessage
from handlers.router import route
from storage import dialogs, users
from storage.crypto import Cipher
from storage.db import transaction
from storage.evidence import EvidenceStore
from storage.registry import RegistryReader

log = logging.getLogger(__name__)


@dataclass
class Conversations:
    """Everything a conversation needs, built once by the composition root."""

    engine: Engine
    library: Library
    checker: Checker
    lookup: RegistryLookup
    features: Features = field(default_factory=Features)
    cipher: Cipher | None = None
    evidence: EvidenceStore | None = None
    report: ReportConfig = field(default_factory=ReportConfig)
    # Per channel name: how to download a user's file (see handlers/attachments.py).
    fetchers: dict[str, FetchAttachment] = field(default_factory=dict)

    def handle(self, msg: IncomingMessage, *, numbered_options: bool = False) -> list[Reply]:
        """Route `msg`; on a handler error nothing is saved and the error propagates."""
        with transaction(self.engine) as session:
            users.record_inbound(
                session,
                channel=msg.channel,
                user_key=msg.user_key,
                display_name=msg.display_name,
                inbound_at=msg.received_at,
            )
            row = dialogs.load_state(session, channel=msg.channel, user_key=msg.user_key)
            # A deep copy: nested dicts (a draft) edited in place must not alter the loaded
            # row's value, or the ORM would see no change and skip the update.
            state = State(step=row.step, data=copy.deepcopy(row.data or {}))
            ctx = HandlerContext(
                session=session,
                library=self.library,
                checker=self.checker,
                lookup=self.lookup.bound(session) if isinstance(self.lookup, RegistryReader) else self.lookup,
                channel=msg.channel,
                user_key=msg.user_key,
                state=state,
                now=dt.datetime.now(dt.UTC),
                features=self.features,
                numbered_options=numbered_options,
                cipher=self.cipher,
                evidence=self.evidence,
                fetch_attachment=self.fetchers.get(msg.channel),
                report=self.report,
            )
            result = route(msg, ctx)
            dialogs.save_state(
                session,
                channel=msg.channel,
                user_key=msg.user_key,
                step=state.step,
                data=state.data,
                row=row,
            )
        return result


def apology() -> list[Reply]:
    """What a user sees when handling their message failed (the error is logged by the caller)."""
    return [Reply(replies.render("error"), buttons=[[Button(replies.label("menu"), "menu")]])]
