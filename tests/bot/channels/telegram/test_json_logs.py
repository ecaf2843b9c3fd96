"""CANHGIAC_LOG_FORMAT=json: one object per line, with request and update ids, and never what
a resident told us during a report (story, phone number, contact's name)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot import logs
from tests.bot.channels.telegram.conftest import CHAT, Webhook, load_update, press_update, text_update
from tests.storage.tip_fixtures import make_world

STORY = "Kẻ gian tên Trịnh Văn Quýnh gọi từ số 0987 654 321 đòi chuyển khoản"
PHONE = "84912345678"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    logs.setup_logging("INFO", log_format="json", stream=stream)  # the default level, and ours in detail
    logging.getLogger("bot").setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logging.getLogger("bot").setLevel(logging.NOTSET)
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


async def test_a_report_dialog_logs_ids_and_no_personal_data(webhook: Webhook, json_log: io.StringIO) -> None:
    make_world(webhook.services.engine)
    update_id = 8800

    async def post(update: dict[str, Any]) -> None:
        response = await webhook.post(update, headers={"X-Request-ID": f"req-{update['update_id']}"})
        assert (
            response.status_code == 200 and response.headers["x-request-id"] == f"req-{update['update_id']}"
        )
        await webhook.settle()

    def step(kind: str, value: str) -> dict[str, Any]:
        nonlocal update_id
        update_id += 1
        return (press_update if kind == "press" else text_update)(value, update_id=update_id)

    await post(load_update("forwarded", update_id=8800))
    for kind, value in [
        ("press", "report:check"),
        ("press", "report:consent:yes"),
        ("press", "report:modus:impersonate-authority"),
        ("say", STORY),
        ("press", "report:story:done"),
        ("say", "hôm qua"),
        ("say", "5 triệu"),
        ("press", "report:ent:ok"),
        ("press", "report:ev:done"),
        ("say", "Hà Nội"),
        ("say", "Hoàn Kiếm"),
        ("press", "report:contact:phone"),
    ]:
        await post(step(kind, value))
    contact = load_update("contact", update_id=8900)
    await post(contact)
    sent = [call.text for call in webhook.fake.sent(chat_id=CHAT)]
    assert any("0912" in text or "912 345 678" in text for text in sent), sent[
        -2:
    ]  # the dialog took the phone

    lines = [line for line in json_log.getvalue().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message", "request_id", "update_id"} <= set(records[0])
    assert any(r["update_id"] is not None and r["request_id"] == "req-8801" for r in records), lines
    everything = json_log.getvalue()
    for secret in ("Quýnh", "0987 654 321", "0987654321", PHONE, "912345678", "Lan", "Hoàn Kiếm"):
        assert secret not in everything, secret
