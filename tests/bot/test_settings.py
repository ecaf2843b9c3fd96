"""Settings: every one is documented in the README, bad values name their variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, load_settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _variable(name: str) -> str:
    """The environment variable a setting reads: CANHGIAC_NAME, or an upper-case alias of its
    own (prometheus-client's PROMETHEUS_MULTIPROC_DIR, read by the library itself)."""
    alias = Settings.model_fields[name].validation_alias
    names = [c for c in getattr(alias, "choices", []) if isinstance(c, str) and c.isupper()]
    return names[0] if names else f"CANHGIAC_{name.upper()}"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(name: str) -> None:
    assert f"`{_variable(name)}`" in README


def test_every_setting_has_a_description() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANHGIAC_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="CANHGIAC_PORT"):
        load_settings(_env_file=None)


def test_embedded_default_uses_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.is_embedded
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'canhgiac.db'}"
