"""Inbox de-duplication and outbox claiming on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from content.messages import Button, Reply, replies_from_payload
from storage import inbox, outbox
from storage.db import transaction
from storage.models import OutboxMessage, utcnow


def test_update_is_recorded_once(engine: Engine) -> None:
    with transaction(engine) as session:
        first = inbox.record_update(
            session, channel="telegram", platform_id="1", user_key="5", payload={"a": 1}
        )
    with transaction(engine) as session:
        again = inbox.record_update(
            session, channel="telegram", platform_id="1", user_key="5", payload={"a": 2}
        )
        other = inbox.record_update(session, channel="zalo", platform_id="1", user_key="5", payload={})
    assert first is not None and again is None and other is not None
    with transaction(engine) as session:
        pending = inbox.pending_updates(session)
        assert [p.id for p in pending] == [first, other]
        assert pending[0].payload == {"a": 1}
        inbox.finish_update(session, first)
    with transaction(engine) as session:
        assert [p.id for p in inbox.pending_updates(session)] == [other]


def test_batch_of_updates_is_recorded_once_each_and_finished_together(engine: Engine) -> None:
    def item(platform_id: str, payload: dict[str, int]) -> inbox.NewUpdate:
        return inbox.NewUpdate(channel="telegram", platform_id=platform_id, user_key="5", payload=payload)

    with transaction(engine) as session:
        existing = inbox.record_update(session, channel="telegram", platform_id="1", user_key="5", payload={})
    with transaction(engine) as session:
        ids = inbox.record_updates(
            session,
            [item("2", {"n": 2}), item("1", {"n": 1}), item("3", {"n": 3}), item("2", {"n": 9})],
            attempts=1,
        )
    assert existing is not None
    assert ids[1] is None and ids[3] is None  # recorded before; repeated within the batch
    assert ids[0] is not None and ids[2] is not None and ids[0] != ids[2]
    with transaction(engine) as session:
        row = inbox.get_update(session, ids[0] or 0)
        assert row is not None and row.payload == {"n": 2} and row.attempts == 1
        inbox.finish_updates(session, [(existing, None), (ids[0] or 0, None), (ids[2] or 0, "boom")])
    with transaction(engine) as session:
        rows = {r: inbox.get_update(session, r) for r in (existing, ids[0] or 0, ids[2] or 0)}
        assert [(row.status, row.error) for row in rows.values() if row] == [
            ("done", None),
            ("done", None),
            ("failed", "boom"),
        ]
        assert all(row is not None and row.processed_at is not None for row in rows.values())
        assert inbox.pending_updates(session) == []


def test_outbox_round_trip_priority_and_final_states(engine: Engine) -> None:
    reply = Reply("<b>Cảnh báo</b>", buttons=[[Button("Xem", "card:fake-bank")]])
    with transaction(engine) as session:
        low = outbox.enqueue(
            session, channel="t", user_key="1", replies=[reply], priority=outbox.PRIORITY_BROADCAST
        )
        high = outbox.enqueue(
            session, channel="t", user_key="2", replies=[reply], priority=outbox.PRIORITY_REPLY
        )
    with transaction(engine) as session:
        claimed = outbox.claim_batch(session, worker="w1", limit=1)
    assert [c.id for c in claimed] == [high.id]
    assert replies_from_payload(claimed[0].payload) == [reply]
    with transaction(engine) as session:
        outbox.mark(session, int(high.id or 0), status="sent")
        rest = outbox.claim_batch(session, worker="w1", limit=10)
    assert [c.id for c in rest] == [low.id]
    with transaction(engine) as session:
        outbox.retry_later(session, int(low.id or 0), at=utcnow() + dt.timedelta(hours=1), error="503")
        assert outbox.claim_batch(session, worker="w1") == []


def test_rows_left_sending_by_a_dead_worker_are_claimed_again(engine: Engine) -> None:
    with transaction(engine) as session:
        row = outbox.enqueue(session, channel="t", user_key="1", replies=[Reply("x")])
        outbox.claim_batch(session, worker="dead")
    later = utcnow() + dt.timedelta(minutes=10)
    with transaction(engine) as session:
        again = outbox.claim_batch(session, worker="alive", now=later)
    assert [r.id for r in again] == [row.id] and again[0].attempts == 2


def test_a_renewed_lease_keeps_the_rows_from_other_workers(engine: Engine) -> None:
    lease = dt.timedelta(minutes=5)
    with transaction(engine) as session:
        mine = outbox.enqueue(session, channel="t", user_key="1", replies=[Reply("x")])
        other = outbox.enqueue(session, channel="t", user_key="2", replies=[Reply("y")])
        start = utcnow()
        assert len(outbox.claim_batch(session, worker="slow", now=start)) == 2
        outbox.mark(session, int(other.id or 0), status="sent")  # only rows still sending are renewed
    with transaction(engine) as session:
        assert outbox.renew_lease(session, worker="slow", now=start + dt.timedelta(minutes=4)) == 1
        assert outbox.renew_lease(session, worker="nobody", now=start + dt.timedelta(minutes=4)) == 0
    with transaction(engine) as session:  # past the first lease, within the renewed one
        taken = outbox.claim_batch(
            session, worker="thief", stale_after=lease, now=start + dt.timedelta(minutes=8)
        )
    assert taken == []
    with transaction(engine) as session:  # the worker stopped renewing: its row goes to another
        again = outbox.claim_batch(
            session, worker="next", stale_after=lease, now=start + dt.timedelta(minutes=10)
        )
    assert [r.id for r in again] == [mine.id]


def test_a_worker_that_lost_its_lease_cannot_write_the_outcome(engine: Engine) -> None:
    with transaction(engine) as session:
        row = outbox.enqueue(session, channel="t", user_key="1", replies=[Reply("x")])
        outbox.claim_batch(session, worker="late")
    later = utcnow() + dt.timedelta(minutes=10)
    with transaction(engine) as session:
        assert [r.id for r in outbox.claim_batch(session, worker="next", now=later)] == [row.id]
    row_id = int(row.id or 0)
    with transaction(engine) as session:  # the first worker comes back with a failure
        assert outbox.mark_many(session, [row_id], status="failed", error="timeout", worker="late") == 0
        outbox.retry_later(session, row_id, at=later, error="timeout", worker="late")
    with transaction(engine) as session:
        assert outbox.mark_many(session, [row_id], status="sent", worker="next") == 1
        stored = session.get(OutboxMessage, row_id)
        assert stored is not None and stored.status == "sent" and stored.error is None


def test_sent_rows_are_never_claimed_again(engine: Engine) -> None:
    with transaction(engine) as session:
        row = outbox.enqueue(session, channel="t", user_key="1", replies=[Reply("x")])
        outbox.claim_batch(session, worker="w")
        outbox.mark(session, int(row.id or 0), status="sent")
    with transaction(engine) as session:
        assert outbox.claim_batch(session, worker="w", now=utcnow() + dt.timedelta(days=1)) == []


def test_dedupe_key_keeps_one_row_per_recipient(engine: Engine) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    with transaction(engine) as session:
        outbox.enqueue(session, channel="t", user_key="1", replies=[Reply("x")], dedupe_key="alert:1:t:1")
    with pytest.raises(IntegrityError), transaction(engine) as session:
        outbox.enqueue(session, channel="t", user_key="1", replies=[Reply("x")], dedupe_key="alert:1:t:1")


def test_inbound_message_creates_or_refreshes_the_user(engine: Engine) -> None:
    from storage import users
    from storage.models.base import as_utc

    first = utcnow() - dt.timedelta(days=2)
    with transaction(engine) as session:
        users.record_inbound(session, channel="telegram", user_key="5", display_name="Lan", inbound_at=first)
    with transaction(engine) as session:
        users.mark_unreachable(session, channel="telegram", user_key="5", reason="blocked")
    later = utcnow()  # a message after the block: only such a message clears it
    with transaction(engine) as session:
        users.record_inbound(session, channel="telegram", user_key="5", inbound_at=later)
    with transaction(engine) as session:
        user = users.get_user(session, channel="telegram", user_key="5")
        assert user is not None and user.display_name == "Lan"  # kept when the message names nobody
        assert as_utc(user.last_inbound_at) == later
        assert user.unreachable_at is None and user.unreachable_reason is None


def test_many_messages_touch_each_user_once_with_their_latest(engine: Engine) -> None:
    from storage import users
    from storage.models.base import as_utc

    early, late = utcnow() - dt.timedelta(hours=1), utcnow()
    with transaction(engine) as session:
        users.record_inbound(session, channel="telegram", user_key="7", display_name="Hoa", inbound_at=early)
    with transaction(engine) as session:
        users.record_inbound_many(
            session,
            [
                users.Inbound("telegram", "7", None, late),  # a button press names nobody
                users.Inbound("telegram", "8", "Minh", early),
                users.Inbound("telegram", "8", None, late),
                users.Inbound("zalo", "7", "Tú", early),
            ],
        )
    with transaction(engine) as session:
        seven = users.get_user(session, channel="telegram", user_key="7")
        eight = users.get_user(session, channel="telegram", user_key="8")
        zalo = users.get_user(session, channel="zalo", user_key="7")
    assert seven is not None and seven.display_name == "Hoa" and as_utc(seven.last_inbound_at) == late
    assert eight is not None and eight.display_name == "Minh" and as_utc(eight.last_inbound_at) == late
    assert zalo is not None and zalo.display_name == "Tú"


def test_dialog_states_load_and_save_in_bulk(engine: Engine) -> None:
    from sqlmodel import select

    from storage import dialogs
    from storage.models import DialogState

    with transaction(engine) as session:
        dialogs.save_state(
            session, channel="telegram", user_key="1", step="report.story", data={"d": {"a": 1}}
        )
    keys = [("telegram", "1"), ("telegram", "2"), ("zalo", "1")]
    with transaction(engine) as session:
        found = dialogs.load_states(session, keys)
        assert found == {("telegram", "1"): dialogs.StoredState("report.story", {"d": {"a": 1}})}
        dialogs.save_states(
            session,
            {
                ("telegram", "1"): dialogs.StoredState(None, {"last_check": {"verdict": "safe"}}),
                ("zalo", "1"): dialogs.StoredState("check.await", {}),
            },
        )
    with transaction(engine) as session:
        assert dialogs.load_states(session, keys) == {
            ("telegram", "1"): dialogs.StoredState(None, {"last_check": {"verdict": "safe"}}),
            ("zalo", "1"): dialogs.StoredState("check.await", {}),
        }
        row = session.exec(
            select(DialogState).where(DialogState.channel == "zalo", DialogState.user_key == "1")
        ).one()
        assert row.id is not None and row.step == "check.await"
