"""`canhgiac telegram set-webhook / webhook-info / delete-webhook` against the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.bot.channels.telegram.conftest import SECRET
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def threaded_fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().in_thread() as server:
        yield server


def _env(fake: FakeTelegram, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "CANHGIAC_DATA_DIR": str(tmp_path),
        "CANHGIAC_TELEGRAM_TOKEN": fake.token,
        "CANHGIAC_TELEGRAM_API_URL": fake.url,
        "CANHGIAC_PUBLIC_URL": "https://canhgiac.example.vn/",
        "CANHGIAC_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    env.update(extra)
    return env


def test_set_webhook_registers_url_secret_and_update_types(
    threaded_fake: FakeTelegram, tmp_path: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["telegram", "set-webhook"], env=_env(threaded_fake, tmp_path))
    assert result.exit_code == 0, result.output
    assert threaded_fake.webhook["url"] == "https://canhgiac.example.vn/webhooks/telegram"
    assert threaded_fake.webhook["secret_token"] == SECRET
    assert threaded_fake.webhook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert "https://canhgiac.example.vn/webhooks/telegram" in result.output

    info = runner.invoke(main, ["telegram", "webhook-info"], env=_env(threaded_fake, tmp_path))
    assert "url: https://canhgiac.example.vn/webhooks/telegram" in info.output

    gone = runner.invoke(main, ["telegram", "delete-webhook"], env=_env(threaded_fake, tmp_path))
    assert gone.exit_code == 0 and threaded_fake.webhook == {}


def test_set_webhook_needs_a_secret(threaded_fake: FakeTelegram, tmp_path: Path) -> None:
    env = _env(threaded_fake, tmp_path)
    env.pop("CANHGIAC_TELEGRAM_WEBHOOK_SECRET")
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=env)
    assert result.exit_code != 0 and "CANHGIAC_TELEGRAM_WEBHOOK_SECRET" in result.output
    assert threaded_fake.sent("setWebhook") == []


def test_a_bad_secret_is_a_configuration_error(threaded_fake: FakeTelegram, tmp_path: Path) -> None:
    env = _env(threaded_fake, tmp_path, CANHGIAC_TELEGRAM_WEBHOOK_SECRET="có dấu cách")
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=env)
    assert result.exit_code != 0 and "CANHGIAC_TELEGRAM_WEBHOOK_SECRET" in result.output
    assert "có dấu cách" not in result.output


def test_telegram_refusal_is_shown_without_the_token(threaded_fake: FakeTelegram, tmp_path: Path) -> None:
    threaded_fake.fail("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=_env(threaded_fake, tmp_path))
    assert result.exit_code != 0
    assert "HTTPS url must be provided" in result.output
    assert threaded_fake.token not in result.output
