"""Alerts officers broadcast to subscribers: compose, approve, schedule, fan out, cancel, figures.

The console and the chat command call these operations, so both follow the same rules:
an officer targets only communes of their own units; with approval on, a second
officer approves; the fan-out writes one outbox row per recipient, unique per alert
and recipient, so running it twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import JSON, DateTime, Integer, String, cast, func, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from content import places
from content.messages import Reply, replies_from_payload, replies_to_payload
from storage import audit
from storage.db import transaction
from storage.models import Alert, Officer, OutboxMessage, Subscription, Unit, utcnow
from storage.models.base import as_utc
from storage.outbox import PRIORITY_BROADCAST
from storage.outbox import cancel_alert as cancel_outbox_rows

OPEN_STATUSES = ("draft", "pending_approval", "scheduled", "sending")
MAX_TITLE = 200


class AlertError(Exception):
    """An operation the rules do not allow; `code` picks the wording shown to the officer."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Audience:
    """Communes of one province, or the whole province."""

    province_code: int
    ward_codes: tuple[int, ...] = ()
    whole_province: bool = False


@dataclass(frozen=True)
class Scope:
    """Where an officer may send: any province (admin), whole provinces, or single communes."""

    everywhere: bool = False
    provinces: frozenset[int] = frozenset()
    wards: frozenset[int] = frozenset()

    def allows(self, audience: Audience) -> bool:
        if self.everywhere or audience.province_code in self.provinces:
            return True
        if audience.whole_province or not audience.ward_codes:
            return False
        return all(code in self.wards for code in audience.ward_codes)

    def province_codes(self) -> list[int]:
        """Provinces the officer can pick from (their communes' provinces included)."""
        codes = set(self.provinces)
        for ward_code in self.wards:
            ward = places.ward(ward_code)
            if ward is not None:
                codes.add(ward.province_code)
        return sorted(codes)


@dataclass
class WardFigures:
    ward_code: int | None
    ward_name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        return sum(self.counts.values())


@dataclass
class AlertFigures:
    """Counts per outbox status: sent, failed, unreachable, window_closed, cancelled, pending…"""

    alert_id: int
    counts: dict[str, int]
    wards: list[WardFigures]

    @property
    def recipients(self) -> int:
        return sum(self.counts.values())

    def get(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def open(self) -> int:
        """Rows still to go (queued or being sent)."""
        return self.get("pending") + self.get("sending")

    @property
    def progress(self) -> float:
        total = self.recipients
        return 1.0 if total == 0 else (total - self.open) / total


def officer_scope(session: Session, officer: Officer) -> Scope:
    """Where an officer may send (the same rule as the tips they see): an admin anywhere,
    a province officer in their province, a commune officer in their commune only."""
    if not officer.active:
        return Scope()
    if officer.role == "admin":
        return Scope(everywhere=True)
    unit = session.get(Unit, officer.unit_id) if officer.unit_id is not None else None
    if unit is None or not unit.active:
        return Scope()
    if officer.role == "province":
        return Scope(provinces=frozenset({unit.province_code}))
    return Scope(wards=frozenset({unit.ward_code} if unit.ward_code is not None else set()))


def check_audience(session: Session, officer: Officer, audience: Audience) -> Audience:
    """Validate an audience against the official list and the officer's units; returns it normalised."""
    if places.province(audience.province_code) is None:
        raise AlertError("unknown_province", str(audience.province_code))
    wards: list[int] = []
    if not audience.whole_province:
        if not audience.ward_codes:
            raise AlertError("empty_audience")
        for code in audience.ward_codes:
            ward = places.ward(code)
            if ward is None or ward.province_code != audience.province_code:
                raise AlertError("unknown_ward", str(code))
            if code not in wards:
                wards.append(code)
    normalised = Audience(audience.province_code, tuple(sorted(wards)), audience.whole_province)
    if not officer_scope(session, officer).allows(normalised):
        raise AlertError("outside_units")
    return normalised


def create_alert(
    session: Session,
    *,
    officer: Officer,
    title: str,
    replies: list[Reply],
    audience: Audience,
    channels: Sequence[str],
    card_id: str | None = None,
    body: str = "",
    send_at: dt.datetime | None = None,
) -> Alert:
    """A draft alert; its replies are what every recipient gets, rendered by the caller."""
    audience = check_audience(session, officer, audience)
    if not channels:
        raise AlertError("no_channels")
    if not replies or not any(r.text.strip() for r in replies):
        raise AlertError("empty_message")
    alert = Alert(
        title=title.strip()[:MAX_TITLE] or "Cảnh báo",
        card_id=card_id,
        body=body[:4000],
        payload=replies_to_payload(replies),
        province_code=audience.province_code,
        whole_province=audience.whole_province,
        ward_codes=list(audience.ward_codes),
        channels=list(dict.fromkeys(channels)),
        unit_id=officer.unit_id,
        created_by=int(officer.id or 0),
        send_at=send_at,
    )
    session.add(alert)
    session.flush()
    _audit(session, officer, "alert.create", alert, {"channels": alert.channels})
    return alert


def submit_alert(
    session: Session,
    *,
    alert_id: int,
    officer: Officer,
    require_approval: bool,
    now: dt.datetime | None = None,
) -> Alert:
    """Send the draft on its way: to a second officer for approval, or to the schedule."""
    now = now or utcnow()
    alert = _load(session, alert_id, officer)
    if alert.status != "draft":
        raise AlertError("not_draft", alert.status)
    alert.submitted_at = now
    if require_approval:
        alert.status = "pending_approval"
    else:
        _schedule(alert, now)
    session.add(alert)
    session.flush()
    _audit(session, officer, "alert.submit", alert, {"status": alert.status})
    return alert


def approve_alert(
    session: Session, *, alert_id: int, officer: Officer, now: dt.datetime | None = None
) -> Alert:
    """A second officer, who may send to the same audience, approves; the author cannot."""
    now = now or utcnow()
    alert = _load(session, alert_id, officer)
    if alert.status != "pending_approval":
        raise AlertError("not_pending_approval", alert.status)
    if alert.created_by == officer.id:
        raise AlertError("own_alert")
    alert.approved_by = officer.id
    alert.approved_at = now
    _schedule(alert, now)
    session.add(alert)
    session.flush()
    _audit(session, officer, "alert.approve", alert)
    return alert


def cancel_alert(
    session: Session, *, alert_id: int, officer: Officer, now: dt.datetime | None = None
) -> Alert:
    """Stop an alert: queued rows are cancelled; only rows already being sent go out."""
    alert = _load(session, alert_id, officer)
    if alert.status not in OPEN_STATUSES:
        raise AlertError("not_open", alert.status)
    alert.status = "cancelled"
    alert.cancelled_at = now or utcnow()
    alert.cancelled_by = officer.id
    session.add(alert)
    session.flush()
    stopped = cancel_outbox_rows(session, int(alert.id or 0))
    _audit(session, officer, "alert.cancel", alert, {"stopped": stopped})
    return alert


def _schedule(alert: Alert, now: dt.datetime) -> None:
    alert.status = "scheduled"
    send_at = as_utc(alert.send_at)
    if send_at is None or send_at < now:
        alert.send_at = now


def _load(session: Session, alert_id: int, officer: Officer) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError("not_found", str(alert_id))
    if not officer_scope(session, officer).allows(audience_of(alert)):
        raise AlertError("outside_units")
    return alert


def audience_of(alert: Alert) -> Audience:
    return Audience(alert.province_code, tuple(alert.ward_codes or ()), alert.whole_province)


def get_alert(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def visible_alerts(session: Session, officer: Officer, *, limit: int = 100) -> list[Alert]:
    """Alerts the officer may see and act on, newest first."""
    scope = officer_scope(session, officer)
    query = select(Alert).order_by(col(Alert.id).desc())
    if not scope.everywhere:
        query = query.where(col(Alert.province_code).in_(scope.province_codes()))
    rows = session.exec(query.limit(limit * 4 if not scope.everywhere else limit)).all()
    return [a for a in rows if scope.allows(audience_of(a))][:limit]


# Subscribers written per transaction: the first rows reach the senders at once, and a
# national broadcast never holds one transaction (or its locks) for a million rows.
FANOUT_CHUNK = 10_000


def begin_due(session: Session, *, now: dt.datetime | None = None, limit: int = 50) -> list[int]:
    """Scheduled alerts whose time has come become 'sending'; their fan-out follows in chunks.

    Safe in several workers at once: each alert is taken by one (SKIP LOCKED on PostgreSQL).
    """
    now = now or utcnow()
    query = (
        select(Alert)
        .where(Alert.status == "scheduled", col(Alert.send_at) <= now)
        .order_by(col(Alert.send_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    started: list[int] = []
    for alert in session.exec(query).all():
        alert.status = "sending"
        alert.started_at = now
        alert.recipients = 0
        alert.fanout_cursor = 0
        session.add(alert)
        started.append(int(alert.id or 0))
    session.flush()
    return started


def unfinished_fan_outs(session: Session) -> list[int]:
    """Alerts whose fan-out has begun and not ended (just begun, or left by a worker that died)."""
    rows = session.exec(
        select(Alert.id)
        .where(Alert.status == "sending", col(Alert.fanned_out_at).is_(None))
        .order_by(col(Alert.id))
    ).all()
    return [int(i) for i in rows if i is not None]


def fan_out_chunk(
    session: Session, alert_id: int, *, now: dt.datetime | None = None, size: int = FANOUT_CHUNK
) -> bool:
    """Write the next chunk of an alert's recipients; False once none are left (the fan-out is
    then marked complete) or when another worker is writing this alert right now."""
    query = select(Alert).where(
        Alert.id == alert_id, Alert.status == "sending", col(Alert.fanned_out_at).is_(None)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    alert = session.exec(query).first()
    if alert is None:
        return False
    now = now or utcnow()
    written = _write_chunk(session, alert, after=alert.fanout_cursor, size=size, now=now)
    if written is None:
        alert.recipients = _row_count(session, alert_id)
        alert.fanned_out_at = now
        if not alert.recipients:
            alert.status = "done"
            alert.finished_at = now
            alert.delivery = {}
    else:
        alert.fanout_cursor, added = written
        alert.recipients += added
    session.add(alert)
    session.flush()
    return written is not None


def run_due(engine: Engine, *, now: dt.datetime | None = None, size: int = FANOUT_CHUNK) -> list[int]:
    """The worker's fan-out: begin due alerts, then write every unfinished one a chunk per
    transaction, so senders claim the first rows while the rest is still being written.

    Returns the alerts begun now (unfinished ones resumed are not listed again).
    """
    with transaction(engine) as session:
        started = begin_due(session, now=now)
    with transaction(engine) as session:
        pending = unfinished_fan_outs(session)
    for alert_id in pending:
        more = True
        while more:
            with transaction(engine) as session:
                more = fan_out_chunk(session, alert_id, now=now, size=size)
    return started


def start_due(session: Session, *, now: dt.datetime | None = None, limit: int = 10) -> list[int]:
    """Begin due alerts and write their whole fan-out in the caller's transaction (a command,
    a test); the worker uses `run_due`, which commits chunk by chunk."""
    started = begin_due(session, now=now, limit=limit)
    for alert_id in started:
        while fan_out_chunk(session, alert_id, now=now):
            pass
    return started


def fan_out(session: Session, alert: Alert, *, now: dt.datetime | None = None) -> int:
    """Write every recipient's row of the alert again from the start; returns its row count.

    The dedupe key `alert:{id}:{channel}:{user_key}` is unique, so a repeated fan-out
    (a crash after the insert, two workers) adds no second row for anyone.
    """
    now = now or utcnow()
    cursor = 0
    while (written := _write_chunk(session, alert, after=cursor, size=FANOUT_CHUNK, now=now)) is not None:
        cursor = written[0]
    return _row_count(session, int(alert.id or 0))


def _row_count(session: Session, alert_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.alert_id == alert_id)
        ).one()
    )


def _write_chunk(
    session: Session, alert: Alert, *, after: int, size: int, now: dt.datetime
) -> tuple[int, int] | None:
    """One outbox row per active subscriber of the audience with a subscription id in the next
    `size` after `after`, in one INSERT … SELECT; returns (last id, rows added) or None if none.

    Walks `ix_subscriptions_fanout` (province, id) over active rows, a range per chunk.
    """
    alert_id = int(alert.id or 0)
    conditions = [
        col(Subscription.active),
        col(Subscription.province_code) == alert.province_code,
        col(Subscription.channel).in_(list(alert.channels)),
        col(Subscription.id) > after,
    ]
    if not alert.whole_province:
        conditions.append(col(Subscription.ward_code).in_(list(alert.ward_codes)))
    chunk = select(Subscription.id).where(*conditions).order_by(col(Subscription.id)).limit(size).subquery()
    last = session.exec(select(func.max(chunk.c.id))).one()
    if last is None:
        return None
    is_postgres = session.get_bind().dialect.name == "postgresql"
    # Rows name their alert instead of carrying 100,000 copies of the same message.
    payload = literal({"alert_id": alert_id}, JSON)
    dedupe = (
        literal(f"alert:{alert_id}:", String)
        + col(Subscription.channel)
        + literal(":", String)
        + col(Subscription.user_key)
    )
    source = select(  # type: ignore[call-overload]
        col(Subscription.channel),
        col(Subscription.user_key),
        literal("broadcast", String),
        literal(PRIORITY_BROADCAST, Integer),
        cast(payload, JSON) if is_postgres else payload,
        dedupe,
        literal(alert_id, Integer),
        col(Subscription.ward_code),
        literal("pending", String),
        literal(0, Integer),
        literal(now, DateTime(timezone=True)),
        literal(now, DateTime(timezone=True)),
    ).where(*conditions, col(Subscription.id) <= last)
    columns = [
        "channel",
        "user_key",
        "kind",
        "priority",
        "payload",
        "dedupe_key",
        "alert_id",
        "ward_code",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    dialect = postgresql if is_postgres else sqlite
    stmt = dialect.insert(table).from_select(columns, source).on_conflict_do_nothing()
    result = session.execute(stmt)
    return int(last), int(getattr(result, "rowcount", 0) or 0)


def finish_sent(session: Session, *, now: dt.datetime | None = None) -> list[int]:
    """Alerts fully fanned out whose every row has an outcome become done, their figures kept."""
    now = now or utcnow()
    sending = session.exec(
        select(Alert.id).where(Alert.status == "sending", col(Alert.fanned_out_at).is_not(None))
    ).all()
    done: list[int] = []
    for alert_id in sending:
        still_open = session.exec(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.alert_id == alert_id,
                col(OutboxMessage.status).in_(("pending", "sending")),
            )
            .limit(1)
        ).first()
        if still_open is None:
            session.execute(
                update(Alert)
                .where(col(Alert.id) == alert_id, col(Alert.status) == "sending")
                .values(status="done", finished_at=now, delivery=_status_counts(session, int(alert_id or 0)))
            )
            done.append(int(alert_id or 0))
    return done


def delivery_counts(session: Session, shown: Sequence[Alert]) -> dict[int, dict[str, int]]:
    """Rows per outbox status of each alert, for a list: kept figures of finished alerts, and
    one grouped query for those still sending."""
    out = {int(a.id or 0): dict(a.delivery) for a in shown if a.delivery is not None}
    live = [int(a.id or 0) for a in shown if a.delivery is None]
    if live:
        rows = session.exec(
            select(OutboxMessage.alert_id, OutboxMessage.status, func.count())
            .where(col(OutboxMessage.alert_id).in_(live))
            .group_by(col(OutboxMessage.alert_id), col(OutboxMessage.status))
        ).all()
        for live_id in live:
            out[live_id] = {}
        for alert_id, status, n in rows:
            out[int(alert_id or 0)][status] = int(n)
    return out


def _status_counts(session: Session, alert_id: int) -> dict[str, int]:
    rows = session.exec(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.alert_id == alert_id)
        .group_by(col(OutboxMessage.status))
    ).all()
    return {str(status): int(n) for status, n in rows}


def broadcast_replies(session: Session, alert_ids: Iterable[int]) -> dict[int, list[Reply]]:
    """What the recipients of these alerts get (an alert's message is fixed once composed)."""
    ids = list(set(alert_ids))
    if not ids:
        return {}
    rows = session.exec(select(Alert.id, Alert.payload).where(col(Alert.id).in_(ids))).all()
    return {int(i): replies_from_payload(dict(p)) for i, p in rows if i is not None}


def cancelled_among(session: Session, alert_ids: Iterable[int]) -> set[int]:
    """Which of these alerts were cancelled (the worker drops their claimed rows)."""
    ids = list(set(alert_ids))
    if not ids:
        return set()
    rows = session.exec(select(Alert.id).where(col(Alert.id).in_(ids), Alert.status == "cancelled")).all()
    return {int(i) for i in rows if i is not None}


def figures(session: Session, alert_id: int) -> AlertFigures:
    """Delivery figures of one alert, overall and per commune, from its outbox rows."""
    rows = session.exec(
        select(OutboxMessage.ward_code, OutboxMessage.status, func.count())
        .where(OutboxMessage.alert_id == alert_id)
        .group_by(col(OutboxMessage.ward_code), col(OutboxMessage.status))
    ).all()
    counts: dict[str, int] = {}
    wards: dict[int | None, WardFigures] = {}
    for ward_code, status, n in rows:
        counts[status] = counts.get(status, 0) + int(n)
        if ward_code not in wards:
            place = places.ward(ward_code) if ward_code is not None else None
            wards[ward_code] = WardFigures(ward_code, place.ward_name or "" if place else "")
        wards[ward_code].counts[status] = wards[ward_code].counts.get(status, 0) + int(n)
    ordered = sorted(wards.values(), key=lambda w: (-w.recipients, w.ward_name))
    return AlertFigures(alert_id=alert_id, counts=counts, wards=ordered)


def _audit(
    session: Session, officer: Officer, action: str, alert: Alert, detail: dict[str, object] | None = None
) -> None:
    audit.record(
        session,
        actor=f"officer:{officer.id}",
        action=action,
        target_type="alert",
        target_id=str(alert.id),
        detail={"status": alert.status, **(detail or {})},
    )
