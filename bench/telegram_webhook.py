"""Updates per second through POST /webhooks/telegram, end to end, against a bare aiogram echo bot.

Each update is a forwarded scam text. Ours records it, answers 200, runs the check and sends
the verdict card through the real aiogram client to a local fake Bot API; the figure is the
number of updates divided by the time from the first POST to the last reply reaching the
fake. The ceiling is a bare aiogram echo bot (Dispatcher.feed_update inside the request, no
database) behind the same web server (FastAPI on uvicorn), driven by the same load and the
same fake, in the same run. Load is shaped like Telegram's: up to 40 requests in flight, one
chat's updates one after the other.

    .venv/bin/python bench/telegram_webhook.py [--updates 2000] [--chats 200] [--rounds 5] [--no-postgres]

PostgreSQL: CANHGIAC_BENCH_POSTGRES_URL (else CANHGIAC_TEST_POSTGRES_URL, else the local
default); a scratch database is created and dropped. Our process runs with the Telegram rate
limit off (CANHGIAC_TELEGRAM_RATE_LIMIT=0): the fake has no flood control and the echo bot
has no limiter either, so the gate's cost stays in the path but not its waiting. Joining a
resident's burst of forwarded texts into one check (CANHGIAC_BURST_SECONDS) is off:
every update here is a forward and each is answered and counted on its own.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench_secret-token"
SCAM = (
    "Tôi là cán bộ công an quận, anh có liên quan đến đường dây rửa tiền. Yêu cầu chuyển toàn bộ "
    "tiền vào tài khoản tạm giữ 0123456789 để xác minh, không được nói với ai. Mã hồ sơ {n}."
)


# ---- the two servers (run as subprocesses of the benchmark) ----


def serve_ours(port: int, api_url: str, database_url: str, data_dir: str) -> None:
    import uvicorn

    from bot.runtime import build_runtime
    from bot.settings import Settings
    from bot.web.app import create_app

    settings = Settings(
        data_dir=Path(data_dir),
        database_url=database_url,
        telegram_token=os.environ["BENCH_TOKEN"],
        telegram_api_url=api_url,
        telegram_webhook_secret=SECRET,
        telegram_rate_limit=0,
        burst_seconds=0,  # each update answered on its own, as the figure counts them
        public_url="https://bench.example.vn",
        secret_keys="YmVuY2gta2V5LWZvci1jYW5oZ2lhYy1vbmx5LTMyYnk=",  # a throwaway 32-byte key
        log_level="WARNING",
        _env_file=None,
    )
    app = create_app(build_runtime(settings, migrate=True), freeze_heap=True)  # as `canhgiac serve`
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_echo(port: int, api_url: str) -> None:
    import uvicorn
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message, Update
    from fastapi import FastAPI, Request, Response

    bot = Bot(os.environ["BENCH_TOKEN"], session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/telegram")
    async def webhook(request: Request) -> Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return Response(status_code=401)
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dp.feed_update(bot, update)
        return Response(status_code=200)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---- the load ----


def make_update(update_id: int, chat: int, n: int) -> dict[str, Any]:
    person = {"id": chat, "is_bot": False, "first_name": "Dân", "language_code": "vi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": person,
            "chat": {"id": chat, "first_name": "Dân", "type": "private"},
            "date": int(time.time()),
            "forward_origin": {
                "type": "hidden_user",
                "sender_user_name": "Công an",
                "date": int(time.time()),
            },
            "text": SCAM.format(n=n),
        },
    }


async def drive(port: int, fake: Any, *, updates: int, chats: int, first_id: int) -> dict[str, float]:
    """Post `updates` updates as Telegram would; returns throughput and webhook latency."""
    import aiohttp

    by_chat: dict[int, list[dict[str, Any]]] = {}
    for n in range(updates):
        chat = 7_000_000_000 + n % chats
        by_chat.setdefault(chat, []).append(make_update(first_id + n, chat, n))
    groups = list(by_chat.values())
    lanes = [groups[i::40] for i in range(40)]
    latencies: list[float] = []
    retries: list[int] = []
    url = f"http://127.0.0.1:{port}/webhooks/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    before = fake.count("sendMessage")

    async with aiohttp.ClientSession() as session:

        async def lane(chat_groups: list[list[dict[str, Any]]]) -> None:
            queues = [list(g) for g in chat_groups]
            while any(queues):
                for queue in queues:
                    if queue:
                        body = json.dumps(queue.pop(0))
                        started = time.perf_counter()
                        for _attempt in range(100):  # like Telegram: a non-2xx answer is sent again
                            async with session.post(url, data=body, headers=headers) as response:
                                if response.status == 200:
                                    break
                            retries.append(response.status)
                            await asyncio.sleep(0.1)
                        else:
                            raise RuntimeError(f"update refused 100 times: {response.status}")
                        latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(lane(chunk) for chunk in lanes if chunk))
        while fake.count("sendMessage") - before < updates:
            if time.perf_counter() - started > 600:
                raise RuntimeError("replies did not all arrive")
            await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "per_second": updates / elapsed,
        "seconds": elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
        "resent": len(retries),
    }


def start_server(kind: str, port: int, api_url: str, token: str, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, BENCH_TOKEN=token)
    cmd = [sys.executable, __file__, f"serve-{kind}", str(port), api_url, *extra]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


async def wait_healthy(port: int) -> None:
    import aiohttp

    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            await asyncio.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) of a process so far; Linux /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """CPU time of every local PostgreSQL process by pid (other users of the server count too)."""
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_since(before: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu().items())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_one(
    kind: str, fake: Any, args: argparse.Namespace, first_id: int, *extra: str
) -> dict[str, float]:
    port = free_port()
    process = start_server(kind, port, fake.url, fake.token, *extra)
    profiler = None
    try:
        await wait_healthy(port)
        await drive(port, fake, updates=args.warmup, chats=min(args.chats, args.warmup), first_id=first_id)
        if args.profile:  # py-spy samples the server during the measured run
            out = f"{args.profile}-{kind}-{port}.txt"
            spy = [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--gil",
                "--pid",
                str(process.pid),
            ]
            profiler = subprocess.Popen([*spy, "-r", "200", "--nonblocking", "--format", "raw", "-o", out])
            await asyncio.sleep(1.0)
        cpu_before, pg_before, own_before = cpu_seconds(process.pid), postgres_cpu(), time.process_time()
        result = await drive(
            port, fake, updates=args.updates, chats=args.chats, first_id=first_id + args.warmup
        )
        result["cpu_ms"] = 1000 * (cpu_seconds(process.pid) - cpu_before) / args.updates
        result["pg_ms"] = 1000 * cpu_since(pg_before) / args.updates
        result["load_ms"] = 1000 * (time.process_time() - own_before) / args.updates
        return result
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        process.terminate()
        process.wait(timeout=30)


def postgres_database(base: str) -> tuple[str, Any]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine

    admin = make_engine(base)
    name = f"cg_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


async def main(args: argparse.Namespace) -> None:
    from tests.fakes.telegram import FakeTelegram

    runs: dict[str, list[dict[str, float]]] = {}
    cleanups = []
    with FakeTelegram().in_thread() as fake, tempfile.TemporaryDirectory() as tmp:
        plan: list[tuple[str, str, tuple[str, ...]]] = [("echo", "echo", ())]
        plan.append(("sqlite", "ours", (f"sqlite:///{tmp}/bench.db", tmp)))
        if not args.no_postgres:
            base = os.environ.get("CANHGIAC_BENCH_POSTGRES_URL") or os.environ.get(
                "CANHGIAC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
            )
            url, drop = postgres_database(base)
            cleanups.append(drop)
            plan.append(("postgres", "ours", (url, tmp)))
        try:
            # Rounds interleave the servers, so a busy moment on a shared machine hits them all.
            first_id = 1
            for round_no in range(1, args.rounds + 1):
                for label, kind, extra in plan:
                    r = await run_one(kind, fake, args, first_id, *extra)
                    first_id += args.updates + args.warmup
                    runs.setdefault(label, []).append(r)
                    print(
                        f"round {round_no} {label:>8}: {r['per_second']:6.1f} updates/s  "
                        f"({args.updates} in {r['seconds']:.1f} s; webhook p50 {r['p50_ms']:.0f} ms, "
                        f"p99 {r['p99_ms']:.0f} ms; CPU ms/update: server {r['cpu_ms']:.2f}, "
                        f"postgres {r['pg_ms']:.2f}, load+fake {r['load_ms']:.2f})"
                        + (
                            f"  [{r['resent']:.0f} requests answered non-2xx and sent again]"
                            if r["resent"]
                            else ""
                        ),
                        flush=True,
                    )
            verdicts = sum(1 for c in fake.sent() if "RẤT CÓ THỂ LÀ LỪA ĐẢO" in c.text)
        finally:
            for cleanup in cleanups:
                cleanup()

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[label])

    def cpu(label: str) -> float:
        return median(label, "cpu_ms") + median(label, "pg_ms") + median(label, "load_ms")

    ceiling = median("echo", "per_second")
    print(f"\nmedians of {args.rounds} rounds; ceiling (bare aiogram echo): {ceiling:.1f} updates/s")
    for label in ("sqlite", "postgres"):
        if label in runs:
            print(
                f"{label:>8}: {median(label, 'per_second'):6.1f} updates/s, "
                f"ratio {median(label, 'per_second') / ceiling:.2f}; "
                f"CPU per update {cpu(label):.2f} ms vs echo {cpu('echo'):.2f} ms "
                f"(ratio {cpu('echo') / cpu(label):.2f})"
            )
    replies = (args.updates + args.warmup) * sum(len(r) for label, r in runs.items() if label != "echo")
    print(f"verdict cards with 'RẤT CÓ THỂ LÀ LỪA ĐẢO': {verdicts} of {replies} replies")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-ours":
        serve_ours(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "serve-echo":
        serve_echo(int(sys.argv[2]), sys.argv[3])
    else:
        parser = argparse.ArgumentParser(
            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        parser.add_argument("--updates", type=int, default=2000, help="updates per measured run")
        parser.add_argument("--chats", type=int, default=200, help="distinct chats")
        parser.add_argument("--warmup", type=int, default=300, help="updates before measuring")
        parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are reported")
        parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
        parser.add_argument("--profile", metavar="PREFIX", help="record py-spy samples of each server")
        asyncio.run(main(parser.parse_args()))
