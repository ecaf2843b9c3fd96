"""The neutral incoming message every channel adapter produces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from content.messages import Button, Media, Reply

__all__ = ["Attachment", "Button", "IncomingMessage", "Location", "Media", "Reply"]


@dataclass(frozen=True)
class Attachment:
    """A photo, document, sticker… as the platform describes it; `ref` is the platform's file id."""

    kind: str  # photo, document, sticker, audio, video, link
    ref: str = ""
    name: str | None = None
    mime: str | None = None
    size: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a user did: typed or forwarded text, a button press, a file, a contact…

    `payload` is set for a button press (the button's payload); `text` carries typed
    text or a caption; `extras` is opaque platform data that only the adapter reads.
    """

    channel: str
    user_key: str
    text: str = ""
    payload: str | None = None
    forwarded: bool = False
    attachments: tuple[Attachment, ...] = ()
    contact_phone: str | None = None
    location: Location | None = None
    display_name: str | None = None
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    platform_id: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # how many forwarded messages `text` joins (a resident forwarding a conversation at once)
    bundled: int = 1

    @property
    def command(self) -> tuple[str, str] | None:
        """('/start', 'payload') when the text is a slash command."""
        text = self.text.strip()
        if not text.startswith("/") or len(text) < 2:
            return None
        head, _, rest = text.partition(" ")
        name = head.split("@", 1)[0].lower()
        return name, rest.strip()
