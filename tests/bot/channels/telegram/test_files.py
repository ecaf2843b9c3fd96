"""Evidence files from Telegram: getFile then the file URL, through the fake Bot API."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.telegram.files import TelegramFileFetcher
from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.messages import Attachment
from tests.fakes.telegram import FakeTelegram

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300


async def fetch(fake: FakeTelegram, attachment: Attachment, max_bytes: int = 10_000) -> bytes:
    fetcher = TelegramFileFetcher(fake.url, fake.token)
    try:  # the handlers call it from their worker thread
        return await asyncio.to_thread(fetcher, attachment, max_bytes)
    finally:
        fetcher.client.close()


async def test_file_is_downloaded_by_its_id(fake: FakeTelegram) -> None:
    fake.files["AgACAgUAAxkBAAIB"] = JPEG
    assert await fetch(fake, Attachment(kind="photo", ref="AgACAgUAAxkBAAIB")) == JPEG
    assert fake.sent("getFile")[0].params["file_id"] == "AgACAgUAAxkBAAIB"


async def test_too_large_is_refused_before_downloading(fake: FakeTelegram) -> None:
    fake.files["big"] = JPEG * 100
    with pytest.raises(AttachmentTooLarge):
        await fetch(fake, Attachment(kind="document", ref="big"), max_bytes=1000)
    with pytest.raises(AttachmentTooLarge):  # the size Telegram gave with the update: no call at all
        await fetch(fake, Attachment(kind="document", ref="big", size=30_000), max_bytes=1000)
    assert len(fake.attempts("getFile")) == 1


async def test_unknown_or_expired_file_is_unavailable(fake: FakeTelegram) -> None:
    with pytest.raises(AttachmentUnavailable):
        await fetch(fake, Attachment(kind="photo", ref="gone"))


async def test_telegram_down_is_unavailable_and_the_token_is_not_shown(fake: FakeTelegram) -> None:
    await fake.stop()
    with pytest.raises(AttachmentUnavailable) as caught:
        await fetch(fake, Attachment(kind="photo", ref="x"))
    assert fake.token not in str(caught.value)
