"""Tip operations on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage import officers, registry
from storage.db import transaction
from storage.models import AuditEntry, OutboxMessage, Tip, TipEntity, TipEvent
from storage.tip_codes import ALPHABET, format_code, normalize_code
from storage.tips import (
    NotPermitted,
    StaleTip,
    TipFilters,
    TipNotFound,
    TransitionNotAllowed,
    add_note,
    assign,
    change_status,
    confirm_entities,
    get_tip_detail,
    get_tip_for_reporter,
    link_duplicate,
    list_tips,
    route_unit,
    scope_for,
    visible_unit_ids,
)
from tests.storage.tip_fixtures import (
    BA_DINH,
    CIPHER,
    HANOI,
    HOAN_KIEM,
    make_world,
    reporter_note,
    submit,
)


def test_submit_writes_tip_history_audit_and_notifies_the_units_chat(engine: Engine) -> None:
    world = make_world(engine)
    tip = submit(engine)
    assert len(tip.code) == 8 and set(tip.code) <= set(ALPHABET)
    with Session(engine) as s:
        row = s.get(Tip, tip.id)
        assert row is not None
        assert row.status == "new" and row.unit_id == world.commune_unit and row.version == 1
        assert row.story and "công an" not in row.story  # encrypted at rest
        assert CIPHER.decrypt(row.story) == "Có người xưng công an gọi bảo chuyển tiền"
        assert row.amount_lost == 5_000_000 and row.anonymous
        assert len(s.exec(select(TipEntity).where(TipEntity.tip_id == tip.id)).all()) == 2
        events = s.exec(select(TipEvent).where(TipEvent.tip_id == tip.id)).all()
        assert [(e.kind, e.to_status) for e in events] == [("created", "new")]
        outbox = s.exec(select(OutboxMessage)).all()
        assert [(m.channel, m.user_key, m.kind) for m in outbox] == [("telegram", "-100777", "tip_new")]
        assert tip.code in outbox[0].payload["replies"][0]["text"]
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "tip.submit")).first() is not None


def test_commune_without_unit_falls_to_province_and_its_chat(engine: Engine) -> None:
    world = make_world(engine)
    tip = submit(engine, ward_code=BA_DINH)
    assert tip.unit_id == world.province_unit
    with Session(engine) as s:
        assert [m.user_key for m in s.exec(select(OutboxMessage)).all()] == ["grp-hn"]
        assert route_unit(s, 48, None) is None  # no unit at all: nobody but admins


def test_contact_phone_needs_its_own_consent(engine: Engine) -> None:
    make_world(engine)
    with pytest.raises(ValueError):
        submit(engine, anonymous=False, contact_phone="0912000111")
    now = dt.datetime.now(dt.UTC)
    tip = submit(engine, anonymous=False, contact_phone="0912000111", contact_consent_at=now)
    with Session(engine) as s:
        row = s.get(Tip, tip.id)
        assert row is not None and row.contact_phone and "0912" not in row.contact_phone
        assert CIPHER.decrypt(row.contact_phone) == "0912000111" and not row.anonymous


def test_reporter_sees_own_tip_only_and_unknown_looks_the_same(engine: Engine) -> None:
    make_world(engine)
    tip = submit(engine)
    with Session(engine) as s:
        typed = format_code(tip.code).lower().replace("-", " ")
        found = get_tip_for_reporter(s, code=typed, channel="telegram", user_key="42")
        assert found is not None and found.id == tip.id
        assert get_tip_for_reporter(s, code=tip.code, channel="telegram", user_key="43") is None
        assert get_tip_for_reporter(s, code=tip.code, channel="zalo", user_key="42") is None
        assert get_tip_for_reporter(s, code="ACDE-FGHJ", channel="telegram", user_key="42") is None
    assert normalize_code("#k7hm-wx4t") == "K7HMWX4T"
    assert normalize_code("K7HM-WX4O") is None  # O is not in the alphabet


def test_scopes(engine: Engine) -> None:
    world = make_world(engine)
    here = submit(engine)
    fallen = submit(engine, ward_code=BA_DINH)
    elsewhere = submit(engine, province_code=79, ward_code=26743)
    with Session(engine) as s:
        from storage.models import Officer

        def seen(officer_id: int) -> set[int | None]:
            officer = s.get(Officer, officer_id)
            assert officer is not None
            return {t.id for t in list_tips(s, scope=scope_for(s, officer)).rows}

        assert seen(world.admin) == {here.id, fallen.id, elsewhere.id}
        assert seen(world.province_officer) == {here.id, fallen.id}
        assert seen(world.commune_officer) == {here.id}
        assert seen(world.other_commune_officer) == {elsewhere.id}
        pa05 = s.get(Officer, world.province_officer)
        assert pa05 is not None and visible_unit_ids(s, pa05) == {world.province_unit, world.commune_unit}
        for officer_id in (world.admin, world.province_officer):  # a deactivated account sees nothing
            officers.set_active(s, officer_id=officer_id, active=False, actor="t")
            assert seen(officer_id) == set()


def test_list_filters_sort_and_counts(engine: Engine) -> None:
    world = make_world(engine)
    small = submit(engine, amount_lost=500_000)
    big = submit(engine, amount_lost=1_500_000_000, modus_id="fake-investment")
    none = submit(engine, amount_lost=None)
    with transaction(engine) as s:
        change_status(
            s, tip_id=big.id or 0, actor_officer_id=world.commune_officer, to_status="received", cipher=CIPHER
        )
    with Session(engine) as s:
        from storage.tip_queries import Scope

        everything = Scope(everything=True)
        page = list_tips(s, scope=everything, sort="amount")
        assert [t.id for t in page.rows] == [big.id, small.id, none.id]
        assert page.total == 3 and page.counts_by_status == {"new": 2, "received": 1}
        page = list_tips(s, scope=everything, filters=TipFilters(statuses=["new"]))
        assert {t.id for t in page.rows} == {small.id, none.id}
        assert page.counts_by_status == {"new": 2, "received": 1}  # tabs ignore the status filter
        page = list_tips(s, scope=everything, filters=TipFilters(amount_min=1_000_000))
        assert [t.id for t in page.rows] == [big.id]
        page = list_tips(s, scope=everything, filters=TipFilters(modus_id="fake-investment"))
        assert page.total == 1
        page = list_tips(s, scope=everything, filters=TipFilters(code=format_code(small.code)))
        assert [t.id for t in page.rows] == [small.id]
        page = list_tips(
            s,
            scope=everything,
            filters=TipFilters(ward_code=HOAN_KIEM, province_code=HANOI),
            page=2,
            per_page=2,
        )
        assert page.total == 3 and len(page.rows) == 1


def test_status_change_history_and_reporter_notice(engine: Engine) -> None:
    world = make_world(engine)
    tip = submit(engine)
    with transaction(engine) as s:
        s.exec(select(OutboxMessage)).all()
        changed = change_status(
            s,
            tip_id=tip.id or 0,
            actor_officer_id=world.commune_officer,
            to_status="received",
            note="Đã gọi lại",
            cipher=CIPHER,
            expected_version=1,
            notify_reporter=reporter_note,
        )
        assert changed.version == 2
    with transaction(engine) as s:
        change_status(
            s,
            tip_id=tip.id or 0,
            actor_officer_id=world.commune_officer,
            to_status="resolved",
            cipher=CIPHER,
            notify_reporter=reporter_note,
        )
    with Session(engine) as s:
        row = s.get(Tip, tip.id)
        assert row is not None and row.status == "resolved" and row.closed_at is not None
        to_reporter = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "tip_status").order_by(col(OutboxMessage.id))
        ).all()
        assert [(m.channel, m.user_key) for m in to_reporter] == [("telegram", "42")] * 2
        assert "received" in to_reporter[0].payload["replies"][0]["text"]
        detail = get_tip_detail(s, tip_id=tip.id or 0, officer_id=world.province_officer, cipher=CIPHER)
        assert [e.event.kind for e in detail.events] == ["created", "status", "status"]
        assert detail.events[1].note == "Đã gọi lại"
        assert detail.events[1].event.note != "Đã gọi lại"  # encrypted at rest
        assert detail.story is not None and "công an" in detail.story


def test_bad_changes_are_refused(engine: Engine) -> None:
    world = make_world(engine)
    tip = submit(engine)
    tip_id = tip.id or 0
    with pytest.raises(TransitionNotAllowed), transaction(engine) as s:
        change_status(s, tip_id=tip_id, actor_officer_id=world.admin, to_status="duplicate", cipher=CIPHER)
    with pytest.raises(TipNotFound), transaction(engine) as s:  # another commune's officer
        change_status(
            s,
            tip_id=tip_id,
            actor_officer_id=world.other_commune_officer,
            to_status="received",
            cipher=CIPHER,
        )
    with pytest.raises(StaleTip), transaction(engine) as s:
        change_status(
            s,
            tip_id=tip_id,
            actor_officer_id=world.admin,
            to_status="received",
            cipher=CIPHER,
            expected_version=7,
        )
    with pytest.raises(NotPermitted), transaction(engine) as s:
        assign(s, tip_id=tip_id, actor_officer_id=world.admin, assignee_id=world.other_commune_officer)
    with Session(engine) as s:
        row = s.get(Tip, tip_id)
        assert row is not None and row.status == "new" and row.version == 1


def test_assign_note_duplicate_confirm(engine: Engine) -> None:
    world = make_world(engine)
    first = submit(engine)
    second = submit(engine, reporter_user_key="77")
    with transaction(engine) as s:
        assign(
            s,
            tip_id=second.id or 0,
            actor_officer_id=world.province_officer,
            assignee_id=world.commune_officer,
        )
        add_note(
            s,
            tip_id=second.id or 0,
            actor_officer_id=world.commune_officer,
            note="Cùng số với vụ kia",
            cipher=CIPHER,
        )
        link_duplicate(
            s,
            tip_id=second.id or 0,
            actor_officer_id=world.commune_officer,
            original_id=first.id or 0,
            cipher=CIPHER,
            notify_reporter=reporter_note,
        )
        confirmed = confirm_entities(s, tip_id=first.id or 0, actor_officer_id=world.commune_officer)
        assert len(confirmed) == 2
        assert confirm_entities(s, tip_id=first.id or 0, actor_officer_id=world.commune_officer) == []
    with Session(engine) as s:
        row = s.get(Tip, second.id)
        assert row is not None and row.status == "duplicate" and row.duplicate_of == first.id
        assert row.assigned_to == world.commune_officer and row.version == 4
        counts = registry.lookup_counts(s, [("phone", "+84912345678"), ("bank_account", "0123456789")])
        assert counts == {("phone", "+84912345678"): 1, ("bank_account", "0123456789"): 1}
        kinds = [e.kind for e in s.exec(select(TipEvent).where(TipEvent.tip_id == second.id)).all()]
        assert kinds == ["created", "assign", "note", "duplicate"]
        assert s.exec(select(OutboxMessage).where(OutboxMessage.user_key == "77")).first() is not None


def _wait_for_lock_waiter(engine: Engine) -> None:
    """Until another connection waits on a row lock (proves the second officer is blocked)."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second change never waited for the lock")


def test_two_officers_at_once_lose_no_update_on_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    import threading

    world = make_world(engine)
    tip_id = submit(engine).id or 0
    errors: list[BaseException] = []

    def second_officer() -> None:
        try:
            with transaction(engine) as s:
                change_status(
                    s,
                    tip_id=tip_id,
                    actor_officer_id=world.province_officer,
                    to_status="verifying",
                    note="PA05 xác minh",
                    cipher=CIPHER,
                )
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    with transaction(engine) as first:
        change_status(
            first,
            tip_id=tip_id,
            actor_officer_id=world.commune_officer,
            to_status="received",
            note="Đã tiếp nhận",
            cipher=CIPHER,
        )
        thread = threading.Thread(target=second_officer)
        thread.start()
        _wait_for_lock_waiter(engine)
    thread.join(10)
    assert not errors
    with Session(engine) as s:
        row = s.get(Tip, tip_id)
        assert row is not None and row.status == "verifying" and row.version == 3
        history = s.exec(select(TipEvent).where(TipEvent.tip_id == tip_id).order_by(col(TipEvent.id))).all()
        assert [(e.from_status, e.to_status) for e in history] == [
            (None, "new"),
            ("new", "received"),
            ("received", "verifying"),
        ]
        assert [e.actor for e in history[1:]] == [
            f"officer:{world.commune_officer}",
            f"officer:{world.province_officer}",
        ]


def test_stale_page_gets_stale_error_instead_of_overwriting(engine: Engine) -> None:
    world = make_world(engine)
    tip_id = submit(engine).id or 0
    with transaction(engine) as s:
        change_status(
            s,
            tip_id=tip_id,
            actor_officer_id=world.commune_officer,
            to_status="received",
            cipher=CIPHER,
            expected_version=1,
        )
    with pytest.raises(StaleTip) as info, transaction(engine) as s:
        change_status(
            s,
            tip_id=tip_id,
            actor_officer_id=world.province_officer,
            to_status="unfounded",
            cipher=CIPHER,
            expected_version=1,
        )
    assert info.value.current_version == 2


def test_counts_past_the_cap_are_estimates_and_say_so(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import tip_queries
    from storage.tip_queries import Scope

    monkeypatch.setattr(tip_queries, "COUNT_CAP", 2)
    world = make_world(engine)
    for _ in range(4):
        submit(engine)
    received = submit(engine)
    with transaction(engine) as s:
        change_status(
            s,
            tip_id=received.id or 0,
            actor_officer_id=world.commune_officer,
            to_status="received",
            cipher=CIPHER,
        )
    with Session(engine) as s:
        page = list_tips(s, scope=Scope(everything=True))
        assert page.estimated == {"new"} and page.counts_by_status["new"] >= 3 and not page.total_exact
        assert page.counts_by_status["received"] == 1
        only_received = list_tips(s, scope=Scope(everything=True), filters=TipFilters(statuses=["received"]))
        assert (only_received.total, only_received.total_exact) == (1, True)


def test_duplicate_suggestions_are_ranked_and_cut_in_the_database(engine: Engine) -> None:
    from storage.models import Officer
    from storage.tip_lookups import duplicate_candidates
    from storage.tips import EntityIn

    world = make_world(engine)
    phone, account = EntityIn("phone", "+84911222333"), EntityIn("bank_account", "99887766")
    mine = submit(engine, entities=(phone, account))
    both = submit(engine, entities=(account, phone))
    ones = [submit(engine, entities=(phone,)).id for _ in range(11)]
    submit(engine, province_code=79, ward_code=26743, entities=(phone, account))  # outside the province
    with Session(engine) as s:
        officer = s.get(Officer, world.province_officer)
        assert officer is not None
        found = duplicate_candidates(s, tip_id=mine.id or 0, scope=scope_for(s, officer))
    assert [c.tip_id for c in found] == [both.id, *sorted(ones, reverse=True)[:9]]
    assert found[0].shared == [("bank_account", "99887766"), ("phone", "+84911222333")]
    assert found[1].shared == [("phone", "+84911222333")] and found[0].code == both.code
