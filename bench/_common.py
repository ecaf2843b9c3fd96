"""Shared helpers of the bench scripts: where the eval sets are, how the library loads."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
if not SHARED.exists():  # a git worktree sits one level deeper than the main checkout
    SHARED = REPO.parent.parent / "shared"
TEST_LIBRARY = REPO / "tests" / "content" / "data" / "library"
sys.path.insert(0, str(REPO))

from content import Checker  # noqa: E402
from content.schema import Card  # noqa: E402


def resolve(path: str) -> Path:
    """A path as given, or relative to the shared folder next to the repository."""
    p = Path(path)
    if p.exists():
        return p
    for base in (SHARED, SHARED.parent):
        if (base / path).exists():
            return base / path
    return SHARED / path


def load_cards(directory: str | None = None) -> list[Card]:
    """The real library when it is there, else the test library of tests/content/data."""
    if directory is None:
        try:
            from content.library import load_library  # type: ignore[attr-defined]
        except ImportError:
            directory = str(TEST_LIBRARY)
        else:
            return list(load_library().modus_cards())
    cards = []
    for f in sorted(Path(directory).glob("*.yaml")):
        cards.append(Card.model_validate(yaml.safe_load(f.read_text("utf-8"))))
    return [c for c in cards if c.kind == "modus"]


def checker(directory: str | None = None) -> Checker:
    return Checker(load_cards(directory))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """A process's resident memory (VmRSS) in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fresh_database(server_url: str, prefix: str = "cg_bench") -> tuple[str, str]:
    """A new scratch database on a PostgreSQL server: its name and its URL."""
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine

    admin = make_engine(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    admin = make_engine(server_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
