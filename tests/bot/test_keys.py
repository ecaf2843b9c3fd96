"""Encryption keys: generated for the embedded default, required with PostgreSQL."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.keys import load_cipher
from bot.settings import ConfigError, Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_embedded_default_generates_a_private_key_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        first = load_cipher(_settings(tmp_path))
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated an encryption key" in caplog.text
    assert key_file.read_text().strip() not in caplog.text  # the key itself is never logged
    token = first.encrypt("0912000111")
    assert load_cipher(_settings(tmp_path)).decrypt(token) == "0912000111"


def test_server_database_without_keys_refuses_to_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path, database_url="postgresql+psycopg://u@db/canhgiac")
    with pytest.raises(ConfigError, match="CANHGIAC_SECRET_KEYS"):
        load_cipher(settings)
    assert not (tmp_path / "secret.key").exists()


def test_a_bad_key_is_named_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_cipher(_settings(tmp_path, secret_keys="not-a-real-key-value"))
    assert "CANHGIAC_SECRET_KEYS" in str(info.value) and "not-a-real-key-value" not in str(info.value)
