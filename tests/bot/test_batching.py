"""Group commit: concurrent writes share a batch, keep their order, and fail alone."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.batching import Batcher


class Recorder:
    """A write that records its batches and refuses the item 'bad'."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, items: list[str]) -> list[str]:
        self.gate.wait(5)
        self.batches.append(list(items))
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]


async def test_items_queued_during_a_write_share_the_next_batch() -> None:
    write = Recorder()
    batcher: Batcher[str, str] = Batcher(write)
    write.gate.clear()  # hold the first write so the others pile up behind it
    first = asyncio.ensure_future(batcher.submit("a"))
    await asyncio.sleep(0.05)
    rest = [asyncio.ensure_future(batcher.submit(x)) for x in "bcd"]
    await asyncio.sleep(0.01)
    write.gate.set()
    assert await first == "A"
    assert [await r for r in rest] == ["B", "C", "D"]
    assert write.batches == [["a"], ["b", "c", "d"]]


async def test_a_bad_item_fails_alone() -> None:
    write = Recorder()
    batcher: Batcher[str, str] = Batcher(write)
    write.gate.clear()
    head = asyncio.ensure_future(batcher.submit("x"))
    await asyncio.sleep(0.05)
    good, bad, other = (asyncio.ensure_future(batcher.submit(x)) for x in ("ok", "bad", "fine"))
    await asyncio.sleep(0.01)
    write.gate.set()
    assert await head == "X"
    assert await good == "OK" and await other == "FINE"
    with pytest.raises(ValueError):
        await bad


async def test_follow_up_runs_in_order_even_when_the_caller_went_away() -> None:
    write = Recorder()
    seen: list[tuple[str, str]] = []
    tasks: set[asyncio.Task[None]] = set()
    batcher: Batcher[str, str] = Batcher(
        write, after=lambda item, result: seen.append((item, result)), tasks=tasks
    )
    write.gate.clear()
    callers = [asyncio.ensure_future(batcher.submit(x)) for x in "pq"]
    await asyncio.sleep(0.05)
    callers[0].cancel()  # e.g. the webhook client disconnected while its update was being recorded
    write.gate.set()
    while tasks:
        await asyncio.gather(*tasks)
    assert seen == [("p", "P"), ("q", "Q")]
    assert await callers[1] == "Q"
