"""What the inbox keeps of a resident's messages: nothing once handled, ids for a stated window,
and signed Zalo events outside their freshness window are not taken again."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import time
from pathlib import Path

import pytest
from sqlmodel import select

from bot.maintenance import Maintenance
from bot.settings import Settings
from storage import inbox
from storage.db import make_engine, transaction
from storage.models import InboxUpdate
from tests.bot.zalo.conftest import ZaloHarness, event, sign

USER = "2468458835296197922"
STORY = "Tôi bị lừa chuyển 5 triệu, số của tôi là 0987654321"


def rows(zalo: ZaloHarness) -> list[InboxUpdate]:
    with transaction(zalo.services.engine) as session:
        return list(session.exec(select(InboxUpdate).order_by(InboxUpdate.id)).all())  # type: ignore[arg-type]


async def test_a_handled_update_keeps_its_id_but_none_of_its_content(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    body = event("user_send_text", USER, text=STORY, msg_id="story-1")
    assert (await zalo.post(body)).status_code == 200
    assert await zalo.answers(USER)
    [row] = rows(zalo)
    assert row.status == "done" and row.platform_id == "story-1"
    assert row.payload == {} and row.user_key == ""
    assert "0987654321" not in json.dumps(row.payload) and "lừa" not in (row.error or "")
    # The id still drops a repeat: Zalo retries, a replay within the window.
    again = await zalo.post(body)
    assert again.json() == {"ok": True, "duplicate": True}
    assert await zalo.answers(USER) == []


def _aged(text: str, age: dt.timedelta, msg_id: str) -> bytes:
    stamp = str(int((time.time() - age.total_seconds()) * 1000))
    return event("user_send_text", USER, text=text, msg_id=msg_id, timestamp=stamp)


@pytest.mark.parametrize(
    ("age", "taken"),
    [
        (dt.timedelta(minutes=30), True),  # a late retry by Zalo
        (dt.timedelta(hours=25), False),  # past the window: a replay of a captured request
        (dt.timedelta(days=400), False),
        (dt.timedelta(minutes=-30), False),  # from the future
    ],
)
async def test_signed_events_outside_the_freshness_window_are_ignored(
    zalo: ZaloHarness, age: dt.timedelta, taken: bool
) -> None:
    await zalo.authorize()
    body = _aged("menu", age, msg_id=f"m-{age.total_seconds()}")
    response = await zalo.post(body, signature=sign(body))
    assert response.status_code == 200
    assert bool(rows(zalo)) is taken
    if not taken:
        assert response.json()["ignored"] == "stale"


async def test_handled_updates_leave_after_the_window_pending_ones_stay(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    await zalo.say(USER, "menu")
    engine = zalo.services.engine
    with transaction(engine) as session:
        inbox.record_update(session, channel="zalo", platform_id="pending-1", user_key=USER, payload={"x": 1})
    settings = zalo.services.settings
    job = Maintenance(engine, settings, zalo.services.evidence)
    job.run_once(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.inbox_keep_days - 1))
    assert len(rows(zalo)) == 2
    job.run_once(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.inbox_keep_days, minutes=1))
    assert [r.platform_id for r in rows(zalo)] == ["pending-1"]


async def test_erasure_clears_what_older_handled_updates_hold(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    engine = zalo.services.engine
    with transaction(engine) as session:  # a row handled before payloads were cleared on completion
        update_id = inbox.record_update(
            session, channel="zalo", platform_id="old-1", user_key=USER, payload={"message": {"text": STORY}}
        )
        assert update_id is not None
        session.get(InboxUpdate, update_id).status = "done"  # type: ignore[union-attr]
    await zalo.say(USER, "/xoadulieu")
    await zalo.press(USER, "erase:yes")
    old = next(r for r in rows(zalo) if r.platform_id == "old-1")
    assert old.payload == {} and old.user_key == ""
    assert all(r.payload == {} for r in rows(zalo))


def test_the_freshness_window_is_shorter_than_the_inbox_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ZALO_EVENT_MAX_AGE_HOURS"):
        Settings(data_dir=tmp_path, zalo_event_max_age_hours=200, inbox_keep_days=7, _env_file=None)  # type: ignore[call-arg]


def test_the_embedded_database_file_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'canhgiac.db'}")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        for name in ("canhgiac.db", "canhgiac.db-wal"):
            path = tmp_path / "data" / name
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        engine.dispose()
    finally:
        os.umask(old)
