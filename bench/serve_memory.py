"""Memory of the serving process: start `canhgiac serve` on the embedded default, send chat
messages through the web chat, and print its resident memory (VmRSS) before and after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import free_port, rss_mb

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def main() -> None:
    port = free_port()
    data = tempfile.mkdtemp(prefix="cg-mem-")
    env = {
        **os.environ,
        "CANHGIAC_DATA_DIR": data,
        "CANHGIAC_PORT": str(port),
        "CANHGIAC_LOG_LEVEL": "WARNING",
    }
    canhgiac = str(Path(sys.executable).parent / "canhgiac")
    proc = subprocess.Popen([canhgiac, "serve"], env=env, cwd=data)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        print(f"after start: {rss_mb(proc.pid):.0f} MB")
        dev = SHARED / "eval" / "check-dev.jsonl"
        texts = [json.loads(line)["text"] for line in dev.read_text("utf-8").splitlines() if line.strip()]
        with httpx.Client(base_url=base, timeout=30) as client:
            for round_ in range(5):
                for text in texts:
                    client.post("/api/chat", json={"text": text})
                client.cookies.clear()
                print(f"after {(round_ + 1) * len(texts)} messages: {rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
