"""`canhgiac zalo authorize|status` and `canhgiac zalo-bot set-webhook` against the fake Zalo."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.channels.zalo.admin import parse_code
from bot.channels.zalo.oauth import pkce_pair
from bot.cli import main
from tests.bot.zalo.conftest import BOT_WEBHOOK_SECRET
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.zalo import APP_ID, APP_SECRET, BOT_TOKEN, OA_SECRET_KEY, FakeZalo


def env(tmp_path: Path, fake: FakeZalo, **extra: str) -> dict[str, str]:
    values = {
        "CANHGIAC_DATA_DIR": str(tmp_path),
        "CANHGIAC_SECRET_KEYS": TEST_SECRET_KEY,
        "CANHGIAC_ZALO_APP_ID": APP_ID,
        "CANHGIAC_ZALO_APP_SECRET": APP_SECRET,
        "CANHGIAC_ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
        "CANHGIAC_ZALO_API_URL": fake.url,
        "CANHGIAC_ZALO_OAUTH_URL": fake.url,
        "CANHGIAC_ZALO_BOT_API_URL": fake.url,
        "CANHGIAC_ZALO_BOT_TOKEN": BOT_TOKEN,
        "CANHGIAC_ZALO_BOT_WEBHOOK_SECRET": BOT_WEBHOOK_SECRET,
        "CANHGIAC_PUBLIC_URL": "https://canhgiac.example.vn",
    }
    values.update(extra)
    return values


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    return CliRunner()


def test_authorize_prints_the_link_and_stores_the_pair(
    runner: CliRunner, tmp_path: Path, fake: FakeZalo
) -> None:
    verifier, challenge = pkce_pair()
    code = fake.consent(challenge)  # the admin opened the link and agreed
    redirect = f"https://canhgiac.example.vn/zalo/oauth?code={code}&oa_id=388613280878808645"
    result = runner.invoke(
        main, ["zalo", "authorize", "--verifier", verifier], input=redirect + "\n", env=env(tmp_path, fake)
    )
    assert result.exit_code == 0, result.output
    assert f"{fake.url}/v4/oa/permission?app_id={APP_ID}" in result.output
    assert f"code_challenge={challenge}" in result.output
    assert "redirect_uri=https%3A%2F%2Fcanhgiac.example.vn%2Fzalo%2Foauth" in result.output
    assert "Đã lưu token" in result.output
    status = runner.invoke(main, ["zalo", "status"], env=env(tmp_path, fake))
    assert status.exit_code == 0, status.output
    assert "OA: Cảnh Giác (thử)" in status.output
    for call in fake.calls():
        for secret in (
            call.headers.get("access_token"),
            call.body.get("refresh_token") if isinstance(call.body, dict) else None,
        ):
            assert not secret or secret not in result.output + status.output


def test_authorize_with_a_bad_code_fails_clearly(runner: CliRunner, tmp_path: Path, fake: FakeZalo) -> None:
    result = runner.invoke(main, ["zalo", "authorize", "--code", "not-a-code"], env=env(tmp_path, fake))
    assert result.exit_code != 0 and "không lấy được token" in result.output
    status = runner.invoke(main, ["zalo", "status"], env=env(tmp_path, fake))
    assert status.exit_code != 0 and "zalo authorize" in status.output


def test_authorize_on_a_server_database_needs_the_keys(
    runner: CliRunner, tmp_path: Path, fake: FakeZalo
) -> None:
    values = env(tmp_path, fake)
    values.pop("CANHGIAC_SECRET_KEYS")
    values["CANHGIAC_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    verifier, challenge = pkce_pair()
    result = runner.invoke(
        main, ["zalo", "authorize", "--verifier", verifier, "--code", fake.consent(challenge)], env=values
    )
    assert result.exit_code != 0 and "CANHGIAC_SECRET_KEYS" in result.output


def test_parse_code_checks_the_state() -> None:
    assert parse_code("abc", state="s") == ("abc", None)
    assert parse_code("https://x.vn/cb?code=abc&oa_id=9&state=s", state="s") == ("abc", "9")
    with pytest.raises(ValueError, match="state"):
        parse_code("https://x.vn/cb?code=abc&state=other", state="s")


def test_bot_set_webhook(runner: CliRunner, tmp_path: Path, fake: FakeZalo) -> None:
    result = runner.invoke(main, ["zalo-bot", "set-webhook"], env=env(tmp_path, fake))
    assert result.exit_code == 0, result.output
    assert fake.webhook == {
        "url": "https://canhgiac.example.vn/webhooks/zalo-bot",
        "secret_token": BOT_WEBHOOK_SECRET,
        "updated_at": fake.webhook["updated_at"],
    }
    assert BOT_TOKEN.split(":")[1] not in result.output
    refused = runner.invoke(
        main, ["zalo-bot", "set-webhook", "--url", "http://127.0.0.1/x"], env=env(tmp_path, fake)
    )
    assert refused.exit_code != 0 and "https" in refused.output
