"""Several serving processes on one PostgreSQL inbox: order per user, answered once, take-over.

Two whole apps (as `canhgiac serve` builds them) share the database in one event loop; each
has its own dispatcher, as two processes would. The multi-process run behind a real proxy is
tests/bot/test_serve_cluster.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from content.messages import Reply
from storage import inbox, inbox_lanes
from storage.db import make_engine, transaction
from storage.models import DialogState, InboxUpdate, OutboxMessage, utcnow
from tests.bot.channels.telegram.conftest import SECRET, Webhook, running_app, text_update
from tests.conftest import TEST_SECRET_KEY, _truncate_postgres
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.postgres

CHAT = 6100200300


def _settings(tmp_path: Path, url: str, fake: FakeTelegram, **extra: Any) -> Any:
    from bot.settings import Settings

    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": url,
        "run_worker": False,
        "webchat": False,
        "secret_keys": TEST_SECRET_KEY,
        "telegram_token": fake.token,
        "telegram_api_url": fake.url,
        "telegram_webhook_secret": SECRET,
        "telegram_rate_limit": 0,
        "burst_seconds": 0,
        "public_url": "https://canhgiac.example.vn",
        "inbox_lease": 1.0,
        **extra,
    }
    return Settings(**values, _env_file=None)


@pytest.fixture
def pg_url(postgres_server_url: str) -> str:
    engine = make_engine(postgres_server_url)
    _truncate_postgres(engine)
    engine.dispose()
    return postgres_server_url


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def pair(
    tmp_path: Path, pg_url: str, fake: FakeTelegram, test_library: Any
) -> AsyncIterator[tuple[Webhook, Webhook]]:
    async with AsyncExitStack() as stack:
        hooks = [
            await stack.enter_async_context(
                running_app(_settings(tmp_path / name, pg_url, fake), test_library, fake)
            )
            for name in ("a", "b")
        ]
        yield hooks[0], hooks[1]


async def _settle(*hooks: Webhook) -> None:
    for _ in range(3):  # one may be waiting for the other's turn
        for hook in hooks:
            await hook.settle()


def _rows(hook: Webhook) -> list[InboxUpdate]:
    with transaction(hook.services.engine) as session:
        return list(session.exec(select(InboxUpdate).order_by(InboxUpdate.id)).all())  # type: ignore[arg-type]


async def test_a_users_updates_on_two_processes_are_answered_in_order(
    pair: tuple[Webhook, Webhook], fake: FakeTelegram
) -> None:
    a, b = pair
    fake.call_delay["sendmessage"] = 0.3  # the first reply is slow to leave process a
    assert (await a.post(text_update("/start", update_id=1, chat_id=CHAT))).status_code == 200
    assert (await b.post(text_update("/kiemtra", update_id=2, chat_id=CHAT))).status_code == 200
    await _settle(a, b)
    replies = [call.text for call in fake.sent(chat_id=CHAT)]
    assert len(replies) == 2
    assert "Xin chào" in replies[0] and "Hãy dán" in replies[1]
    assert [row.status for row in _rows(a)] == ["done", "done"]
    with transaction(a.services.engine) as session:
        step = session.exec(select(DialogState.step).where(DialogState.user_key == str(CHAT))).one()
    assert step == "check.await"  # the later update's state is the one kept


async def test_updates_of_a_process_that_died_are_taken_over_after_the_lease_in_order(
    pair: tuple[Webhook, Webhook], fake: FakeTelegram
) -> None:
    a, b = pair
    # A process recorded the user's first message, claimed it and died before handling it.
    with transaction(a.services.engine) as session:
        [dead_id] = inbox.record_updates(
            session,
            [inbox.NewUpdate("telegram", "11", str(CHAT), text_update("/start", update_id=11, chat_id=CHAT))],
            attempts=1,
            claimed_by="gone:1:abc",
        )
    assert (await b.post(text_update("/kiemtra", update_id=12, chat_id=CHAT))).status_code == 200
    await asyncio.sleep(0.3)
    assert fake.sent(chat_id=CHAT) == []  # the dead process's lease has not run out yet
    await fake.wait_for(count=2, chat_id=CHAT, timeout=5)
    await _settle(a, b)
    replies = [call.text for call in fake.sent(chat_id=CHAT)]
    assert "Xin chào" in replies[0] and "Hãy dán" in replies[1] and len(replies) == 2
    rows = _rows(a)
    assert [(row.id, row.status) for row in rows] == [(dead_id, "done"), (rows[1].id, "done")]
    live = {a.services.dispatcher.instance, b.services.dispatcher.instance}
    assert {row.claimed_by for row in rows} <= live  # taken over by whichever looked first


async def test_replies_decided_before_a_crash_are_sent_not_decided_again(
    pair: tuple[Webhook, Webhook], fake: FakeTelegram
) -> None:
    a, _ = pair
    with transaction(a.services.engine) as session:
        [update_id] = inbox.record_updates(
            session,
            [
                inbox.NewUpdate(
                    "telegram", "21", str(CHAT), text_update("/kiemtra", update_id=21, chat_id=CHAT)
                )
            ],
            attempts=1,
            claimed_by="gone:2:def",
        )
        assert update_id is not None
        inbox_lanes.store_replies(
            session, [inbox_lanes.Answer(update_id, str(CHAT), [Reply("Đã quyết định")])]
        )
        session.execute(
            update(InboxUpdate).values(claimed_at=utcnow() - dt.timedelta(minutes=1))
        )  # its process died a minute ago
    assert await a.services.dispatcher.recover() == 1
    await _settle(a)
    [sent] = fake.sent(chat_id=CHAT)
    assert sent.text == "Đã quyết định"
    with transaction(a.services.engine) as session:
        assert session.exec(select(DialogState)).all() == []  # not handled a second time
    [row] = _rows(a)
    assert row.status == "done" and row.replies is None


async def test_a_reply_refused_with_5xx_goes_to_the_outbox_and_is_sent_once_the_platform_is_back(
    tmp_path: Path, pg_url: str, fake: FakeTelegram, test_library: Any
) -> None:
    settings = _settings(tmp_path, pg_url, fake, run_worker=True)
    fake.fail("sendMessage", 502, "Bad Gateway", times=None)
    async with running_app(settings, test_library, fake) as hook:
        assert (await hook.post(text_update("/start", update_id=31, chat_id=CHAT))).status_code == 200
        await hook.settle()
        [row] = _rows(hook)
        assert row.status == "done"
        with transaction(hook.services.engine) as session:
            [queued] = session.exec(select(OutboxMessage)).all()
        assert queued.kind == "reply" and queued.user_key == str(CHAT)
        fake.clear_failures()  # the platform is back
        [reply] = await fake.wait_for(chat_id=CHAT, timeout=20)
        assert "Xin chào" in reply.text
        for _ in range(50):
            with transaction(hook.services.engine) as session:
                status = session.exec(select(OutboxMessage.status)).one()
            if status == "sent":
                break
            await asyncio.sleep(0.1)
        assert status == "sent"
    assert len(fake.sent(chat_id=CHAT)) == 1


@pytest.mark.redis
async def test_a_reply_that_left_just_before_a_crash_is_not_sent_again(
    tmp_path: Path, pg_url: str, fake: FakeTelegram, test_library: Any
) -> None:
    from tests.conftest import REDIS_URL

    if not REDIS_URL:
        pytest.skip("CANHGIAC_TEST_REDIS_URL is not set")
    settings = _settings(tmp_path, pg_url, fake, redis_url=REDIS_URL)
    async with running_app(settings, test_library, fake) as hook:
        assert (await hook.post(text_update("/start", update_id=41, chat_id=CHAT))).status_code == 200
        await hook.settle()
        [sent] = fake.sent(chat_id=CHAT)
        # The process died after the reply left and before the update was marked done: the row is
        # as it was then (pending, its replies stored, its claim running out).
        with transaction(hook.services.engine) as session:
            [row] = session.exec(select(InboxUpdate)).all()
            assert row.id is not None
            inbox_lanes.store_replies(session, [inbox_lanes.Answer(row.id, str(CHAT), [Reply(sent.text)])])
            session.execute(
                update(InboxUpdate).values(
                    status="pending", claimed_by="gone:4:abc", claimed_at=utcnow() - dt.timedelta(minutes=1)
                )
            )
        await hook.services.dispatcher.recover()  # or the lease loop takes it over first
        for _ in range(100):
            if _rows(hook)[0].status == "done":
                break
            await asyncio.sleep(0.1)
        await hook.settle()
        assert len(fake.sent(chat_id=CHAT)) == 1
        [row] = _rows(hook)
        assert row.status == "done"
