"""Messages to replies: user touched, state loaded, routed, state saved, in one transaction."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from content import replies
from content.check import Checker
from content.library import Library
from content.messages import Button, Reply
from content.result import RegistryLookup
from handlers import check
from handlers.attachments import FetchAttachment
from handlers.context import Features, HandlerContext, ReportConfig, State
from handlers.messages import IncomingMessage
from handlers.reading import ReadPicture
from handlers.router import route
from storage import dialogs, inbox_lanes, users
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
    # Reads a screenshot's text and QR codes (see handlers/reading.py); None: pictures are not read.
    read_picture: ReadPicture | None = None
    # Told the verdict of every check answered (the process's metrics).
    on_verdict: Callable[[str], None] | None = None

    def handle(self, msg: IncomingMessage, *, numbered_options: bool = False) -> list[Reply]:
        """Route `msg`; on a handler error nothing is saved and the error propagates."""
        return self.handle_many([Turn(msg, numbered_options)])[0]

    def handle_many(self, turns: Sequence[Turn]) -> list[list[Reply]]:
        """Route several messages in one transaction, in order; the replies of each.

        Under load most of a message's database cost is the transaction around it, so the
        dispatcher hands over whatever queued up meanwhile (one message per user at a time).
        Any error rolls back every turn and propagates: the caller retries them one by one,
        so a failing handler fails alone and nothing half-done is kept.
        """
        with transaction(self.engine) as session:
            states = dialogs.load_states(session, [(t.msg.channel, t.msg.user_key) for t in turns])
            lookup = self.lookup.bound(session) if isinstance(self.lookup, RegistryReader) else self.lookup
            if len(turns) > 1:
                lookup = self._prefetched(lookup, turns, states)
            results: list[list[Reply]] = []
            for turn in turns:
                msg = turn.msg
                key = (msg.channel, msg.user_key)
                stored = states.get(key, dialogs.EMPTY)
                # A deep copy: a handler edits nested dicts (a draft) in place.
                state = State(step=stored.step, data=copy.deepcopy(stored.data))
                last_check = state.data.get("last_check")
                ctx = HandlerContext(
                    session=session,
                    library=self.library,
                    checker=self.checker,
                    lookup=lookup,
                    channel=msg.channel,
                    user_key=msg.user_key,
                    state=state,
                    now=dt.datetime.now(dt.UTC),
                    features=self.features,
                    numbered_options=turn.numbered_options,
                    cipher=self.cipher,
                    evidence=self.evidence,
                    fetch_attachment=self.fetchers.get(msg.channel),
                    read_picture=self.read_picture,
                    report=self.report,
                )
                results.append(route(msg, ctx))
                checked = state.data.get("last_check")
                if self.on_verdict is not None and isinstance(checked, dict) and checked is not last_check:
                    self.on_verdict(str(checked.get("verdict")))
                # Saved even when unchanged: updated_at tells draft reminders the user is active.
                states[key] = dialogs.StoredState(state.step, state.data)
            # Writes come last: on SQLite the first write takes the database's write lock, which
            # must not be held while a handler downloads a resident's file.
            users.record_inbound_many(
                session,
                [
                    users.Inbound(t.msg.channel, t.msg.user_key, t.msg.display_name, t.msg.received_at)
                    for t in turns
                ],
            )
            dialogs.save_states(
                session,
                {(t.msg.channel, t.msg.user_key): states[(t.msg.channel, t.msg.user_key)] for t in turns},
            )
            inbox_lanes.store_replies(
                session,
                [
                    inbox_lanes.Answer(update_id, turn.msg.user_key, replies if index == 0 else [])
                    for turn, replies in zip(turns, results, strict=True)
                    for index, update_id in enumerate(turn.update_ids)
                ],
            )
        return results

    def _prefetched(
        self,
        lookup: RegistryLookup,
        turns: Sequence[Turn],
        states: dict[dialogs.StateKey, dialogs.StoredState],
    ) -> RegistryLookup:
        """One registry query for every text of the batch that is about to be checked."""
        keys: list[tuple[str, str]] = []
        for turn in turns:
            stored = states.get((turn.msg.channel, turn.msg.user_key), dialogs.EMPTY)
            text = check.text_to_check(turn.msg, stored.step)
            if text is not None:
                keys.extend(self.checker.entity_keys(text))
        if not keys:
            return lookup
        asked, known = set(keys), dict(lookup(keys))

        def serve(wanted: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
            wanted = list(wanted)
            found = {key: known[key] for key in wanted if key in known}
            missing = [key for key in wanted if key not in asked]
            return {**found, **lookup(missing)} if missing else found

        return serve


@dataclass(frozen=True)
class Turn:
    """One message to route; `numbered_options` for channels without buttons.

    `update_ids`: the inbox updates the message answers (a burst has several; the first
    carries the replies): the replies are stored with them in the same transaction as the
    state, so after a crash they are sent rather than decided again on the new state.
    """

    msg: IncomingMessage
    numbered_options: bool = False
    update_ids: tuple[int, ...] = ()


def apology() -> list[Reply]:
    """What a user sees when handling their message failed (the error is logged by the caller)."""
    return [Reply(replies.render("error"), buttons=[[Button(replies.label("menu"), "menu")]])]
