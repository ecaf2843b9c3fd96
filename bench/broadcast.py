"""Broadcast delivery against the fake Telegram Bot API, on PostgreSQL, with real worker processes.

    .venv/bin/python bench/broadcast.py                  # 100,000 subscribers, every part
    .venv/bin/python bench/broadcast.py --part a1 --subscribers 20000

Parts:
  a1  limiter off, one worker: deliveries per second per worker (target ≥ 500)
  a2  limiter off, two workers: the same per worker, and no recipient twice
  b   limiter at 25/s shared through Redis by two workers: achieved rate over 60 s ÷ 25 (target ≥ 0.95)

Each part gets a fresh database, fans one alert out to every subscriber, starts the fake
server and `canhgiac worker` processes (the real aiogram channel), and reads the figures
from the database and from the fake server (which counts what it received per chat).
Needs PostgreSQL (CANHGIAC_TEST_POSTGRES_URL) and, for part b, Redis (CANHGIAC_TEST_REDIS_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import drop_database, fresh_database  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from content import places  # noqa: E402
from content.alerts import compose_alert  # noqa: E402
from storage import alerts  # noqa: E402
from storage.alerts import Audience  # noqa: E402
from storage.db import make_engine, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Officer, OutboxMessage, Subscription, utcnow  # noqa: E402

PG = os.environ.get("CANHGIAC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("CANHGIAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PYTHON = sys.executable


def prepare(url: str, subscribers: int) -> tuple[int, float]:
    """Subscribers of one ward, one alert fanned out to all; returns (alert id, fan-out seconds)."""
    engine = make_engine(url)
    upgrade(engine)
    province = places.match_province("Hà Nội")[0].province_code
    ward = places.match_ward(province, "Hoàn Kiếm")[0].ward_code or 0
    now = utcnow()
    rows = [
        {
            "channel": "telegram",
            "user_key": str(1_000_000_000 + i),
            "province_code": province,
            "ward_code": ward,
            "active": True,
            "created_at": now,
        }
        for i in range(subscribers)
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(Subscription), rows[start : start + 10_000])
    with transaction(engine) as session:
        officer = Officer(username="bench", full_name="Bench", password_hash="x", role="admin")
        session.add(officer)
        session.flush()
        alert = alerts.create_alert(
            session,
            officer=officer,
            title="Giả danh công an gọi video",
            replies=[
                compose_alert(
                    title="Giả danh công an gọi video",
                    body="Công an không làm việc qua video call và không yêu cầu chuyển tiền để xác minh. "
                    "Gặp cuộc gọi như vậy hãy cúp máy và báo công an xã/phường.",
                )
            ],
            audience=Audience(province, (ward,)),
            channels=["telegram"],
        )
        alerts.submit_alert(session, alert_id=int(alert.id or 0), officer=officer, require_approval=False)
        alert_id = int(alert.id or 0)
    started = time.monotonic()
    with transaction(engine) as session:
        alerts.start_due(session)
    fan_out = time.monotonic() - started
    engine.dispose()
    return alert_id, fan_out


def start_fake() -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [PYTHON, str(REPO / "bench" / "_fake_telegram.py")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    info = json.loads(line)
    return proc, info["url"], info["stats"]


def fake_stats(stats_url: str) -> dict[str, float]:
    with urllib.request.urlopen(stats_url, timeout=10) as response:
        data: dict[str, float] = json.loads(response.read())
    return data


def start_workers(
    count: int, *, db_url: str, api_url: str, rate: float, redis: bool
) -> list[subprocess.Popen[str]]:
    from tests.fakes.telegram import DEFAULT_TOKEN

    env = {
        **os.environ,
        "CANHGIAC_DATABASE_URL": db_url,
        "CANHGIAC_TELEGRAM_TOKEN": DEFAULT_TOKEN,
        "CANHGIAC_TELEGRAM_API_URL": api_url,
        "CANHGIAC_TELEGRAM_RATE_LIMIT": str(rate),
        "CANHGIAC_TELEGRAM_CHAT_GAP": "1" if rate else "0",
        "CANHGIAC_OUTBOX_BATCH": os.environ.get("BENCH_BATCH", "200"),
        "CANHGIAC_OUTBOX_CONCURRENCY": os.environ.get("BENCH_CONCURRENCY", "32"),
        "CANHGIAC_LOG_LEVEL": os.environ.get("CANHGIAC_LOG_LEVEL", "WARNING"),
        "CANHGIAC_DATA_DIR": "/tmp/cg-bench",
        # A throwaway key: the bench database holds no personal data.
        "CANHGIAC_SECRET_KEYS": "YmVuY2gta2V5LWZvci1jYW5oZ2lhYy1icm9hZGNhc3Q=",
    }
    if redis:
        env["CANHGIAC_REDIS_URL"] = REDIS
    else:
        env.pop("CANHGIAC_REDIS_URL", None)
    return [
        subprocess.Popen(
            [PYTHON, "-m", "bot", "worker", "--name", f"bench-w{i}"], env=env, cwd=REPO, text=True
        )
        for i in range(count)
    ]


def cpu_seconds(proc: subprocess.Popen[str]) -> float:
    """User + system CPU time the process used so far (Linux /proc)."""
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def sent_count(engine: object, alert_id: int) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(
            conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.alert_id == alert_id, OutboxMessage.status == "sent")
            ).scalar_one()
        )


def run_unlimited(subscribers: int, workers: int) -> dict[str, float]:
    name, url = fresh_database(PG, "cg_bench")
    fake, api_url, stats_url = start_fake()
    try:
        alert_id, fan_out = prepare(url, subscribers)
        engine = make_engine(url)
        procs = start_workers(workers, db_url=url, api_url=api_url, rate=0, redis=False)
        samples: list[tuple[float, int, float]] = []  # (time, sent, workers' CPU seconds)
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            samples.append((time.monotonic(), sent_count(engine, alert_id), sum(map(cpu_seconds, procs))))
            if samples[-1][1] >= subscribers:
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker stopped: {[p.returncode for p in procs]}")
            time.sleep(0.5)
        fake_cpu = cpu_seconds(fake)
        stop(procs)
        engine.dispose()
        stats = fake_stats(stats_url)
    finally:
        stop([fake])
        drop_database(PG, name)
    # The steady part: from 10 % to 90 % delivered (start-up and the tail left out).
    t_low, n_low, cpu_low = next(s for s in samples if s[1] >= subscribers * 0.1)
    t_high, n_high, cpu_high = next(s for s in samples if s[1] >= subscribers * 0.9)
    rate = (n_high - n_low) / (t_high - t_low)
    per_cpu_second = (n_high - n_low) / max(cpu_high - cpu_low, 1e-9)  # all workers together
    return {
        "workers": workers,
        "subscribers": subscribers,
        "fan_out_seconds": round(fan_out, 2),
        "deliveries_per_second": round(rate),
        "per_worker": round(rate / workers),
        # What one worker does per second of CPU: its rate with a core to itself.
        "per_worker_cpu_second": round(per_cpu_second),
        "fake_server_cpu_seconds": round(fake_cpu, 1),
        "load_average": os.getloadavg()[0],
        "received_by_fake": stats["sent"],
        "distinct_chats": stats["chats"],
        "duplicates": stats["sent"] - stats["chats"],
    }


def run_limited(subscribers: int, workers: int, seconds: float, rate: float) -> dict[str, float]:
    name, url = fresh_database(PG, "cg_bench")
    fake, api_url, stats_url = start_fake()
    try:
        alert_id, _ = prepare(url, subscribers)
        procs = start_workers(workers, db_url=url, api_url=api_url, rate=rate, redis=True)
        while fake_stats(stats_url)["sent"] == 0:
            time.sleep(0.05)
        first = fake_stats(stats_url)
        time.sleep(seconds)
        last = fake_stats(stats_url)
        stop(procs)
        _ = alert_id
    finally:
        stop([fake])
        drop_database(PG, name)
    achieved = (last["sent"] - first["sent"]) / (last["now"] - first["now"])
    return {
        "workers": workers,
        "limit_per_second": rate,
        "seconds": round(last["now"] - first["now"], 1),
        "achieved_per_second": round(achieved, 2),
        "ratio": round(achieved / rate, 3),
        "max_in_any_second": last["max_per_second"],
        "duplicates": last["sent"] - last["chats"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--part", choices=["a1", "a2", "b", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    parts = ["a1", "a2", "b"] if args.part == "all" else [args.part]
    for part in parts:
        if part == "a1":
            result = run_unlimited(args.subscribers, 1)
        elif part == "a2":
            result = run_unlimited(args.subscribers, 2)
        else:
            result = run_limited(args.subscribers, 2, args.seconds, 25.0)
        print(json.dumps({"part": part, **result}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
