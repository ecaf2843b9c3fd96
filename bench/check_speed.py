"""Speed of a full check (normalise, extract, registry look-up, score, verdict).

Prints messages per second and p50/p99 latency over the eval messages. The registry
is the real database registry (SQLite by default, `--database-url` for a PostgreSQL server,
where it gets a database of its own)
filled with `--registry-size` synthetic confirmed entities; every check looks up its
entities there, as the chat does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _common import REPO, checker, resolve

from content import RegistryLookup


def make_lookup(size: int, database_url: str | None) -> RegistryLookup:
    """The real database registry holding `size` confirmed entities (built once, then reused)."""
    from sqlalchemy import func, insert, select

    from storage.db import make_engine, transaction
    from storage.migrate import upgrade
    from storage.models import RegistryEntity, utcnow
    from storage.registry import RegistryReader

    url = database_url or f"sqlite:///{REPO / 'data' / 'bench' / f'registry-{size}.db'}"
    if database_url and not database_url.startswith("sqlite"):
        url = _bench_database(database_url, size)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        have = int(session.execute(select(func.count()).select_from(RegistryEntity)).scalar_one())
    if have < size:
        now = utcnow()
        print(f"filling the registry with {size - have:,} entities…", flush=True)
        for start in range(have, size, 50_000):
            rows = []
            for i in range(start, min(size, start + 50_000)):
                n = 100_000_000 + i
                kind = ("phone", "bank_account", "url")[i % 3]
                value = {
                    "phone": f"+849{n % 10**8:08d}",
                    "bank_account": f"19{n:012d}",
                    "url": f"scam{i}.top",
                }[kind]
                rows.append(
                    {"kind": kind, "value": value, "reports": 1 + i % 5, "first_seen": now, "last_seen": now}
                )
            with transaction(engine) as session:
                session.execute(insert(RegistryEntity), rows)  # type: ignore[arg-type]
    return RegistryReader(engine)


def _bench_database(server_url: str, size: int) -> str:
    """A database of its own on that server, kept for the next run: the registry takes minutes
    to fill, and the database named in the URL (often an admin or test one) stays untouched."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine

    name = f"canhgiac_bench_registry_{size}"
    admin = make_engine(server_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # Both sets: 141 messages, more than the checker's 128-text cache, so no round reuses one.
    parser.add_argument("paths", nargs="*", default=["eval/check-dev.jsonl", "eval/check-dev-sms.jsonl"])
    parser.add_argument("--registry-size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--library", help="a folder of card YAML files instead of the library")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server for the registry (a database canhgiac_bench_registry_<size> is made "
        "there and kept); default: SQLite under data/bench",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    engine = checker(args.library)
    built = time.perf_counter() - t0
    lookup = make_lookup(args.registry_size, args.database_url)
    texts = [
        json.loads(ln)["text"]
        for path in args.paths
        for ln in resolve(path).read_text("utf-8").splitlines()
        if ln.strip()
    ]
    for text in texts:  # warm caches once
        engine.check(text, lookup)
    times: list[float] = []
    cpu: list[float] = []  # this process's CPU time: the figure that holds on a busy machine
    start = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            t, c = time.perf_counter(), time.process_time()
            engine.check(text, lookup)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    total = time.perf_counter() - start
    times.sort()
    cpu.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"checker built in {built * 1000:.0f} ms; registry of {args.registry_size:,} entities")
    print(
        f"{len(times)} checks: {len(times) / total:,.0f} messages/s, "
        f"p50 {statistics.median(times) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
        f"max {times[-1] * 1000:.2f} ms"
    )
    print(
        f"CPU time per check: p50 {statistics.median(cpu) * 1000:.2f} ms, "
        f"p99 {cpu[min(len(cpu) - 1, int(len(cpu) * 0.99))] * 1000:.2f} ms"
    )
    big = ("Tôi nhận được cuộc gọi từ 0912 345 678 bảo chuyển tiền vào tài khoản tạm giữ. " * 1300)[:100_000]
    t = time.perf_counter()
    engine.check(big, lookup)
    print(f"a 100 KB message: {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
