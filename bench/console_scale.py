"""The officers' console at national scale, measured from outside on PostgreSQL.

    .venv/bin/python bench/console_scale.py                       # 1M tips, 1M subscribers, 10M entities
    .venv/bin/python bench/console_scale.py --tips 10000 --subscribers 10000 --entities 100000
    .venv/bin/python bench/console_scale.py --keep --reuse        # measure again on the kept data

Seeds a scratch database of its own on the server of CANHGIAC_TEST_POSTGRES_URL (named
`canhgiac_bench_scale_<tips>`; dropped at the end unless `--keep`, reused with `--reuse`),
starts `canhgiac serve` on it (from `--code`, another checkout, to compare), logs in as an
administrator, a provincial officer (Hà Nội) and a commune officer (Hoàn Kiếm), and prints
median and p95 over `--rounds` requests of every queue view, the tip page, the audit log
and the alert list; then each officer's CSV and XLSX export of up to 10,000 tips with the
server's memory growth, and the fan-out of one alert per province to every subscriber.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import free_port, rss_mb  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storage.crypto import Cipher  # noqa: E402
from storage.db import make_engine  # noqa: E402

PG = os.environ.get("CANHGIAC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# A throwaway key: the bench database holds invented tips only.
BENCH_KEY = "YmVuY2gta2V5LWNhbmhnaWFjLWNvbnNvbGUtc2NhbGU="
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "max_wal_size", "jit")


def _database(name: str, *, fresh: bool) -> tuple[str, bool]:
    """The scratch database's URL, and whether it already held data."""
    admin = make_engine(PG)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG).set(database=name).render_as_string(hide_password=False), bool(exists) and not fresh


def _drop(name: str) -> None:
    admin = make_engine(PG)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _env(url: str, code: Path, port: int = 0) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "CANHGIAC_DATABASE_URL": url,
        "CANHGIAC_SECRET_KEYS": BENCH_KEY,
        "CANHGIAC_RUN_WORKER": "false",
        "CANHGIAC_LOG_LEVEL": "WARNING",
        "CANHGIAC_DATA_DIR": tempfile.mkdtemp(prefix="cg-scale-"),
    }
    env.pop("CANHGIAC_REDIS_URL", None)
    if port:
        env["CANHGIAC_PORT"] = str(port)
    return env


def _login(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    page = client.get("/console/login")
    token = _CSRF.search(page.text)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text[:300]
    return client


def _timed(client: httpx.Client, path: str, rounds: int) -> tuple[float, float]:
    """Median and p95 in milliseconds (one warm-up request first)."""
    assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def _export(client: httpx.Client, path: str, pid: int) -> tuple[float, float, int]:
    """Seconds, the server's RSS growth in MB while it ran, and the rows in the file."""
    before = rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    assert response.status_code == 200, (path, response.status_code)
    rows = response.content.count(b"\r\n") - 1 if ".csv" in path else -1
    return seconds, peak[0] - before, rows


def _sizes(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()
        tables = conn.execute(
            text(
                "SELECT relname, reltuples, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
                "ORDER BY pg_total_relation_size(oid) DESC LIMIT 8"
            )
        ).all()
        settings = [(name, conn.execute(text(f"SHOW {name}")).scalar_one()) for name in SETTINGS]
    engine.dispose()
    print(f"database: {total}; " + ", ".join(f"{n} {int(r):,} rows {s}" for n, r, s in tables))
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--entities", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", default=None, help="Scratch database name (default by size).")
    parser.add_argument("--keep", action="store_true", help="Keep the database for another run.")
    parser.add_argument("--reuse", action="store_true", help="Measure a kept database without seeding.")
    parser.add_argument("--code", type=Path, default=REPO, help="The checkout whose server is measured.")
    parser.add_argument("--no-fanout", action="store_true", help="Skip the fan-out (it adds outbox rows).")
    args = parser.parse_args()
    code = args.code.resolve()
    name = args.database or f"canhgiac_bench_scale_{args.tips}"
    url, kept = _database(name, fresh=not args.reuse)
    python = sys.executable
    try:
        subprocess.run([python, "-m", "bot", "db", "upgrade"], env=_env(url, code), cwd=code, check=True)
        info = Path(tempfile.gettempdir(), f"{name}.json")
        if not kept or not info.exists():
            from _scale_seed import seed

            print(
                f"seeding {name}: {args.tips:,} tips, {args.subscribers:,} subscribers, "
                f"{args.entities:,} registry entities",
                flush=True,
            )
            started = time.monotonic()
            engine = make_engine(url)
            seeded = seed(
                engine,
                tips=args.tips,
                subscribers=args.subscribers,
                entities=args.entities,
                cipher=Cipher([BENCH_KEY]),
            )
            engine.dispose()
            print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
            info.write_text(json.dumps(seeded.__dict__))
        seeded_info = json.loads(info.read_text())
        settings = _sizes(url)
        print("PostgreSQL: " + ", ".join(f"{k}={v}" for k, v in settings))
        measure(url, code, seeded_info, args)
    finally:
        if not args.keep:
            _drop(name)


def measure(url: str, code: Path, seeded: dict[str, int | str], args: argparse.Namespace) -> None:
    from _scale_seed import PASSWORD

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=_env(url, code, port), cwd=code)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        admin = _login(base, str(seeded["admin"]), PASSWORD)
        province = _login(base, str(seeded["province"]), PASSWORD)
        commune = _login(base, str(seeded["commune"]), PASSWORD)
        who = {"admin": admin, "province": province, "commune": commune}
        rows: list[tuple[str, str]] = []
        for role in who:
            for label, path in (
                ("queue, default", "/console/tips"),
                ("queue, by status", "/console/tips?status=new"),
                ("queue, page 50", "/console/tips?page=50"),
                ("queue, by modus", "/console/tips?modus=fake-bank"),
            ):
                rows.append((f"{role}: {label}", path))
        rows += [
            ("admin: own account page (the floor of any page)", "/console/me"),
            ("admin: tip page, number shared by 1,221 tips", f"/console/tips/{seeded['hot_tip_id']}"),
            ("admin: tip page, ordinary", f"/console/tips/{seeded['quiet_tip_id']}"),
            ("admin: audit log", "/console/admin/audit"),
            ("admin: audit log, page 20", "/console/admin/audit?page=20"),
        ]
        print(f"\n{'what':<50} {'median ms':>10} {'p95 ms':>8}")
        for label, path in rows:
            client = who[label.split(":", 1)[0]]
            median, p95 = _timed(client, path, args.rounds)
            print(f"{label:<50} {median:>10.1f} {p95:>8.1f}", flush=True)
        print(f"\n{'export':<50} {'seconds':>10} {'RSS +MB':>8} {'rows':>7}")
        for role, client in who.items():
            for fmt in ("csv", "xlsx"):
                seconds, grown, count = _export(client, f"/console/export/tips.{fmt}", server.pid)
                shown = f"{count:>7}" if count >= 0 else f"{'':>7}"
                print(f"{role + ': ' + fmt.upper():<50} {seconds:>10.2f} {grown:>8.1f} {shown}", flush=True)
        if not args.no_fanout:
            result = subprocess.run(
                [sys.executable, str(REPO / "bench" / "_scale_fanout.py"), url],
                env=_env(url, code),
                cwd=code,
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"\nfan-out: {figures['recipients']:,} recipients of 34 alerts in {figures['fan_out_s']} s, "
                f"first rows claimed after {figures['first_claim_s']} s "
                f"({figures['claimed_during']:,} sent meanwhile)"
            )
        median, p95 = _timed(admin, "/console/alerts", args.rounds)
        print(f"{'admin: alert list (the 34 alerts of the fan-out)':<50} {median:>10.1f} {p95:>8.1f}")
        print(f"server RSS at the end: {rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
