"""Residents' alert subscriptions: subscribe, change, end (by the resident or by the platform)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from storage.models import Subscription, utcnow

# Why a subscription ended; kept as data for the reach reports.
END_UNSUBSCRIBED = "unsubscribed"
END_CHANGED = "changed"
END_UNREACHABLE = "unreachable"
END_UNFOLLOWED = "unfollowed"


def current(session: Session, *, channel: str, user_key: str) -> Subscription | None:
    """The resident's active subscription on this channel, if any."""
    return session.exec(
        select(Subscription).where(
            Subscription.channel == channel,
            Subscription.user_key == user_key,
            col(Subscription.active).is_(True),
        )
    ).first()


def subscribe(
    session: Session,
    *,
    channel: str,
    user_key: str,
    province_code: int,
    ward_code: int,
    hamlet_id: int | None = None,
    now: dt.datetime | None = None,
) -> Subscription:
    """Subscribe to one commune (and, when named, one of its hamlets); an existing subscription
    elsewhere is ended first, so reach per hamlet can be counted over time.

    Subscribing again to the same place keeps the existing row (idempotent); naming the
    commune again without a hamlet keeps the hamlet already named.
    """
    now = now or utcnow()
    existing = current(session, channel=channel, user_key=user_key)
    if existing is not None:
        same_ward = existing.ward_code == ward_code and existing.province_code == province_code
        if same_ward and (hamlet_id is None or existing.hamlet_id == hamlet_id):
            return existing
        _end(session, existing, reason=END_CHANGED, now=now)
    row = Subscription(
        channel=channel,
        user_key=user_key,
        province_code=province_code,
        ward_code=ward_code,
        hamlet_id=hamlet_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def unsubscribe(
    session: Session,
    *,
    channel: str,
    user_key: str,
    reason: str = END_UNSUBSCRIBED,
    now: dt.datetime | None = None,
) -> Subscription | None:
    """End the active subscription; returns the ended row, or None when there was none."""
    existing = current(session, channel=channel, user_key=user_key)
    if existing is None:
        return None
    _end(session, existing, reason=reason, now=now or utcnow())
    return existing


def end_all(session: Session, *, channel: str, user_key: str, reason: str) -> int:
    """End every active subscription of a recipient (blocked us, unfollowed, unreachable)."""
    result = session.execute(
        update(Subscription)
        .where(
            col(Subscription.channel) == channel,
            col(Subscription.user_key) == user_key,
            col(Subscription.active).is_(True),
        )
        .values(active=False, ended_at=utcnow(), end_reason=reason[:64])
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _end(session: Session, row: Subscription, *, reason: str, now: dt.datetime) -> None:
    row.active = False
    row.ended_at = now
    row.end_reason = reason[:64]
    session.add(row)
    session.flush()


def count_active(
    session: Session,
    *,
    province_code: int,
    ward_codes: Iterable[int] | None = None,
    channels: Iterable[str] | None = None,
) -> int:
    """How many would receive an alert to these communes (None: the whole province)."""
    query = select(func.count()).select_from(Subscription).where(*_audience(province_code, ward_codes))
    if channels is not None:
        query = query.where(col(Subscription.channel).in_(list(channels)))
    return int(session.exec(query).one())


def count_by_ward(session: Session, *, province_code: int) -> dict[int, int]:
    """Active subscribers per commune of a province (for the console's audience picker)."""
    rows = session.exec(
        select(Subscription.ward_code, func.count())
        .where(*_audience(province_code, None))
        .group_by(col(Subscription.ward_code))
    ).all()
    return {int(ward): int(n) for ward, n in rows}


def _audience(province_code: int, ward_codes: Iterable[int] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        col(Subscription.active).is_(True),
        col(Subscription.province_code) == province_code,
    ]
    if ward_codes is not None:
        conditions.append(col(Subscription.ward_code).in_(list(ward_codes)))
    return conditions
