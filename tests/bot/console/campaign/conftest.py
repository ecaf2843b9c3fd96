"""Campaign fixtures: the console on SQLite and on PostgreSQL, with units, officers and two
communes' registers (Hoàn Kiếm, the officer's; Ba Đình, another commune of the same province)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import Services, build_services
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.console.routes import build_router
from storage.campaign import hamlets, organisations
from storage.campaign.hamlets import HamletIn
from storage.campaign.organisations import OrganisationIn
from storage.campaign.scope import CampaignScope
from storage.db import transaction
from tests.bot.console.conftest import BA_DINH, FAST_HASHER, HOAN_KIEM, World, make_world
from tests.conftest import TEST_SECRET_KEY

EVERYTHING = CampaignScope(everything=True, can_edit_registers=True)


@dataclass
class Registers:
    hamlet_a: int  # Hoàn Kiếm, 100 households, 4 notice boards
    hamlet_b: int  # Hoàn Kiếm, 50 households, no boards registered
    hamlet_c: int  # Hoàn Kiếm, households unknown
    hamlet_other: int  # Ba Đình
    school: int  # Hoàn Kiếm
    company: int  # Hoàn Kiếm, production, 200 workers
    other_school: int  # Ba Đình


@pytest.fixture
def console_db(db_url: str, tmp_path: Path, test_library: Any) -> Iterator[Services]:
    """The console on both databases (the parent folder's `console` is SQLite only)."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=db_url, run_worker=False, secret_keys=TEST_SECRET_KEY, _env_file=None
    )
    services = build_services(settings, library=test_library)
    services.hasher = FAST_HASHER
    services.routers.append(build_router())
    yield services
    services.engine.dispose()


@pytest.fixture
def cworld(console_db: Services) -> World:
    return make_world(console_db)


@pytest.fixture
def client(console_db: Services) -> Iterator[TestClient]:
    with TestClient(create_app(console_db, background=False), follow_redirects=False) as c:
        yield c


def make_registers(services: Services) -> Registers:
    with transaction(services.engine) as s:

        def hamlet(ward: int, name: str, households: int | None, boards: int | None = None) -> int:
            row = hamlets.create_hamlet(
                s,
                scope=EVERYTHING,
                data=HamletIn(ward, name, "thon", households, boards),
                actor="test",
            )
            assert row.id is not None
            return row.id

        def org(ward: int, name: str, category: str, staff: int | None = None) -> int:
            row = organisations.create_organisation(
                s,
                scope=EVERYTHING,
                data=OrganisationIn(ward, name, category, staff_or_members=staff),
                actor="test",
            )
            assert row.id is not None
            return row.id

        return Registers(
            hamlet_a=hamlet(HOAN_KIEM, "Tổ dân phố số 1", 100, 4),
            hamlet_b=hamlet(HOAN_KIEM, "Tổ dân phố số 2", 50),
            hamlet_c=hamlet(HOAN_KIEM, "Tổ dân phố số 3", None),
            hamlet_other=hamlet(BA_DINH, "Tổ dân phố số 9", 80),
            school=org(HOAN_KIEM, "Trường THCS Hoàn Kiếm", "school", 40),
            company=org(HOAN_KIEM, "Công ty May Hồ Gươm", "production", 200),
            other_school=org(BA_DINH, "Trường Tiểu học Ba Đình", "school"),
        )


@pytest.fixture
def registers(console_db: Services, cworld: World) -> Registers:
    return make_registers(console_db)
