"""A bound on password hashes computed at once.

argon2id with the library's defaults takes 64 MiB of memory per hash, and the web server
runs sync routes on a pool of 40 threads: 60 concurrent logins drove a server to 2 GB.
Only a few hashes run together (one by default: the server stays within 100 MB of its idle
memory under a burst); a login that finds no slot within `wait` seconds is refused (the
console answers 429 and the officer tries again).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class HashGate:
    def __init__(self, slots: int, *, wait: float = 3.0) -> None:
        self.slots = slots
        self.wait = wait
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def __call__(self) -> Iterator[bool]:
        """Inside: whether a slot was free (and is held until the block ends)."""
        admitted = self._semaphore.acquire(timeout=self.wait)
        try:
            yield admitted
        finally:
            if admitted:
                self._semaphore.release()
