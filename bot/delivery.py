"""Sending replies with the platform error policy: wait on 429, retry transient errors, stop on the rest."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from enum import StrEnum

from bot import metrics
from bot.channels.base import (
    Channel,
    PermanentError,
    RetryAfter,
    TransientError,
    Unreachable,
    WindowClosed,
)
from bot.logref import ANONYMOUS, UserRef
from bot.ratelimit import priority_traffic
from content.messages import Reply

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"
    WINDOW_CLOSED = "window_closed"
    FAILED = "failed"
    RETRY_LATER = "retry_later"


def backoff(attempt: int, *, base: float = 0.5, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * (2 ** max(attempt - 1, 0))))


async def deliver(
    channel: Channel,
    user_key: str,
    replies: list[Reply],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    ref: UserRef = ANONYMOUS,
) -> tuple[Outcome, str | None]:
    """Send now, retrying in place; for direct replies, where the user is waiting. When the
    platform still refuses for a passing reason (5xx, timeout, 429) after `attempts`, the
    outcome is RETRY_LATER: the caller hands the reply to the outbox.

    Sent as priority traffic: the channel's rate gate lets a reply pass ahead of queued
    broadcasts, though it still waits out a 429 pause with every other sender.
    """
    error: str | None = None
    for attempt in range(1, attempts + 1):
        retry_after: list[float] = []
        with priority_traffic():
            outcome, error = await send_once(
                channel, user_key, replies, on_retry_after=retry_after.append, ref=ref
            )
        if outcome is not Outcome.RETRY_LATER:
            return outcome, error
        if attempt < attempts:
            delay = min(retry_after[0], 60.0) if retry_after else backoff(attempt, base=base_delay, cap=10.0)
            await asyncio.sleep(delay)
    return Outcome.RETRY_LATER, error


async def send_once(
    channel: Channel,
    user_key: str,
    replies: list[Reply],
    *,
    on_retry_after: Callable[[float], None] | None = None,
    ref: UserRef = ANONYMOUS,
) -> tuple[Outcome, str | None]:
    """One try; a 429 counts as 'retry later' and its wait goes to `on_retry_after`. Logs name
    the user by `ref` (a keyed hash), never by their chat id."""
    outcome, error = await _send_once(channel, user_key, replies, on_retry_after, ref)
    metrics.count_send(channel.name, outcome.value)
    return outcome, error


async def _send_once(
    channel: Channel,
    user_key: str,
    replies: list[Reply],
    on_retry_after: Callable[[float], None] | None,
    ref: UserRef,
) -> tuple[Outcome, str | None]:
    try:
        await channel.send(user_key, replies)
    except RetryAfter as exc:
        log.warning("%s asked to wait %.1fs", channel.name, exc.seconds)
        if on_retry_after is not None:
            on_retry_after(exc.seconds)
        return Outcome.RETRY_LATER, str(exc)
    except Unreachable as exc:
        log.info("%s user %s is unreachable: %s", channel.name, ref(channel.name, user_key), exc)
        return Outcome.UNREACHABLE, str(exc)
    except WindowClosed as exc:
        return Outcome.WINDOW_CLOSED, str(exc)
    except TransientError as exc:
        log.warning("%s transient error for %s: %s", channel.name, ref(channel.name, user_key), exc)
        return Outcome.RETRY_LATER, str(exc)
    except PermanentError as exc:
        log.error("%s permanent error for %s: %s", channel.name, ref(channel.name, user_key), exc)
        return Outcome.FAILED, str(exc)
    return Outcome.SENT, None
