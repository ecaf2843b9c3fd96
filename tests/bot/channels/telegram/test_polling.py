"""Long polling against the same fake Bot API: getUpdates → record → offset; nothing lost on faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bot.app import build_services
from bot.channels.telegram.outbound import TelegramChannel
from bot.channels.telegram.polling import TelegramPoller
from bot.runtime import make_telegram_bot
from bot.settings import Settings
from storage.migrate import upgrade
from tests.bot.channels.telegram.conftest import CHAT, load_update, press_update, running_app, text_update
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram import FakeTelegram


async def _until(predicate: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_polling_mode_answers_and_confirms_the_offset(
    tmp_path: Path, db_url: str, test_library: Any, fake: FakeTelegram
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=db_url,
        run_worker=False,
        webchat=False,
        secret_keys=TEST_SECRET_KEY,
        telegram_token=fake.token,
        telegram_api_url=fake.url,
        _env_file=None,
    )
    fake.webhook = {"url": "https://old.example.vn/webhooks/telegram"}  # left over from webhook mode
    fake.push_update(text_update("/start", update_id=900))
    fake.push_update(press_update("lib:1", update_id=901))
    fake.push_update(load_update("edited_message", update_id=902))
    async with running_app(settings, test_library, fake) as app:
        paths = [getattr(route, "path", "") for router in app.services.routers for route in router.routes]
        paths += [path for _method, path in app.services.direct_routes]
        assert "/webhooks/telegram" not in paths  # no webhook route without a public address
        assert (await app.client.post("/webhooks/telegram", json={})).status_code in (404, 405)
        await fake.wait_for("sendMessage", count=2)
        await _until(lambda: fake.confirmed_offset == 903)
        await app.settle()
    assert fake.sent("deleteWebhook") and fake.webhook == {}
    first, second = fake.sent()
    assert "Xin chào" in first.text and second.callback_data
    assert fake.sent("answerCallbackQuery")[0].params["callback_query_id"] == "q901"
    assert fake.sent("setMyCommands")


async def test_nothing_is_lost_while_the_database_is_down(
    tmp_path: Path, test_library: Any, fake: FakeTelegram
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'fresh.db'}",  # not migrated yet: every record fails
        run_worker=False,
        secret_keys=TEST_SECRET_KEY,
        telegram_token=fake.token,
        telegram_api_url=fake.url,
        _env_file=None,
    )
    services = build_services(settings, library=test_library)
    bot = make_telegram_bot(settings)
    services.dispatcher.add_channel(TelegramChannel(bot))
    poller = TelegramPoller(bot, services.dispatcher, base_delay=0.01, max_delay=0.05)
    fake.push_update(text_update("/start", update_id=950, chat_id=CHAT))
    task = asyncio.create_task(poller.run())
    try:
        await _until(lambda: len(fake.sent("getUpdates")) >= 3)
        assert poller.offset is None and fake.sent("sendMessage") == []
        upgrade(services.engine)  # the database is back
        await fake.wait_for("sendMessage")
        await _until(lambda: poller.offset == 951)
    finally:
        poller.stop()
        await task
        await services.dispatcher.drain()
        await bot.session.close()
        services.engine.dispose()
    assert len(fake.sent("sendMessage")) == 1
