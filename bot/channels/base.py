"""What every channel offers the dispatcher and the worker, and the errors a send may raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from content.messages import Reply


@dataclass(frozen=True)
class Capabilities:
    """How a channel shows a reply; the renderer adapts the neutral reply to it."""

    max_len: int
    buttons: bool
    html: bool
    files: bool = True


class SendError(Exception):
    """Base of the outcomes a send can end in other than success."""


class RetryAfter(SendError):
    """The platform asks every sender to wait (HTTP 429)."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(SendError):
    """The user blocked us, left, or does not exist: stop writing to them."""


class WindowClosed(SendError):
    """The platform's messaging window for this user is closed (Zalo)."""


class TransientError(SendError):
    """Worth retrying with backoff: 5xx, timeouts, network errors."""


class PermanentError(SendError):
    """Our bug or a configuration problem: retrying will not help."""


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    async def send(self, user_key: str, replies: list[Reply]) -> None:
        """Deliver replies in order; raise a SendError subclass on failure."""
        ...
