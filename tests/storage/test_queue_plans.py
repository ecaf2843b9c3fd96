"""The queue's page and count queries are served by indexes on PostgreSQL, for every kind of officer.

The statements `list_tips` really sends are captured and explained (and run, EXPLAIN
ANALYZE) over 100,000 tips spread over 34 provinces and 3,400 communes, analysed as
autovacuum leaves a live table. Each must use an index of tips, never scan the table, and
read a bounded share of it: with counting capped at 1,000 here, no view reads more than a
tenth of the tips, where an exact count of the whole scope reads them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage import tip_queries
from storage.db import make_engine
from storage.models import Officer
from storage.tips import TipFilters, list_tips, scope_for
from tests.conftest import _truncate_postgres

TIPS = 100_000
READ_AT_MOST = TIPS // 10
_TIPS_INDEXES = ("ix_tips_", "tips_")
PROVINCES = 34
COMMUNES_PER_PROVINCE = 100
MODUS = 21


@pytest.fixture(scope="module")
def seeded(postgres_server_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_server_url)
    _truncate_postgres(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO units (id, kind, name, province_code, active, created_at) "
                "SELECT p, 'province', 'Công an tỉnh ' || p, p, true, now() FROM generate_series(1, :n) p"
            ),
            {"n": PROVINCES},
        )
        conn.execute(
            text(
                "INSERT INTO units (id, kind, name, province_code, ward_code, parent_id, active, created_at) "
                "SELECT 100 + c, 'commune', 'Công an xã ' || c, 1 + c % :p, 100000 + c, 1 + c % :p, "
                "true, now() "
                "FROM generate_series(0, :c - 1) c"
            ),
            {"p": PROVINCES, "c": PROVINCES * COMMUNES_PER_PROVINCE},
        )
        conn.execute(
            text(
                "INSERT INTO tips (code, status, modus_id, unit_id, province_code, ward_code, "
                "reporter_channel, anonymous, consent_at, consent_version, created_at, updated_at, version) "
                "SELECT 'T' || lpad(g::text, 7, '0'), "
                "(ARRAY['new', 'received', 'verifying', 'transferred', 'resolved', 'unfounded', "
                "'duplicate'])[1 + g % 7], "
                "'modus-' || (g % :m), 100 + g % :c, 1 + (g % :c) % :p, 100000 + g % :c, 'zalo', true, "
                "now(), '2026-01', now() - (g || ' minutes')::interval, now(), 1 "
                "FROM generate_series(1, :n) g"
            ),
            {"m": MODUS, "c": PROVINCES * COMMUNES_PER_PROVINCE, "p": PROVINCES, "n": TIPS},
        )
        conn.execute(
            text(
                "INSERT INTO officers (username, full_name, password_hash, role, unit_id, active, "
                "failed_logins, created_at) VALUES "
                "('admin', 'A', 'x', 'admin', NULL, true, 0, now()), "
                "('tinh', 'B', 'x', 'province', 1, true, 0, now()), "
                "('xa', 'C', 'x', 'commune', 100, true, 0, now())"
            )
        )
        conn.execute(text("SELECT setval('units_id_seq', 10000)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE tips"))
        conn.execute(text("ANALYZE units"))
    yield engine
    _truncate_postgres(engine)
    engine.dispose()


def _captured(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "FROM tips" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return statements


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


VIEWS = {
    "default": {},
    "by status": {"filters": TipFilters(statuses=["new"])},
    "page 50": {"page": 50},
    "by modus": {"filters": TipFilters(modus_id="modus-3")},
}


def _rows_read(node: dict[str, Any]) -> int:
    """Rows (or index entries) a plan node took from tips or its indexes, filtered ones included."""
    touches = node.get("Relation Name") == "tips" or str(node.get("Index Name", "")).startswith(
        ("ix_tips_", "tips_")
    )
    if not touches:
        return 0
    seen = (
        node["Actual Rows"]
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )
    return int(seen * node["Actual Loops"])


@pytest.mark.parametrize("username", ["admin", "tinh", "xa"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_queue_and_count_query_uses_an_index(
    seeded: Engine, username: str, view: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tip_queries, "COUNT_CAP", 1_000)
    with Session(seeded) as session:
        officer = session.exec(select(Officer).where(Officer.username == username)).one()
        scope = scope_for(session, officer)
        statements = _captured(seeded, lambda: list_tips(session, scope=scope, per_page=50, **VIEWS[view]))
        assert len(statements) == 2  # the page, and the tabs' counts (the total is their sum)
        for statement, parameters in statements:
            explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"
            plan = session.connection().exec_driver_sql(explain, parameters).scalar()
            nodes = list(_nodes(plan[0]["Plan"]))
            read = sum(_rows_read(n) for n in nodes)
            shape = [(n["Node Type"], n.get("Index Name"), _rows_read(n)) for n in nodes]
            described = f"{username}, {view}: {json.dumps(shape)}, {read} rows\n{statement}"
            assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], described
            assert [n for n in nodes if str(n.get("Index Name", "")).startswith(_TIPS_INDEXES)], described
            assert read <= READ_AT_MOST, described
