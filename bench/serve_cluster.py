"""N `canhgiac serve` processes behind Debian's nginx on PostgreSQL and Redis, under Telegram-shaped load.

    .venv/bin/python bench/serve_cluster.py [--users 1500] [--per-user 1] [--only scale,faults,replies]

What it prints:
- scale: for N = 1, 2, 4 serve processes, updates/s (from the first POST to the last reply at
  the fake Bot API), p50/p99 time from the webhook POST to its reply at the fake, and the serve
  processes' CPU (user + system, from /proc) per update, with its ratio to N = 1;
- faults, with 3 processes and the load running: kill -9 of one; the database connections cut
  for 5 s; Redis unreachable for 5 s; a slow platform (2 s per call), where the figure is the
  webhook's own answer time; and the platform answering 5xx for 5 s (replies lost: none);
- replies: three runs of 500 updates with a kill -9 of the (single) process midway and its
  restart: updates answered twice.

The load: 70% forwarded texts to check, 20% button presses and dialog steps, 10% commands,
thousands of users, a tenth of them sending a burst of 5 forwarded texts; posted as Telegram
does (one update per chat in flight, 40 connections, a non-2xx answer posted again). The
database and Redis are reached through a small TCP relay of this script, so their connections
can be cut. nginx is installed with apt-get when missing. PostgreSQL:
CANHGIAC_BENCH_POSTGRES_URL (else CANHGIAC_TEST_POSTGRES_URL); a scratch database is created and
dropped. Redis: CANHGIAC_BENCH_REDIS_URL (else CANHGIAC_TEST_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storage.db import make_engine  # noqa: E402
from tests.cluster import Cluster, Drive, drive, make_traffic, nginx_binary, percentile, verify  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402


class Relay:
    """A TCP relay in front of PostgreSQL or Redis whose connections can be cut for a while."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.down_until = 0.0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self.down_until:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))

    def cut(self, seconds: float) -> None:
        """Drop every open connection and refuse new ones for `seconds`."""
        self.down_until = time.monotonic() + seconds
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut(0)
        if self._server is not None:
            self._server.close()


def ensure_nginx() -> None:
    if nginx_binary() is None:
        print("installing nginx-light (apt-get)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx-light"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


class Bench:
    def __init__(self, args: argparse.Namespace, pg_admin: str, redis_url: str) -> None:
        self.args = args
        self.pg_admin = pg_admin
        self.redis_url = redis_url
        self.folder = Path(tempfile.mkdtemp(prefix="cg-cluster-"))
        self.next_update = 1
        self.next_chat = 0

    def traffic(self, users: int, per_user: int, bursts: float) -> dict[int, list[Any]]:
        traffic = make_traffic(
            users=users,
            per_user=per_user,
            first_update=self.next_update,
            bursts=bursts,
            chat_base=self.next_chat,
        )
        self.next_update += sum(len(items) for items in traffic.values())
        self.next_chat += users
        return traffic

    @contextlib.asynccontextmanager
    async def cluster(self, fake: FakeTelegram, n: int, **env: str) -> Any:
        """A fresh database, Redis and the database behind relays, N serve processes, nginx."""
        name = f"cg_cluster_{uuid.uuid4().hex[:8]}"
        admin = make_engine(self.pg_admin)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg = make_url(self.pg_admin)
        redis = urlsplit(self.redis_url)
        pg_relay = Relay(pg.host or "127.0.0.1", pg.port or 5432)
        redis_relay = Relay(redis.hostname or "127.0.0.1", redis.port or 6379)
        await pg_relay.start()
        await redis_relay.start()
        url = pg.set(database=name, host="127.0.0.1", port=pg_relay.listen_port).render_as_string(
            hide_password=False
        )
        redis_url = f"redis://127.0.0.1:{redis_relay.listen_port}{redis.path or '/0'}"
        folder = self.folder / name
        folder.mkdir()
        cluster = Cluster(url, redis_url, fake.url, fake.token, folder, env=dict(env))
        try:
            await asyncio.to_thread(cluster.migrate)
            for _ in range(n):
                cluster.start_serve()
            cluster.start_proxy()
            await cluster.wait_ready()
            yield cluster, pg_relay, redis_relay
        finally:
            cluster.stop()
            await pg_relay.stop()
            await redis_relay.stop()
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    async def run(
        self,
        fake: FakeTelegram,
        cluster: Cluster,
        traffic: dict[int, list[Any]],
        *,
        midway: Callable[[], Awaitable[None]] | None = None,
        settle: float = 120,
    ) -> dict[str, Any]:
        """Drive the traffic (calling `midway` once half of it is acknowledged), wait for the replies."""
        total = sum(len(items) for items in traffic.values())
        url = f"http://127.0.0.1:{cluster.proxy_port}/webhooks/telegram"
        cpu_before = cluster.cpu_seconds()
        result = Drive()
        driving = asyncio.create_task(drive(url, traffic, result=result))
        if midway is not None:
            while len(result.acknowledged) < total // 2 and not driving.done():
                await asyncio.sleep(0.01)
            await midway()
        await driving
        deadline = time.monotonic() + settle
        while (verdict := verify(traffic, fake.sent())).missing and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        cpu = cluster.cpu_seconds() - cpu_before
        latencies = [verdict.reply_at[u] - result.posted[u] for u in verdict.reply_at if u in result.posted]
        acks = [result.acknowledged[u] - result.posted[u] for u in result.acknowledged]
        last = max(verdict.reply_at.values(), default=result.finished)
        return {
            "updates": total,
            "answered": verdict.answered,
            "missing": len(verdict.missing),
            "out_of_order": len(verdict.out_of_order),
            "twice": len(verdict.duplicates),
            "per_second": total / max(last - result.started, 1e-9),
            "p50_ms": 1000 * percentile(latencies, 0.5),
            "p99_ms": 1000 * percentile(latencies, 0.99),
            "max_ms": 1000 * max(latencies, default=float("nan")),
            "ack_p50_ms": 1000 * percentile(acks, 0.5),
            "ack_p99_ms": 1000 * percentile(acks, 0.99),
            "cpu_ms": 1000 * cpu / total,
            "resent": result.resent,
        }


def row(label: str, r: dict[str, Any], ratio: float | None = None) -> str:
    extra = f" {ratio:8.2f}x" if ratio is not None else ""
    return (
        f"{label:<34} {r['updates']:6d} {r['answered']:6d} {r['missing']:5d} {r['out_of_order']:5d} "
        f"{r['twice']:5d} {r['per_second']:7.1f} {r['p50_ms']:8.0f} {r['p99_ms']:8.0f} "
        f"{r['ack_p99_ms']:8.0f} {r['cpu_ms']:7.2f}{extra}"
    )


HEADER = (
    f"{'run':<34} {'upd':>6} {'ans':>6} {'lost':>5} {'order':>5} {'twice':>5} {'upd/s':>7} "
    f"{'p50 ms':>8} {'p99 ms':>8} {'ack p99':>8} {'cpu ms':>7}"
)


async def scale(bench: Bench, fake: FakeTelegram) -> None:
    print("\nscale: updates/s, webhook-to-reply p50/p99, serve CPU per update (ratio to N=1)")
    print(HEADER + "    ratio")
    base: float | None = None
    for n in (1, 2, 4):
        async with bench.cluster(fake, n) as (cluster, _, _):
            await bench.run(fake, cluster, bench.traffic(200, 1, 0.1))  # warm-up: caches, pools
            result = await bench.run(fake, cluster, bench.traffic(bench.args.users, bench.args.per_user, 0.1))
        base = base or result["cpu_ms"]
        print(row(f"N={n}", result, result["cpu_ms"] / base), flush=True)


async def faults(bench: Bench, fake: FakeTelegram) -> None:
    users, per_user = bench.args.users // 2, bench.args.per_user
    print("\nfaults, 3 serve processes under load (lost: replies never sent; twice: answered twice)")
    print(HEADER)
    async with bench.cluster(fake, 3) as (cluster, pg_relay, redis_relay):
        await bench.run(fake, cluster, bench.traffic(200, 1, 0.1))

        async def kill() -> None:
            cluster.kill(1)

        async def cut_db() -> None:
            pg_relay.cut(5)

        async def redis_down() -> None:
            redis_relay.cut(5)

        async def outage() -> None:
            fake.fail("sendMessage", 502, "Bad Gateway", times=None)
            await asyncio.sleep(5)
            fake.clear_failures()

        for label, fault in (
            ("kill -9 of one of three", kill),
            ("database connections cut 5 s", cut_db),
            ("Redis unreachable 5 s", redis_down),
            ("platform 5xx for 5 s", outage),
        ):
            result = await bench.run(fake, cluster, bench.traffic(users, per_user, 0.1), midway=fault)
            print(row(label, result), flush=True)
        fake.call_delay["sendmessage"] = 2.0
        try:
            slow = await bench.run(fake, cluster, bench.traffic(400, 1, 0.1))
        finally:
            fake.call_delay.clear()
        print(row("platform answering in 2 s", slow), flush=True)
        print(
            f"  with a 2 s platform the webhook still answers in p50 {slow['ack_p50_ms']:.0f} ms,"
            f" p99 {slow['ack_p99_ms']:.0f} ms"
        )


async def replies(bench: Bench, fake: FakeTelegram) -> None:
    print("\nreplies after kill -9: one serve process, 500 updates, killed midway and restarted")
    print(HEADER)
    twice = 0
    for run in range(1, 4):
        async with bench.cluster(fake, 1) as (cluster, _, _):
            await bench.run(fake, cluster, bench.traffic(100, 1, 0.1))

            async def kill_and_restart() -> None:
                cluster.kill(0)
                cluster.start_serve()  # as systemd's Restart=always would (nginx follows the new port)
                await asyncio.to_thread(_repoint_proxy, cluster)

            result = await bench.run(fake, cluster, bench.traffic(250, 2, 0.1), midway=kill_and_restart)
        twice += result["twice"]
        print(row(f"run {run}", result), flush=True)
    print(f"  answered twice over three runs: {twice}")


def _repoint_proxy(cluster: Cluster) -> None:
    """nginx in front of the restarted process (a new port): rewrite and reload."""
    live = [
        port for port, process in zip(cluster.ports, cluster.serves, strict=True) if process.poll() is None
    ]
    conf = cluster.folder / "nginx.conf"
    from tests.cluster import SITE_CONFIG, proxy_config

    conf.write_text(
        proxy_config(
            SITE_CONFIG.read_text(encoding="utf-8"),
            listen=cluster.proxy_port,
            upstreams=live,
            folder=cluster.folder,
        ),
        encoding="utf-8",
    )
    binary = nginx_binary()
    assert binary is not None
    subprocess.run([binary, "-c", str(conf), "-p", str(cluster.folder), "-s", "reload"], check=True)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1500)
    parser.add_argument("--per-user", type=int, default=1)
    parser.add_argument("--only", default="scale,faults,replies")
    args = parser.parse_args()
    pg = os.environ.get("CANHGIAC_BENCH_POSTGRES_URL") or os.environ.get("CANHGIAC_TEST_POSTGRES_URL")
    redis = os.environ.get("CANHGIAC_BENCH_REDIS_URL") or os.environ.get("CANHGIAC_TEST_REDIS_URL")
    if not pg or not redis:
        sys.exit("needs CANHGIAC_BENCH_POSTGRES_URL and CANHGIAC_BENCH_REDIS_URL (or the _TEST_ ones)")
    ensure_nginx()
    bench = Bench(args, pg, redis)
    try:
        async with FakeTelegram() as fake:
            for part in args.only.split(","):
                await {"scale": scale, "faults": faults, "replies": replies}[part](bench, fake)
    finally:
        shutil.rmtree(bench.folder, ignore_errors=True)
    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    asyncio.run(main())
