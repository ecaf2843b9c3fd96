"""Alembic driven from code: the URL comes from the caller's settings, never the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`, reusing the engine's connection."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@lru_cache(maxsize=1)
def _heads() -> tuple[str, ...]:
    return current_heads()


def current_heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def schema_is_current(engine: Engine) -> bool:
    """Whether the database has every migration this code knows (upgraded, or newer code's)."""
    from alembic.runtime.migration import MigrationContext

    heads = set(_heads())
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    return heads <= applied or _newer(applied)


def _newer(applied: set[str]) -> bool:
    """Applied revisions this code does not know come from a newer release that migrated
    first (an upgrade without downtime): the old code keeps serving on the schema it extends."""
    return bool(applied) and not applied <= _known()


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(rev.revision for rev in script.walk_revisions())
