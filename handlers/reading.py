"""The contract between the handlers and whatever reads pictures (bot/pictures does).

    def read(data: bytes) -> PictureText

The composition root registers one in `Conversations.read_picture`. It is called from the
thread that handles the message (never on the event loop) with the picture's bytes, which
it must not keep, and raises `PictureRefused` with one of `REASONS`, each answered in its
own words (a GIF, a PDF, too large, unreadable...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

REASONS = ("too_large", "not_a_picture", "gif", "pdf", "too_many_pixels", "corrupt", "unavailable")


@dataclass(frozen=True)
class PictureText:
    """What a picture says: its text in reading order, and its QR codes as checkable lines."""

    text: str
    codes: tuple[str, ...] = ()

    @property
    def joined(self) -> str:
        return "\n".join(part for part in (self.text.strip(), *self.codes) if part)


class PictureRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason if reason in REASONS else "corrupt"


ReadPicture = Callable[[bytes], PictureText]
