"""Several `canhgiac serve` processes behind Debian's nginx, driven like Telegram drives a webhook.

Shared by the cluster test (tests/bot/test_serve_cluster.py) and the load bench
(bench/serve_cluster.py). nginx runs with the site configuration of deploy/nginx/canhgiac.conf,
its upstream servers and listening port replaced by the ones of the run. Updates are posted
the way Telegram posts them: one update of a chat at a time (the next after the 200), many
chats side by side, a non-2xx answer posted again. Each update carries a signature that its
reply repeats (a phone number in a forwarded text, the greeting of a command), so the replies
reaching the fake Bot API can be matched to the updates, in order, per chat.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SITE_CONFIG = ROOT / "deploy" / "nginx" / "canhgiac.conf"
SECRET = "cluster_secret-token"
TEST_KEY = "dGVzdC1rZXktZm9yLWNhbmhnaWFjLXRlc3RzLW9ubHk="


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_config(site: str, *, listen: int, upstreams: Sequence[int], folder: Path) -> str:
    """A whole nginx.conf around the deploy site: the run's ports, files in `folder`."""
    lines = []
    for line in site.splitlines():
        stripped = line.strip()
        if stripped.startswith("server 127.0.0.1:") and stripped.endswith(";"):
            continue  # the deploy file's example upstreams
        if stripped.startswith("listen "):
            line = f"    listen 127.0.0.1:{listen};"
        if stripped.startswith("include ") and stripped.endswith("canhgiac-proxy.conf;"):
            line = (SITE_CONFIG.parent / "canhgiac-proxy.conf").read_text(encoding="utf-8")
        lines.append(line)
        if stripped.startswith("upstream canhgiac_serve"):
            lines.extend(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in upstreams)
    return (
        f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "daemon off;\nevents { worker_connections 1024; }\n"
        "http {\n"
        f"  access_log off;\n  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n"
        f"  scgi_temp_path {folder}/scgi;\n" + "\n".join(lines) + "\n}\n"
    )


@dataclass
class Cluster:
    """N serve processes on one PostgreSQL database and Redis, nginx in front."""

    database_url: str
    redis_url: str | None
    api_url: str
    token: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    serves: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    proxy: subprocess.Popen[bytes] | None = None
    proxy_port: int = 0

    def serve_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("CANHGIAC_") and key != "PROMETHEUS_MULTIPROC_DIR"
        }
        env.update(
            CANHGIAC_DATABASE_URL=self.database_url,
            CANHGIAC_TELEGRAM_TOKEN=self.token,
            CANHGIAC_TELEGRAM_API_URL=self.api_url,
            CANHGIAC_TELEGRAM_WEBHOOK_SECRET=SECRET,
            CANHGIAC_PUBLIC_URL="https://canhgiac.example.vn",
            CANHGIAC_SECRET_KEYS=TEST_KEY,
            CANHGIAC_DATA_DIR=str(self.folder / "data"),
            CANHGIAC_LIBRARY_DIR=str(ROOT / "tests" / "content" / "data" / "library"),
            CANHGIAC_LOG_LEVEL="WARNING",
            CANHGIAC_TELEGRAM_RATE_LIMIT="0",
            CANHGIAC_BURST_SECONDS="0",
            CANHGIAC_INBOX_LEASE="5",
            CANHGIAC_OUTBOX_LEASE="5",
            CANHGIAC_WEBCHAT="false",
            CANHGIAC_CONSOLE="false",
        )
        if self.redis_url:
            env["CANHGIAC_REDIS_URL"] = self.redis_url
        metrics = self.folder / "metrics"  # one folder for the machine's processes (bot.metrics)
        metrics.mkdir(exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        env.update(self.env)
        return env

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env=self.serve_env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def start_serve(self) -> int:
        """One more `canhgiac serve`; returns its index."""
        port = free_port()
        log = open(self.folder / f"serve-{port}.log", "ab")  # noqa: SIM115 (kept for the process's life)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=self.serve_env(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.serves.append(process)
        self.ports.append(port)
        return len(self.serves) - 1

    def start_proxy(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        self.proxy_port = free_port()
        conf = self.folder / "nginx.conf"
        conf.write_text(
            proxy_config(
                SITE_CONFIG.read_text(encoding="utf-8"),
                listen=self.proxy_port,
                upstreams=self.ports,
                folder=self.folder,
            ),
            encoding="utf-8",
        )
        self.proxy = subprocess.Popen([binary, "-c", str(conf), "-p", str(self.folder)], cwd=self.folder)

    async def wait_ready(self, timeout: float = 300) -> None:
        import aiohttp

        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            for index, port in enumerate(self.ports):
                while True:
                    if self.serves[index].poll() is not None:
                        raise RuntimeError(f"serve on {port} exited: {self.tail(index)}")
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"serve on {port} not ready: {self.tail(index)}")
                    await asyncio.sleep(0.2)
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{self.proxy_port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not come up")
                await asyncio.sleep(0.1)

    def tail(self, index: int) -> str:
        path = self.folder / f"serve-{self.ports[index]}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""

    def kill(self, index: int) -> int:
        """SIGKILL one serve process; its pid."""
        process = self.serves[index]
        process.send_signal(signal.SIGKILL)
        process.wait()
        return process.pid

    def cpu_seconds(self) -> float:
        """User and system CPU of the live serve processes so far (from /proc)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for process in self.serves:
            if process.poll() is not None:
                continue
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        for process in [*self.serves, *([self.proxy] if self.proxy else [])]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.serves, *([self.proxy] if self.proxy else [])]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---- the traffic ----

PERSON = {"is_bot": False, "first_name": "Dân", "language_code": "vi"}
FORWARD = "Số {phone} nhắn: anh trúng thưởng xe máy, nộp phí 500 nghìn để nhận giải."


@dataclass(frozen=True)
class Update:
    chat: int
    body: dict[str, Any]
    signature: str  # what its reply contains


def _message(update_id: int, chat: int, text: str, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "from": {"id": chat, **PERSON},
        "chat": {"id": chat, "first_name": "Dân", "type": "private"},
        "date": int(time.time()),
        "text": text,
        **extra,
    }
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


def _press(update_id: int, chat: int, data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": {"id": chat, **PERSON},
            "chat_instance": str(chat),
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat, "first_name": "Dân", "type": "private"},
                "text": "…",
            },
        },
    }


# Replies told apart by a phrase of theirs; no two updates in a row share one (see make_traffic).
COMMANDS = (("/start", "Xin chào"), ("/kiemtra", "Hãy dán"), ("/huongdan", "Cách dùng"))
PRESSES = (("check", "Hãy dán"), ("help", "Cách dùng"))


def make_traffic(
    *,
    users: int,
    per_user: int,
    first_update: int = 1,
    seed: int = 7,
    bursts: float = 0.3,
    chat_base: int = 0,
) -> dict[int, list[Update]]:
    """Per chat, its updates in order: 70% forwarded texts to check, 20% button presses and
    dialog steps, 10% commands; a share of the users (`bursts`) start with 5 forwarded texts in
    a row (and send at least those 5)."""
    rng = random.Random(seed)
    traffic: dict[int, list[Update]] = {}
    update_id = first_update
    for n in range(users):
        chat = 8_000_000_000 + chat_base + n
        items: list[Update] = []
        bursting = rng.random() < bursts
        previous = ""
        for k in range(max(per_user, 5) if bursting else per_user):
            roll = rng.random()
            if bursting and k < 5:
                roll = 0.0
            if 0.7 <= roll < 0.9 and PRESSES[update_id % len(PRESSES)][1] == previous:
                roll = 0.0
            if roll >= 0.9 and COMMANDS[update_id % len(COMMANDS)][1] == previous:
                roll = 0.0
            if roll < 0.7:
                phone = f"09{(update_id % 100_000_000):08d}"
                body = _message(
                    update_id,
                    chat,
                    FORWARD.format(phone=phone),
                    forward_origin={"type": "hidden_user", "sender_user_name": "Lạ", "date": 1},
                )
                signature = f"{phone[:4]} {phone[4:7]} {phone[7:]}"
            elif roll < 0.9:
                data, signature = PRESSES[update_id % len(PRESSES)]
                body = _press(update_id, chat, data)
            else:
                text, signature = COMMANDS[update_id % len(COMMANDS)]
                body = _message(update_id, chat, text)
            items.append(Update(chat, body, signature))
            previous = signature
            update_id += 1
        traffic[chat] = items
    return traffic


@dataclass
class Drive:
    """What posting the traffic gave: per update id, when its POST started and got its 200."""

    posted: dict[int, float] = field(default_factory=dict)
    acknowledged: dict[int, float] = field(default_factory=dict)
    resent: int = 0
    started: float = 0.0
    finished: float = 0.0


async def drive(
    url: str,
    traffic: dict[int, list[Update]],
    *,
    connections: int = 40,
    result: Drive | None = None,
) -> Drive:
    """Post every chat's updates in order, `connections` at a time, each until it gets a 200."""
    import aiohttp

    result = result or Drive()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    chats = list(traffic.values())
    random.Random(3).shuffle(chats)
    lanes = [chats[i::connections] for i in range(connections)]
    result.started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)

    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def post(update: Update) -> None:
            body = json.dumps(update.body)
            update_id = int(update.body["update_id"])
            result.posted[update_id] = time.monotonic()
            for _attempt in range(3000):
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        if response.status == 200:
                            result.acknowledged[update_id] = time.monotonic()
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                result.resent += 1
                await asyncio.sleep(0.1)
            raise RuntimeError(f"update {update_id} refused for five minutes")

        async def lane(own: list[list[Update]]) -> None:
            # Interleaved: one update of each chat of the lane in turn, never two of one chat at once.
            queues = [list(items) for items in own]
            while any(queues):
                for queue in queues:
                    if queue:
                        await post(queue.pop(0))

        await asyncio.gather(*(lane(own) for own in lanes if own))
    result.finished = time.monotonic()
    return result


@dataclass
class Verdict:
    answered: int
    missing: list[int]
    out_of_order: list[int]  # chats whose replies came in another order
    duplicates: list[int]  # update ids answered more than once
    reply_at: dict[int, float]  # update id → when its (first) reply reached the fake


def verify(traffic: dict[int, list[Update]], calls: Sequence[Any]) -> Verdict:
    """Match the replies the fake received to the updates, per chat, in order.

    A reply repeated right after itself is an update answered twice (taken over after its
    process sent the reply and died before recording it); no two updates in a row of the
    traffic share a reply phrase, so this cannot be mistaken for the next update's reply."""
    by_chat: dict[int, list[Any]] = {}
    for call in calls:
        if call.chat_id is not None:
            by_chat.setdefault(int(call.chat_id), []).append(call)
    missing: list[int] = []
    out_of_order: list[int] = []
    duplicates: list[int] = []
    reply_at: dict[int, float] = {}
    for chat, updates in traffic.items():
        replies = by_chat.get(chat, [])
        position = 0
        previous: Update | None = None
        for update in updates:
            update_id = int(update.body["update_id"])
            while (
                previous is not None
                and position < len(replies)
                and previous.signature in replies[position].text
                and update.signature not in replies[position].text
            ):
                duplicates.append(int(previous.body["update_id"]))
                position += 1
            if position < len(replies) and update.signature in replies[position].text:
                reply_at[update_id] = replies[position].at
                position += 1
            elif any(update.signature in reply.text for reply in replies):
                out_of_order.append(chat)
            else:
                missing.append(update_id)
            previous = update
        while (
            previous is not None and position < len(replies) and previous.signature in replies[position].text
        ):
            duplicates.append(int(previous.body["update_id"]))
            position += 1
        if position < len(replies):
            out_of_order.append(chat)  # replies left over that match no update in its place
    return Verdict(len(reply_at), missing, sorted(set(out_of_order)), duplicates, reply_at)


def explain(traffic: dict[int, list[Update]], calls: Sequence[Any], chats: Sequence[int]) -> str:
    """What a chat sent and what it got, side by side (for a failing assertion)."""
    lines = []
    for chat in chats:
        lines.append(f"chat {chat}: sent {[u.signature for u in traffic[chat]]}")
        got = [c.text[:60].replace("\n", " ") for c in calls if c.chat_id == str(chat)]
        lines.append(f"  got {got}")
    return "\n".join(lines)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
