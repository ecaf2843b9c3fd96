"""Wiring: the runtime adds the Zalo channels, routes and upkeep only when they are configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import build_runtime
from bot.settings import ConfigError, load_settings
from tests.bot.zalo.conftest import make_settings
from tests.fakes.zalo import FakeZalo


def paths(services) -> set[str]:  # type: ignore[no-untyped-def]
    """Every path the web app serves beyond its own: routers and direct webhook endpoints."""
    routed = {route.path for router in services.routers for route in router.routes}
    return routed | {path for _method, path in services.direct_routes}


async def test_configured_zalo_is_wired(tmp_path: Path, sqlite_url: str, fake: FakeZalo) -> None:
    services = build_runtime(make_settings(tmp_path, sqlite_url, fake, run_worker=True))
    try:
        assert {"zalo", "zalo_bot", "web"} <= set(services.channels)
        assert {"zalo", "zalo_bot"} <= set(services.dispatcher.channels)
        assert {"/webhooks/zalo", "/webhooks/zalo-bot"} <= paths(services)
        assert len(services.background) == 3  # token upkeep, the outbox worker, maintenance
    finally:
        for stop in services.shutdown:
            await stop()
        services.engine.dispose()


def test_unconfigured_zalo_is_absent(tmp_path: Path, sqlite_url: str, fake: FakeZalo) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, fake, zalo_app_id=None, zalo_bot_token=None, zalo_bot_webhook_secret=None
    )
    services = build_runtime(settings)
    assert "zalo" not in services.channels and "zalo_bot" not in services.channels
    assert not {"/webhooks/zalo", "/webhooks/zalo-bot"} & paths(services)
    services.engine.dispose()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"zalo_bot_webhook_secret": None}, "CANHGIAC_ZALO_BOT_WEBHOOK_SECRET"),
        ({"zalo_signature_variants": "app_id+nothing"}, "SIGNATURE_VARIANTS"),
    ],
)
def test_missing_pieces_are_named(
    tmp_path: Path, sqlite_url: str, fake: FakeZalo, overrides: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        build_runtime(make_settings(tmp_path, sqlite_url, fake, **overrides))


def test_settings_check_secret_lengths() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        load_settings(_env_file=None, zalo_bot_webhook_secret="1234")
