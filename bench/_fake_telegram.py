"""The fake Telegram Bot API in its own process for bench/broadcast.py, with a /stats page.

Prints one JSON line {"url", "stats"} when ready, then serves until terminated.
/stats answers how many sendMessage calls succeeded, to how many distinct chats, the
busiest second, and the server's clock, so the bench measures what actually arrived.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from tests.fakes.telegram import FakeTelegram


async def main() -> None:
    fake = FakeTelegram()
    await fake.start()

    async def stats(_request: web.Request) -> web.Response:
        sent = fake.sent("sendMessage")
        per_second = Counter(int(c.at) for c in sent)
        body = {
            "sent": len(sent),
            "chats": len({c.chat_id for c in sent}),
            "max_per_second": max(per_second.values(), default=0),
            "now": time.monotonic(),
        }
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"url": fake.url, "stats": f"http://127.0.0.1:{port}/stats"}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
