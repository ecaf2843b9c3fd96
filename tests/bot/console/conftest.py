"""Console fixtures: the web app on a migrated SQLite database, officers and units, a logged-in client."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bot.app import Services, build_services
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.console.routes import build_router
from storage import officers, units
from storage.db import transaction
from tests.conftest import TEST_SECRET_KEY

PASSWORD = "mat-khau-du-dai-1"
HANOI, HOAN_KIEM, BA_DINH, HUE = 1, 70, 4, 46
# The library's defaults cost a quarter second a hash; tests check behaviour, not cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """Two provinces' worth of units and one officer of each kind."""

    province_unit: int
    commune_unit: int
    other_commune_unit: int
    other_province_unit: int
    admin: int
    province_officer: int
    commune_officer: int
    other_commune_officer: int


def console_services(url: str, tmp_path: Path, library: Any) -> Services:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=url, run_worker=False, secret_keys=TEST_SECRET_KEY, _env_file=None
    )
    services = build_services(settings, library=library)
    services.hasher = FAST_HASHER
    services.routers.append(build_router())
    return services


@pytest.fixture
def console(sqlite_url: str, tmp_path: Path, test_library: Any) -> Iterator[Services]:
    services = console_services(sqlite_url, tmp_path, test_library)
    yield services
    services.engine.dispose()


def make_world(services: Services) -> World:
    with transaction(services.engine) as s:
        hanoi = units.create_province_unit(s, province_code=HANOI, actor="test")
        commune = units.create_commune_unit(s, ward_code=HOAN_KIEM, actor="test")
        other = units.create_commune_unit(s, ward_code=BA_DINH, actor="test")
        hue = units.create_province_unit(s, province_code=HUE, actor="test")

        def make(username: str, role: str, unit_id: int | None) -> int:
            o = officers.create_officer(
                s,
                hasher=FAST_HASHER,
                username=username,
                full_name=f"Cán bộ {username}",
                password=PASSWORD,
                role=role,
                unit_id=unit_id,
                actor="test",
            )
            assert o.id is not None
            return o.id

        assert hanoi.id and commune.id and other.id and hue.id
        return World(
            province_unit=hanoi.id,
            commune_unit=commune.id,
            other_commune_unit=other.id,
            other_province_unit=hue.id,
            admin=make("quantri", "admin", None),
            province_officer=make("tinh", "province", hanoi.id),
            commune_officer=make("xa1", "commune", commune.id),
            other_commune_officer=make("xa2", "commune", other.id),
        )


@pytest.fixture
def world(console: Services) -> World:
    return make_world(console)


@pytest.fixture
def app_client(console: Services) -> Iterator[TestClient]:
    with TestClient(create_app(console, background=False), follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text
    return client


def submit(services: Services, **overrides: Any) -> int:
    """A resident's tip through the same operation the report dialog uses; returns its id."""
    from storage.tips import EntityIn, TipDraft, submit_tip

    values: dict[str, Any] = {
        "reporter_channel": "web",
        "reporter_user_key": "resident-1",
        "consent_at": dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        "consent_version": "2026-01",
        "modus_id": "fake-bank",
        "story": "Có người giả nhân viên ngân hàng gọi, bảo tôi bấm link để nâng hạn mức thẻ.",
        "occurred_on": dt.date(2026, 11, 19),
        "amount_lost": 5_000_000,
        "province_code": HANOI,
        "ward_code": HOAN_KIEM,
        "entities": (EntityIn("phone", "+84912345678"), EntityIn("bank_account", "0123456789", "VCB")),
    }
    values.update(overrides)
    with transaction(services.engine) as s:
        tip = submit_tip(s, cipher=services.cipher, draft=TipDraft(**values))
        assert tip.id is not None
        return tip.id
