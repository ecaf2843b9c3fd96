"""Users: the last inbound time only moves forward and an unfollow stands against late events,
on SQLite and PostgreSQL, for every channel."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from storage import users
from storage.db import transaction
from storage.models import User
from storage.models.base import as_utc

T0 = dt.datetime(2026, 11, 23, 8, 13, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _write(engine: Engine, *messages: users.Inbound) -> None:
    with transaction(engine) as session:
        users.record_inbound_many(session, list(messages))


def _user(engine: Engine, channel: str, key: str) -> User:
    with transaction(engine) as session:
        user = users.get_user(session, channel=channel, user_key=key)
        assert user is not None
        return user


@pytest.mark.parametrize("channel", ["telegram", "zalo", "zalo_bot", "web"])
def test_an_older_message_arriving_later_keeps_the_latest_time(engine: Engine, channel: str) -> None:
    _write(engine, users.Inbound(channel, "u1", "Lan", T0))
    _write(engine, users.Inbound(channel, "u1", "Lan cũ", T0 - 2 * HOUR))
    _write(engine, users.Inbound(channel, "u1", None, T0 - 8 * 24 * HOUR))
    user = _user(engine, channel, "u1")
    assert as_utc(user.last_inbound_at) == T0
    assert user.display_name == "Lan"  # an older message's name does not replace the newer one
    _write(engine, users.Inbound(channel, "u1", "Lan mới", T0 + HOUR))
    user = _user(engine, channel, "u1")
    assert as_utc(user.last_inbound_at) == T0 + HOUR and user.display_name == "Lan mới"


def test_one_batch_out_of_order_beside_a_stored_time(engine: Engine) -> None:
    _write(engine, users.Inbound("telegram", "u1", None, T0))
    _write(
        engine,
        users.Inbound("telegram", "u1", None, T0 - HOUR),
        users.Inbound("telegram", "u2", None, T0 + HOUR),
        users.Inbound("telegram", "u2", None, T0),
    )
    with transaction(engine) as session:
        assert users.last_inbound(session, channel="telegram", user_keys=["u1", "u2"]) == {
            "u1": T0,
            "u2": T0 + HOUR,
        }


def test_a_message_older_than_the_unfollow_does_not_undo_it(engine: Engine) -> None:
    _write(engine, users.Inbound("zalo", "u1", None, T0))
    with transaction(engine) as session:
        assert users.mark_unreachable(session, channel="zalo", user_key="u1", reason="gone", at=T0 + 2 * HOUR)
    _write(engine, users.Inbound("zalo", "u1", None, T0 + HOUR))  # a retry of a message sent before
    _write(engine, users.Inbound("zalo", "u1", None, T0 + 2 * HOUR))  # the same moment is not later
    user = _user(engine, "zalo", "u1")
    assert as_utc(user.unreachable_at) == T0 + 2 * HOUR and user.unreachable_reason == "gone"
    assert as_utc(user.last_inbound_at) == T0 + 2 * HOUR
    _write(engine, users.Inbound("zalo", "u1", None, T0 + 3 * HOUR))  # followed again and wrote
    user = _user(engine, "zalo", "u1")
    assert user.unreachable_at is None and user.unreachable_reason is None


def test_a_late_unfollow_older_than_the_latest_message_changes_nothing(engine: Engine) -> None:
    _write(engine, users.Inbound("zalo", "u1", None, T0))
    with transaction(engine) as session:
        assert not users.mark_unreachable(session, channel="zalo", user_key="u1", reason="gone", at=T0 - HOUR)
    assert _user(engine, "zalo", "u1").unreachable_at is None
    with transaction(engine) as session:  # a block the worker meets now stands
        assert users.mark_unreachable(session, channel="telegram", user_key="new", reason="blocked")
    assert _user(engine, "telegram", "new").unreachable_at is not None
