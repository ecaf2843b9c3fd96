"""Deeply nested JSON is invalid input: refused by the webhooks, one error line in `check --jsonl`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.channels.telegram import webhook as telegram_webhook
from bot.channels.zalo import webhook as zalo_webhook
from bot.channels.zalo.signature import SignatureVerifier
from bot.web.app import create_app

DEEP = b"[" * 50_000 + b"]" * 50_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
TELEGRAM_SECRET = "s3cr3t_Webhook-token"
BOT_SECRET = "bot-webhook-secret-123"


@pytest.fixture
async def client(services) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    routes = services.direct_routes
    routes[("POST", telegram_webhook.PATH)] = telegram_webhook.make_endpoint(
        services.dispatcher, secret=TELEGRAM_SECRET
    )
    routes[("POST", zalo_webhook.OA_PATH)] = zalo_webhook.oa_endpoint(
        services.dispatcher, SignatureVerifier(app_id="1", oa_secret_key="k")
    )
    routes[("POST", zalo_webhook.BOT_PATH)] = zalo_webhook.bot_endpoint(services.dispatcher, BOT_SECRET)
    app = create_app(services, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/webhooks/zalo", {"X-ZEvent-Signature": "mac=" + "0" * 64}),
        ("/webhooks/zalo-bot", {"X-Bot-Api-Secret-Token": BOT_SECRET}),
        ("/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}),
    ],
)
async def test_webhooks_refuse_deep_json_as_invalid_input(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: bytes
) -> None:
    response = await client.post(path, content=body, headers={"content-type": "application/json", **headers})
    assert response.status_code == 400


def test_check_jsonl_goes_on_past_deep_json_and_takes_a_bom(tmp_path: Path) -> None:
    lines = [
        "\ufeff" + json.dumps({"id": "a", "text": "xin chào"}),
        DEEP.decode(),
        '{"id": "b", "text": ' + "[" * 5_000 + "]" * 5_000 + "}",
        json.dumps({"id": "c", "text": "Chuyển tiền vào tài khoản tạm giữ 0912345678 ngay"}),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--jsonl"],
        input=("\n".join(lines) + "\n").encode(),
        capture_output=True,
        env={
            "CANHGIAC_DATA_DIR": str(tmp_path),
            "CANHGIAC_DATABASE_URL": f"sqlite:///{tmp_path / 'cg.db'}",
            "PATH": "/usr/bin:/bin",
        },
        cwd=Path(__file__).parents[2],
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == "a" and out[0]["verdict"] == "no_match"
    assert out[1]["id"] is None and "error" in out[1]
    assert out[2]["id"] is None and "error" in out[2]
    assert out[3]["id"] == "c" and "verdict" in out[3]
    assert "Traceback" not in proc.stderr.decode()
