"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when
CANHGIAC_TEST_POSTGRES_URL is set), services built from test settings, a chat harness."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import upgrade

POSTGRES_URL = os.environ.get("CANHGIAC_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("CANHGIAC_TEST_REDIS_URL")
# A fixed test key for personal-data encryption (never a production key).
TEST_SECRET_KEY = "dGVzdC1rZXktZm9yLWNhbmhnaWFjLXRlc3RzLW9ubHk="


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("CANHGIAC_TEST_POSTGRES_URL is not set")
    admin = make_engine(POSTGRES_URL)
    name = f"cg_test_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(engine: Engine) -> None:
    import storage.models  # noqa: F401

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database; every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    url = str(request.getfixturevalue("postgres_server_url"))
    engine = make_engine(url)
    _truncate_postgres(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def test_library():  # type: ignore[no-untyped-def]
    """The real content library: conversations are tested against the cards residents see."""
    from content.library import load_library

    return load_library()


@pytest.fixture
def settings(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    from bot.settings import Settings

    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=db_url,
        run_worker=False,
        secret_keys=TEST_SECRET_KEY,
        _env_file=None,
    )


@pytest.fixture
def services(settings, test_library):  # type: ignore[no-untyped-def]
    from bot.app import build_services

    svc = build_services(settings, library=test_library)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def conversation(services):  # type: ignore[no-untyped-def]
    from tests.harness import Conversation

    return Conversation(services.conversations)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """A skipped browser test says so beside the final counts, not only in a `s` among dots."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    if skipped:
        longrepr = skipped[0].longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        terminalreporter.write_sep(
            "=", f"{len(skipped)} browser test(s) skipped: {reason.removeprefix('Skipped: ')}", yellow=True
        )
