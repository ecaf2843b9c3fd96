"""Alert operations: audience rules, approval, schedule, fan-out, cancel, figures (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from content.alerts import compose_alert
from storage import alerts, audit
from storage.alerts import AlertError, Audience
from storage.db import transaction
from storage.models import Alert, Officer, OutboxMessage, utcnow
from storage.outbox import PRIORITY_BROADCAST
from tests.alert_factories import BA_DINH, DA_NANG, HAI_CHAU, HANOI, HOAN_KIEM, add_subscribers, make_officer

REPLY = compose_alert(title="Giả danh công an gọi điện", body="Không chuyển tiền cho ai qua điện thoại.")


def _create(
    engine: Engine,
    officer: Officer,
    audience: Audience,
    *,
    channels: tuple[str, ...] = ("telegram", "zalo"),
    send_at: dt.datetime | None = None,
) -> int:
    with transaction(engine) as session:
        alert = alerts.create_alert(
            session,
            officer=officer,
            title="Giả danh công an",
            replies=[REPLY],
            audience=audience,
            channels=list(channels),
            send_at=send_at,
        )
        return int(alert.id or 0)


def _submit(engine: Engine, officer: Officer, alert_id: int, *, approval: bool = False) -> Alert:
    with transaction(engine) as session:
        return alerts.submit_alert(session, alert_id=alert_id, officer=officer, require_approval=approval)


def _start(engine: Engine, now: dt.datetime | None = None) -> list[int]:
    with transaction(engine) as session:
        return alerts.start_due(session, now=now)


def test_commune_officer_cannot_target_another_commune(engine: Engine) -> None:
    officer = make_officer(engine, username="hoankiem")
    for audience in (
        Audience(HANOI, (BA_DINH,)),
        Audience(HANOI, (HOAN_KIEM, BA_DINH)),
        Audience(HANOI, whole_province=True),
        Audience(DA_NANG, (HAI_CHAU,)),
    ):
        with pytest.raises(AlertError) as err, transaction(engine) as session:
            alerts.create_alert(
                session, officer=officer, title="x", replies=[REPLY], audience=audience, channels=["web"]
            )
        assert err.value.code == "outside_units"
    assert _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)))


def test_province_officer_targets_own_province_only(engine: Engine) -> None:
    officer = make_officer(engine, username="pa05hn", role="province")
    assert _create(engine, officer, Audience(HANOI, whole_province=True))
    assert _create(engine, officer, Audience(HANOI, (HOAN_KIEM, BA_DINH)))
    with pytest.raises(AlertError) as err:
        _create(engine, officer, Audience(DA_NANG, (HAI_CHAU,)))
    assert err.value.code == "outside_units"


def test_ward_of_another_province_is_refused(engine: Engine) -> None:
    admin = make_officer(engine, username="admin", role="admin")
    with pytest.raises(AlertError) as err:
        _create(engine, admin, Audience(HANOI, (HAI_CHAU,)))
    assert err.value.code == "unknown_ward"


def test_officer_cannot_cancel_or_approve_outside_units(engine: Engine) -> None:
    author = make_officer(engine, username="pa05hn", role="province")
    stranger = make_officer(engine, username="haichau", province_code=DA_NANG, ward_code=HAI_CHAU)
    alert_id = _create(engine, author, Audience(HANOI, (BA_DINH,)))
    _submit(engine, author, alert_id, approval=True)
    for operation in (alerts.cancel_alert, alerts.approve_alert):
        with pytest.raises(AlertError) as err, transaction(engine) as session:
            operation(session, alert_id=alert_id, officer=stranger)
        assert err.value.code == "outside_units"


def test_fan_out_one_row_per_recipient_and_idempotent(engine: Engine) -> None:
    officer = make_officer(engine, username="pa05hn", role="province")
    add_subscribers(engine, 30, ward_code=HOAN_KIEM)
    add_subscribers(engine, 20, ward_code=BA_DINH, prefix="b")
    add_subscribers(engine, 10, ward_code=BA_DINH, prefix="z", channel="zalo")
    add_subscribers(engine, 5, ward_code=BA_DINH, prefix="w", channel="web")  # channel not chosen
    add_subscribers(engine, 7, ward_code=HAI_CHAU, province_code=DA_NANG, prefix="d")
    alert_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM, BA_DINH)))
    _submit(engine, officer, alert_id)
    assert _start(engine) == [alert_id]
    with transaction(engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.status == "sending" and alert.recipients == 60
        assert alerts.fan_out(session, alert) == 60  # a second fan-out adds nobody
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.alert_id == alert_id)).all()
    assert len(rows) == 60
    assert len({(r.channel, r.user_key) for r in rows}) == 60
    row = next(r for r in rows if r.user_key == "z3")
    assert row.dedupe_key == f"alert:{alert_id}:zalo:z3"
    assert (row.kind, row.priority, row.ward_code, row.status) == (
        "broadcast",
        PRIORITY_BROADCAST,
        BA_DINH,
        "pending",
    )
    assert row.payload == {"alert_id": alert_id}
    with Session(engine) as session:
        assert alerts.broadcast_replies(session, [alert_id]) == {alert_id: [REPLY]}


def test_whole_province_reaches_every_commune(engine: Engine) -> None:
    officer = make_officer(engine, username="pa05hn", role="province")
    add_subscribers(engine, 3, ward_code=HOAN_KIEM)
    add_subscribers(engine, 4, ward_code=BA_DINH, prefix="b")
    add_subscribers(engine, 5, ward_code=HAI_CHAU, province_code=DA_NANG, prefix="d")
    alert_id = _create(engine, officer, Audience(HANOI, whole_province=True))
    _submit(engine, officer, alert_id)
    _start(engine)
    with transaction(engine) as session:
        figures = alerts.figures(session, alert_id)
    assert figures.recipients == 7
    assert {w.ward_code: w.recipients for w in figures.wards} == {HOAN_KIEM: 3, BA_DINH: 4}
    assert figures.get("pending") == 7 and figures.progress == 0.0


def test_inactive_subscribers_are_not_reached(engine: Engine) -> None:
    from storage import subscriptions

    officer = make_officer(engine, username="hoankiem")
    keys = add_subscribers(engine, 3)
    with transaction(engine) as session:
        subscriptions.unsubscribe(session, channel="telegram", user_key=keys[0])
    alert_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)))
    _submit(engine, officer, alert_id)
    _start(engine)
    with transaction(engine) as session:
        assert alerts.figures(session, alert_id).recipients == 2


def test_scheduled_alert_waits_for_its_time(engine: Engine) -> None:
    officer = make_officer(engine, username="hoankiem")
    add_subscribers(engine, 2)
    later = utcnow() + dt.timedelta(hours=2)
    alert_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)), send_at=later)
    assert _submit(engine, officer, alert_id).status == "scheduled"
    assert _start(engine) == []
    assert _start(engine, now=later + dt.timedelta(seconds=1)) == [alert_id]


def test_second_officer_must_approve_when_required(engine: Engine) -> None:
    author = make_officer(engine, username="hoankiem")
    colleague = make_officer(engine, username="pa05hn", role="province")
    add_subscribers(engine, 2)
    alert_id = _create(engine, author, Audience(HANOI, (HOAN_KIEM,)))
    assert _submit(engine, author, alert_id, approval=True).status == "pending_approval"
    assert _start(engine) == []
    with pytest.raises(AlertError) as err, transaction(engine) as session:
        alerts.approve_alert(session, alert_id=alert_id, officer=author)
    assert err.value.code == "own_alert"
    with transaction(engine) as session:
        alert = alerts.approve_alert(session, alert_id=alert_id, officer=colleague)
        assert (alert.status, alert.approved_by) == ("scheduled", colleague.id)
    assert _start(engine) == [alert_id]
    with Session(engine) as session:
        actions = [e.action for e in audit.entries(session, target_type="alert")]
    assert actions == ["alert.approve", "alert.submit", "alert.create"]


def test_cancel_stops_queued_rows(engine: Engine) -> None:
    officer = make_officer(engine, username="hoankiem")
    add_subscribers(engine, 10)
    alert_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)))
    _submit(engine, officer, alert_id)
    _start(engine)
    with transaction(engine) as session:
        alerts.cancel_alert(session, alert_id=alert_id, officer=officer)
        figures = alerts.figures(session, alert_id)
    assert figures.get("cancelled") == 10 and figures.open == 0
    with pytest.raises(AlertError), transaction(engine) as session:
        alerts.cancel_alert(session, alert_id=alert_id, officer=officer)


def test_finish_marks_alert_done_when_no_row_is_open(engine: Engine) -> None:
    officer = make_officer(engine, username="hoankiem")
    add_subscribers(engine, 2)
    alert_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)))
    _submit(engine, officer, alert_id)
    _start(engine)
    with transaction(engine) as session:
        assert alerts.finish_sent(session) == []
        session.exec(select(func.count()).select_from(OutboxMessage)).one()
        from storage import outbox

        rows = outbox.claim_batch(session, worker="w")
        outbox.mark_many(session, [int(r.id or 0) for r in rows], status="sent")
        assert alerts.finish_sent(session) == [alert_id]
        assert alerts.figures(session, alert_id).progress == 1.0


def test_visible_alerts_follow_units(engine: Engine) -> None:
    hn = make_officer(engine, username="pa05hn", role="province")
    dn = make_officer(engine, username="pa05dn", role="province", province_code=DA_NANG)
    hk = make_officer(engine, username="hoankiem")
    a1 = _create(engine, hn, Audience(HANOI, (BA_DINH,)))
    a2 = _create(engine, hk, Audience(HANOI, (HOAN_KIEM,)))
    with Session(engine) as session:
        assert [a.id for a in alerts.visible_alerts(session, hn)] == [a2, a1]
        assert [a.id for a in alerts.visible_alerts(session, hk)] == [a2]
        assert alerts.visible_alerts(session, dn) == []


def test_fan_out_commits_chunk_by_chunk_and_a_stopped_one_resumes(engine: Engine) -> None:
    from storage import outbox

    officer = make_officer(engine, username="pa05hn", role="province")
    add_subscribers(engine, 5)
    add_subscribers(engine, 2, ward_code=BA_DINH, prefix="b")
    alert_id = _create(engine, officer, Audience(HANOI, whole_province=True))
    _submit(engine, officer, alert_id)
    with transaction(engine) as session:
        assert alerts.begin_due(session) == [alert_id]
    with transaction(engine) as session:
        assert alerts.fan_out_chunk(session, alert_id, size=3)
    # The first chunk is committed: a sender serves it while the rest is not written yet.
    with transaction(engine) as session:
        rows = outbox.claim_batch(session, worker="w")
        assert len(rows) == 3
        outbox.mark_many(session, [int(r.id or 0) for r in rows], status="sent")
        assert alerts.finish_sent(session) == []  # not done: four recipients have no row yet
    # The worker stopped here; the next run resumes the fan-out where it was.
    assert alerts.run_due(engine, size=3) == []
    with Session(engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.fanned_out_at is not None and alert.recipients == 7
        keys = session.exec(select(OutboxMessage.user_key).where(OutboxMessage.alert_id == alert_id)).all()
    assert sorted(keys) == ["b0", "b1", "u0", "u1", "u2", "u3", "u4"]


def test_a_finished_alert_keeps_its_figures_for_the_list(engine: Engine) -> None:
    from storage import outbox

    officer = make_officer(engine, username="hoankiem")
    add_subscribers(engine, 3)
    done_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)))
    _submit(engine, officer, done_id)
    _start(engine)
    with transaction(engine) as session:
        rows = outbox.claim_batch(session, worker="w")
        outbox.mark_many(session, [int(rows[0].id or 0)], status="failed")
        outbox.mark_many(session, [int(r.id or 0) for r in rows[1:]], status="sent")
        assert alerts.finish_sent(session) == [done_id]
    sending_id = _create(engine, officer, Audience(HANOI, (HOAN_KIEM,)))
    _submit(engine, officer, sending_id)
    _start(engine)
    with transaction(engine) as session:
        done, sending = session.get(Alert, done_id), session.get(Alert, sending_id)
        assert done is not None and sending is not None
        assert done.delivery == {"sent": 2, "failed": 1}
        assert alerts.delivery_counts(session, [done, sending]) == {
            done_id: {"sent": 2, "failed": 1},
            sending_id: {"pending": 3},
        }
