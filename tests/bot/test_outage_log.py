"""A database outage is logged once with its traceback, then one counting line per interval."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from bot.channels.telegram import webhook as telegram_webhook
from bot.channels.webchat.channel import WebChatChannel
from bot.logs import DatabaseOutageFilter, setup_logging
from bot.web.app import create_app
from storage.db import make_engine

DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # nothing listens there
SECRET = "s3cr3t_Webhook-token"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("INFO", stream=stream)
    yield stream
    root.handlers[:] = saved
    root.setLevel(level)


async def test_many_failing_requests_log_one_traceback(services, log_output: io.StringIO) -> None:  # type: ignore[no-untyped-def]
    services.channels["web"] = WebChatChannel()
    services.direct_routes[("POST", telegram_webhook.PATH)] = telegram_webhook.make_endpoint(
        services.dispatcher, secret=SECRET
    )
    app = create_app(services, background=False)
    down = make_engine(DOWN)
    services.engine = services.conversations.engine = services.dispatcher.engine = down
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for n in range(60):
            chat = await client.post("/api/chat", json={"text": f"tin nhắn {n}"})
            assert chat.status_code == 200  # the resident gets the apology
            hook = await client.post(
                "/webhooks/telegram",
                json={
                    "update_id": 1000 + n,
                    "message": {
                        "message_id": n,
                        "date": 0,
                        "chat": {"id": 5, "type": "private"},
                        "from": {"id": 5, "is_bot": False, "first_name": "A"},
                        "text": "x",
                    },
                },
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert hook.status_code == 503  # Telegram delivers it again later
    out = log_output.getvalue()
    errors = [line for line in out.splitlines() if re.match(r"\d{4}-\d\d-\d\d .* ERROR ", line)]
    assert len(errors) == 1 and "database unavailable" in errors[0], errors[:5]
    assert "Traceback" in out
    assert len(out.splitlines()) < 300  # one traceback and the request lines, not 120 tracebacks


def _failure() -> BaseException:
    try:
        with make_engine(DOWN).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return exc
    raise AssertionError("the database answered")


def test_one_line_per_interval_with_a_count_then_a_new_outage_is_logged_whole() -> None:
    now = [0.0]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(DatabaseOutageFilter(interval=10.0, clock=lambda: now[0]))
    logger = logging.getLogger("test.outage")
    logger.addHandler(handler)
    logger.propagate = False
    exc = _failure()
    try:
        for step in range(250):  # 25 s of failures, ten a second
            now[0] = step / 10
            logger.error("update could not be recorded", exc_info=exc)
        logger.error("an unrelated bug", exc_info=ValueError("x"))
        now[0] = 60.0  # the database was back for a while; it fails again
        logger.error("update could not be recorded", exc_info=exc)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue()
    # Whole (with its traceback): the outage's first failure, the unrelated bug, the new outage's first.
    assert lines.count("update could not be recorded") == 2 and "an unrelated bug" in lines
    assert lines.count("Traceback (most recent call last)") >= 2
    counts = [line for line in lines.splitlines() if line.startswith("database still unavailable")]
    assert len(counts) == 2 and counts[0].startswith(
        "database still unavailable: 100 failures in the last 10 s"
    )
    assert "OperationalError" in counts[0]
