"""Group commit: what piles up while one database write runs goes into the next one.

Inbound updates are recorded before the webhook answers and marked done after the reply,
one short transaction each. Under load most of a transaction's cost is the round trips
around the statement (checkout, BEGIN, COMMIT), so writing everything that queued up
meanwhile in one transaction serves many updates for the price of one. Nothing waits for
a batch to fill: with light traffic every write holds a single item.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Run `write(items) -> results` (one result per item, in order) in a worker thread.

    `after(item, result)` runs in the event loop for each item, in order, before its caller
    resumes, and even when the caller went away (a client that disconnected must not leave
    a written record without its follow-up). When a batch fails, its items are written one
    by one, so one bad item fails alone.
    """

    def __init__(
        self,
        write: Callable[[list[T]], list[R]],
        *,
        after: Callable[[T, R], None] | None = None,
        limit: int = 200,
        tasks: set[asyncio.Task[None]] | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.write = write
        # None: the loop's shared pool (asyncio.to_thread); a writer of its own does not queue
        # behind other work there.
        self.executor = executor
        self.after = after
        self.limit = limit
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks = tasks if tasks is not None else set()

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
            self._tasks.add(self._flusher)
            self._flusher.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.limit], self._queue[self.limit :]
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    self._fail(batch[0][1], exc)
                    continue
                log.warning("batched write of %d items failed (%s); writing them one by one", len(batch), exc)
                for item, future in batch:
                    try:
                        [result] = await self._run([item])
                    except Exception as one_exc:
                        self._fail(future, one_exc)
                    else:
                        self._done(item, future, result)
                continue
            for (item, future), result in zip(batch, results, strict=True):
                self._done(item, future, result)

    async def _run(self, items: list[T]) -> list[R]:
        if self.executor is None:
            return await asyncio.to_thread(self.write, items)
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.executor, context.run, self.write, items)

    def _done(self, item: T, future: asyncio.Future[R], result: R) -> None:
        if self.after is not None:
            try:
                self.after(item, result)
            except Exception as exc:
                self._fail(future, exc)
                return
        if not future.done():
            future.set_result(result)

    @staticmethod
    def _fail(future: asyncio.Future[R], exc: Exception) -> None:
        if not future.done():
            future.set_exception(exc)
