"""Messages a resident sends in one go, handled as one.

Forwarding a scammer's conversation sends one message per forwarded message, an album
arrives as one message per photo, and screenshots of one conversation picked together in the
gallery arrive one by one (Zalo has no albums). Answered one by one, the resident gets a card (or an
acknowledgement) per part, and no single part shows the whole trick. The dispatcher waits
a moment after the first such message and joins the ones of the same kind queued behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from handlers.messages import IncomingMessage

MAX_PARTS = 20  # messages joined into one at most
MAX_CHARS = 20_000  # and characters (what one check reads)


@dataclass(frozen=True)
class Waiting:
    """A recorded update not yet started, as the dispatcher keeps them per user."""

    update_id: int
    loaded: tuple[str, dict[str, Any]]  # (channel, payload)
    arrived: float  # time.monotonic() when recorded


def kind_of(msg: IncomingMessage) -> str | None:
    """What a burst joins: the files of one album, photos sent one after the other, or forwarded
    texts; None for anything else."""
    if msg.payload is not None:
        return None
    album = msg.extras.get("media_group_id")
    if album and msg.attachments:
        return f"album:{album}"
    if msg.attachments and all(att.kind == "photo" for att in msg.attachments):
        return "photos"
    if msg.forwarded and msg.text.strip() and not msg.attachments:
        return "forwarded"
    return None


def fits(parts: Sequence[IncomingMessage], following: IncomingMessage) -> bool:
    """Whether one more part keeps the joined message within bounds."""
    return len(parts) < MAX_PARTS and sum(len(p.text) for p in parts) + len(following.text) <= MAX_CHARS


def join(parts: Sequence[IncomingMessage], kind: str) -> IncomingMessage:
    """One message of the parts: their texts one after the other, an album's files together."""
    first = parts[0]
    text = "\n\n".join(part.text.strip() for part in parts if part.text.strip())
    if kind == "forwarded":
        return replace(first, text=text, bundled=len(parts))
    return replace(first, text=text, attachments=tuple(att for part in parts for att in part.attachments))
