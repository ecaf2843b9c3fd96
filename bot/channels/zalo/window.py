"""Zalo OA messaging windows: may we write to this user now, and does it cost money?

A consultation message ('tin tư vấn') may go only to a user who interacted with the OA
in the last 7 days (sent a message, followed, tapped a button, submitted the form); it is
free within 48 hours of that interaction and billed after. Outside the 7 days Zalo
answers -230/-232, so we decide before calling and record 'window closed' instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WINDOW = dt.timedelta(days=7)
FREE_WINDOW = dt.timedelta(hours=48)
# Clocks differ a little between Zalo and us; stop a few minutes early rather than be refused.
SAFETY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    open: bool
    free: bool
    closes_at: dt.datetime | None

    @property
    def reason(self) -> str:
        if self.closes_at is None:
            return "the user never interacted with the OA"
        if not self.open:
            return f"no interaction since {(self.closes_at - WINDOW).isoformat()} (7-day window)"
        return "open" if self.free else "open, billed (48 h free window passed)"


def messaging_window(last_inbound_at: dt.datetime | None, now: dt.datetime) -> Window:
    """The window of a user whose last interaction was at `last_inbound_at` (aware UTC)."""
    if last_inbound_at is None:
        return Window(open=False, free=False, closes_at=None)
    if last_inbound_at.tzinfo is None:  # SQLite hands back naive values, written as UTC
        last_inbound_at = last_inbound_at.replace(tzinfo=dt.UTC)
    closes_at = last_inbound_at + WINDOW
    return Window(
        open=now < closes_at - SAFETY,
        free=now < last_inbound_at + FREE_WINDOW,
        closes_at=closes_at,
    )
