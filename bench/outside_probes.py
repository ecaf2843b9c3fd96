"""The outside probes of the security items, against a real `canhgiac serve`, with figures.

Starts the server on the embedded default (SQLite in a scratch folder) with the Zalo OA,
Zalo Bot API and Telegram webhooks and the web chat on (Telegram against the local fake
Bot API), then, from this machine's loopback only:

1. memory under oversized bodies: a 500 MB chunked POST to each public route, and one
   declaring 500 MB; the server's peak resident memory (VmRSS, sampled every 5 ms) against
   its idle memory, and how much the server read before refusing;
2. 60 concurrent console logins (argon2id with the library's defaults, 64 MiB a hash):
   peak resident memory, the answers, and the time to answer them all;
3. deeply nested JSON: the answer of each webhook and the chat API, and a
   `canhgiac check --jsonl` run with a deep line between two good ones.

Usage: .venv/bin/python bench/outside_probes.py   (about a minute; prints the figures)
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from _common import free_port, rss_mb  # bench/ is the script's folder

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BODY_TOTAL = 500 * 1024 * 1024
CHUNK = 1024 * 1024
LOGINS = 60
PASSWORD = "mat-khau-kiem-thu-1"
TELEGRAM_SECRET = "bench_secret_token"
ZALO_BOT_SECRET = "bench-bot-secret"
UPLOAD_OPENING = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
)
DEEP = b"[" * 100_000 + b"]" * 100_000


class PeakRss:
    """Samples a process's VmRSS in a thread while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pid))


def chunked_post(
    port: int, path: str, headers: dict[str, str], *, declare: bool = False, opening: bytes = b""
) -> tuple[int, int]:
    """POST up to 500 MB (after `opening`) as fast as the server takes it; returns the status and
    the bytes this side had handed to the network (socket buffers included) when the answer came."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {BODY_TOTAL}\r\n" if declare else "Transfer-Encoding: chunked\r\n"
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall((head + "\r\n").encode())
    chunk = b"x" * CHUNK
    framed = chunk if declare else f"{CHUNK:x}\r\n".encode() + chunk + b"\r\n"
    if opening:
        sock.sendall(opening if declare else f"{len(opening):x}\r\n".encode() + opening + b"\r\n")
    sent = len(opening)
    sock.settimeout(0.0)
    answer = b""
    try:
        while sent < BODY_TOTAL:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            sock.settimeout(5.0)
            sock.sendall(framed)
            sock.settimeout(0.0)
            sent += CHUNK
        if not declare and sent >= BODY_TOTAL:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(10.0)
    try:
        while b"\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    except (TimeoutError, ConnectionResetError):
        pass
    sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def start(data: str, port: int, telegram_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CANHGIAC_DATA_DIR": data,
        "CANHGIAC_PORT": str(port),
        "CANHGIAC_LOG_LEVEL": "WARNING",
        # http: the console cookies are Secure behind https, and this client speaks plain http
        "CANHGIAC_PUBLIC_URL": "http://canhgiac.bench.example",
        "CANHGIAC_WEBCHAT": "true",
        "CANHGIAC_RUN_WORKER": "false",
        "CANHGIAC_ZALO_APP_ID": "1234567890",
        "CANHGIAC_ZALO_APP_SECRET": "bench-app-secret",
        "CANHGIAC_ZALO_OA_SECRET_KEY": "bench-oa-secret",
        "CANHGIAC_ZALO_API_URL": "http://127.0.0.1:9",
        "CANHGIAC_ZALO_OAUTH_URL": "http://127.0.0.1:9",
        "CANHGIAC_ZALO_BOT_TOKEN": "bench-bot-token",
        "CANHGIAC_ZALO_BOT_API_URL": "http://127.0.0.1:9",
        "CANHGIAC_ZALO_BOT_WEBHOOK_SECRET": ZALO_BOT_SECRET,
        "CANHGIAC_TELEGRAM_TOKEN": "42:TEST-token_for-the-fake",
        "CANHGIAC_TELEGRAM_API_URL": telegram_url,
        "CANHGIAC_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    }
    subprocess.run(
        [str(BIN / "canhgiac"), "officer", "create", "--username", "canbo1", "--full-name", "Cán bộ",
         "--admin", "--password", PASSWORD],
        env=env, cwd=data, check=True, capture_output=True,
    )  # fmt: skip
    proc = subprocess.Popen([str(BIN / "canhgiac"), "serve"], env=env, cwd=data)
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start")


def probe_bodies(proc: subprocess.Popen[bytes], port: int) -> None:
    routes = {
        "/webhooks/zalo": {"Content-Type": "application/json", "X-ZEvent-Signature": "mac=" + "0" * 64},
        "/webhooks/zalo-bot": {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": ZALO_BOT_SECRET},
        "/webhooks/telegram": {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
        },
        "/api/chat": {"Content-Type": "application/json"},
        "/api/chat/upload": {"Content-Type": "multipart/form-data; boundary=b"},
        "/console/login": {"Content-Type": "application/x-www-form-urlencoded"},
    }
    print("1. a 500 MB body to each public route (server memory in MB)")
    print(f"   {'route':<22} {'kind':<9} {'status':>6} {'sent MB':>8} {'idle':>7} {'peak':>7} {'growth':>7}")
    worst = 0.0
    for path, headers in routes.items():
        for declare in (False, True):
            time.sleep(0.3)
            idle = rss_mb(proc.pid)
            with PeakRss(proc.pid) as rss:
                opening = UPLOAD_OPENING if path.endswith("upload") else b""
                status, sent = chunked_post(port, path, headers, declare=declare, opening=opening)
            growth = rss.peak - idle
            worst = max(worst, growth)
            kind = "declared" if declare else "chunked"
            figures = f"{sent / 1e6:>8.1f} {idle:>7.1f} {rss.peak:>7.1f} {growth:>+7.1f}"
            print(f"   {path:<22} {kind:<9} {status:>6} {figures}")
    print(f"   largest growth over idle: {worst:.1f} MB (goal: within 20 MB)")


def probe_logins(proc: subprocess.Popen[bytes], port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    clients = []
    for n in range(LOGINS):
        # each from its own loopback address, so the per-address throttle is not what answers
        transport = httpx.HTTPTransport(local_address=f"127.0.{n // 200 + 1}.{n % 200 + 1}")
        client = httpx.Client(base_url=base, transport=transport, timeout=60)
        page = client.get("/console/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        clients.append((client, token))
    time.sleep(0.5)
    idle = rss_mb(proc.pid)
    statuses: list[int] = []
    barrier = threading.Barrier(LOGINS)

    def login(client: httpx.Client, token: str, n: int) -> None:
        barrier.wait()
        password = PASSWORD if n % 2 == 0 else "sai-mat-khau"
        response = client.post(
            "/console/login", data={"username": "canbo1", "password": password, "csrf_token": token}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=login, args=(c, t, n)) for n, (c, t) in enumerate(clients)]
    started = time.monotonic()
    with PeakRss(proc.pid) as rss:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    took = time.monotonic() - started
    for client, _ in clients:
        client.close()
    answers = ", ".join(f"{code}: {n}" for code, n in sorted(Counter(statuses).items()))
    print(f"2. {LOGINS} concurrent console logins (half with the right password)")
    print(
        f"   idle {idle:.1f} MB, peak {rss.peak:.1f} MB (goal: under 400 MB); answers {answers}; {took:.1f} s"
    )


def probe_nesting(port: int, data: str) -> None:
    base = f"http://127.0.0.1:{port}"
    checks = {
        "/webhooks/zalo": {"X-ZEvent-Signature": "mac=" + "0" * 64},
        "/webhooks/zalo-bot": {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET},
        "/webhooks/telegram": {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        "/api/chat": {},
    }
    print("3. JSON nested 100,000 deep")
    for path, headers in checks.items():
        response = httpx.post(
            base + path, content=DEEP, headers={"Content-Type": "application/json", **headers}
        )
        print(f"   {path:<22} {response.status_code}")
    lines = [
        json.dumps({"id": "a", "text": "xin chào"}),
        DEEP.decode(),
        json.dumps({"id": "b", "text": "chào"}),
    ]
    run = subprocess.run(
        [str(BIN / "canhgiac"), "check", "--jsonl"],
        input=("\ufeff" + "\n".join(lines) + "\n").encode(),
        capture_output=True,
        env={**os.environ, "CANHGIAC_DATA_DIR": data},
        cwd=data,
        check=False,
    )
    out = [json.loads(line) for line in run.stdout.decode().splitlines()]
    errors = sum(1 for item in out if "error" in item)
    print(
        f"   check --jsonl (BOM, good, deep, good): exit {run.returncode}, {len(out)} lines out, "
        f"{errors} error line(s), traceback: {'Traceback' in run.stderr.decode()}"
    )


def main() -> None:
    data = tempfile.mkdtemp(prefix="cg-probe-")
    fake = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "_fake_telegram.py")], stdout=subprocess.PIPE, cwd=REPO
    )
    assert fake.stdout is not None
    telegram_url = json.loads(fake.stdout.readline())["url"]
    port = free_port()
    proc = start(data, port, telegram_url)
    try:
        print(f"server idle after start: {rss_mb(proc.pid):.1f} MB")
        probe_bodies(proc, port)
        probe_logins(proc, port)
        probe_nesting(port, data)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        fake.terminate()
        fake.wait(timeout=30)


if __name__ == "__main__":
    main()
