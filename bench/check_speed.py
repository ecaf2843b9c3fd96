"""Speed of a full check (normalise, extract, registry look-up, score, verdict).

Prints messages per second and p50/p99 latency over the eval messages. The registry
is an in-memory dict of `--registry-size` synthetic entities for now; `make_lookup`
is the one function to replace with the real database registry.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterable, Mapping

from _common import checker, resolve

from content import RegistryLookup


def make_lookup(size: int) -> RegistryLookup:
    """The registry look-up under test. Replace this with the database registry."""
    table: dict[tuple[str, str], int] = {}
    for i in range(size):
        n = 100_000_000 + i
        kind = i % 3
        if kind == 0:
            table[("phone", f"+849{n % 10**8:08d}")] = 1 + i % 5
        elif kind == 1:
            table[("bank_account", f"19{n:012d}")] = 1 + i % 3
        else:
            table[("url", f"http://scam{i}.top")] = 1

    def lookup(keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
        return {k: table[k] for k in keys if k in table}

    return lookup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default="eval/check-dev.jsonl")
    parser.add_argument("--registry-size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--library", help="a folder of card YAML files instead of the library")
    args = parser.parse_args()

    t0 = time.perf_counter()
    engine = checker(args.library)
    built = time.perf_counter() - t0
    lookup = make_lookup(args.registry_size)
    texts = [
        json.loads(ln)["text"] for ln in resolve(args.path).read_text("utf-8").splitlines() if ln.strip()
    ]
    for text in texts:  # warm caches once
        engine.check(text, lookup)
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            t = time.perf_counter()
            engine.check(text, lookup)
            times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"checker built in {built * 1000:.0f} ms; registry of {args.registry_size:,} entities")
    print(
        f"{len(times)} checks: {len(times) / total:,.0f} messages/s, "
        f"p50 {statistics.median(times) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
        f"max {times[-1] * 1000:.2f} ms"
    )
    big = ("Tôi nhận được cuộc gọi từ 0912 345 678 bảo chuyển tiền vào tài khoản tạm giữ. " * 1300)[:100_000]
    t = time.perf_counter()
    engine.check(big, lookup)
    print(f"a 100 KB message: {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
