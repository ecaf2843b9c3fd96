"""The OA channel: windows, the error policy per code, splitting, media, and the outbox worker."""

from __future__ import annotations

import datetime as dt
import logging
import time
import unicodedata
from pathlib import Path

import pytest

from bot.channels.base import PermanentError, RetryAfter, TransientError, WindowClosed
from bot.channels.zalo.guard import ALERT_ACTION
from bot.channels.zalo.window import messaging_window
from bot.worker import OutboxWorker
from content.messages import Button, Media, Reply
from storage import audit, outbox, users
from storage.db import transaction
from storage.models import OutboxMessage, utcnow
from tests.bot.zalo.conftest import ZaloHarness

USER = "2468458835296197922"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_window_rules() -> None:
    assert not messaging_window(None, NOW).open
    fresh = messaging_window(NOW - dt.timedelta(hours=47), NOW)
    assert fresh.open and fresh.free
    billed = messaging_window(NOW - dt.timedelta(days=3), NOW)
    assert billed.open and not billed.free
    closed = messaging_window(NOW - dt.timedelta(days=7, minutes=1), NOW)
    assert not closed.open and "7-day" in closed.reason
    naive = messaging_window((NOW - dt.timedelta(days=1)).replace(tzinfo=None), NOW)
    assert naive.open


def touch(zalo: ZaloHarness, user: str = USER, *, ago: dt.timedelta = dt.timedelta(minutes=1)) -> None:
    with transaction(zalo.services.engine) as session:
        users.record_inbound(session, channel="zalo", user_key=user, inbound_at=utcnow() - ago)


def enqueue(zalo: ZaloHarness, text: str, user: str = USER) -> int:
    with transaction(zalo.services.engine) as session:
        return int(outbox.enqueue(session, channel="zalo", user_key=user, replies=[Reply(text)]).id or 0)


def status_of(zalo: ZaloHarness, row_id: int) -> OutboxMessage:
    with transaction(zalo.services.engine) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


async def test_closed_window_is_recorded_without_calling_zalo(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo, ago=dt.timedelta(days=8))
    row_id = enqueue(zalo, "Cảnh báo mới ở xã bạn")
    worker = OutboxWorker(zalo.services.engine, zalo.services.channels)
    assert await worker.run_once() == 1
    assert status_of(zalo, row_id).status == "window_closed"
    assert zalo.fake.calls("oa/message/cs") == []


async def test_never_seen_user_has_no_window(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    with pytest.raises(WindowClosed):
        await zalo.oa.send("someone-new", [Reply("xin chào")])
    assert zalo.fake.calls("oa/message/cs") == []


async def test_zalo_230_is_not_retried_and_recorded(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo, ago=dt.timedelta(days=6))
    zalo.fake.fail("oa/message/cs", error=-230)
    row_id = enqueue(zalo, "Thông báo")
    await OutboxWorker(zalo.services.engine, zalo.services.channels).run_once()
    assert status_of(zalo, row_id).status == "window_closed"
    assert len(zalo.fake.calls("oa/message/cs")) == 1


async def test_zalo_32_backs_off_then_sends_once(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo)
    zalo.fake.fail("oa/message/cs", error=-32, times=2)
    await zalo.oa.send(USER, [Reply("sau khi chờ")])
    calls = zalo.fake.calls("oa/message/cs")
    assert [c.outcome for c in calls] == ["-32", "-32", "ok"]
    base = zalo.services.settings.zalo_retry_base_delay
    assert calls[1].at - calls[0].at >= base / 2 and calls[2].at - calls[1].at >= base  # doubling
    assert zalo.fake.texts(USER) == ["sau khi chờ"]


async def test_retry_log_names_zalo_once(zalo: ZaloHarness, caplog: pytest.LogCaptureFixture) -> None:
    await zalo.authorize()
    touch(zalo)
    zalo.fake.fail("oa/message/cs", error=-32, times=1)
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo"):
        await zalo.oa.send(USER, [Reply("x")])
    [line] = [r.getMessage() for r in caplog.records if "try 2 again" in r.getMessage()]
    assert line.startswith("Zalo error -32: ") and "Zalo Zalo" not in line


async def test_zalo_32_that_persists_becomes_retry_after_for_the_worker(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo)
    zalo.fake.fail("oa/message/cs", error=-32, times=3)
    with pytest.raises(RetryAfter):
        await zalo.oa.send(USER, [Reply("x")])
    row_id = enqueue(zalo, "y")
    zalo.fake.fail("oa/message/cs", error=-32, times=3)
    await OutboxWorker(zalo.services.engine, zalo.services.channels).run_once()
    row = status_of(zalo, row_id)
    # The worker waits out the pause with every sender, then the row goes out: not lost, not failed.
    assert row.status == "sent" and row.attempts == 1


async def test_server_errors_back_off(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo)
    zalo.fake.fail("oa/message/cs", status=502)
    await zalo.oa.send(USER, [Reply("qua 502")])
    assert [c.outcome for c in zalo.fake.calls("oa/message/cs")] == ["HTTP 502", "ok"]
    zalo.fake.fail("oa/message/cs", status=503, times=3)
    with pytest.raises(TransientError):
        await zalo.oa.send(USER, [Reply("không qua")])


@pytest.mark.parametrize("code", [-213, -227, -244])
async def test_unreachable_codes(zalo: ZaloHarness, code: int) -> None:
    await zalo.authorize()
    touch(zalo)
    zalo.fake.fail("oa/message/cs", error=code)
    row_id = enqueue(zalo, "x")
    hooked: list[tuple[str, str]] = []
    worker = OutboxWorker(zalo.services.engine, zalo.services.channels)
    worker.on_unreachable.append(lambda channel, user: hooked.append((channel, user)))
    await worker.run_once()
    assert status_of(zalo, row_id).status == "unreachable"
    assert hooked == [("zalo", USER)]
    assert len(zalo.fake.calls("oa/message/cs")) == 1


async def test_configuration_error_stops_sending_and_alerts_once(
    zalo: ZaloHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await zalo.authorize()
    touch(zalo)
    zalo.fake.fail("oa/message/cs", error=-224)
    with caplog.at_level(logging.CRITICAL), pytest.raises(PermanentError):
        await zalo.oa.send(USER, [Reply("x")])
    with pytest.raises(PermanentError, match="stopped"):
        await zalo.oa.send(USER, [Reply("y")])
    assert len(zalo.fake.calls("oa/message/cs")) == 1  # the second send never reached Zalo
    assert [r for r in caplog.records if "ALERT zalo" in r.getMessage()]
    with transaction(zalo.services.engine) as session:
        alerts = [e for e in audit.entries(session, target_type="channel") if e.action == ALERT_ACTION]
    assert len(alerts) == 1 and "-224" in alerts[0].detail["reason"]
    zalo.oa.guard.resume()
    await zalo.oa.send(USER, [Reply("z")])
    assert zalo.fake.texts(USER) == ["z"]


async def test_long_text_is_split_cleanly_after_nfc(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo)
    sentence = unicodedata.normalize("NFD", "Không bao giờ chuyển tiền cho người lạ tự xưng công an. ")
    text = sentence * 90  # ~5 000 characters, more when decomposed
    await zalo.oa.send(USER, [Reply(text, buttons=[[Button("🏠 Menu", "menu")]])])
    sent = zalo.fake.sent(USER)
    assert len(sent) == 3
    for message in sent:
        assert 0 < len(message["text"]) <= 2000 and unicodedata.is_normalized("NFC", message["text"])
        assert message["text"].endswith(".")  # cut at a sentence, not mid-word
    assert "attachment" in sent[-1] and "attachment" not in sent[0]  # buttons under the last part
    joined = " ".join(m["text"] for m in sent)
    assert joined.count("Không bao giờ") == 90


async def test_failed_send_resumes_where_it_stopped(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    touch(zalo)
    reply = Reply("Phần một.\n\n" + "a " * 1500 + "\n\nPhần cuối.")
    zalo.fake.fail("oa/message/cs", status=503, times=3, after=1)  # the first part goes through
    with pytest.raises(TransientError):
        await zalo.oa.send(USER, [reply])
    assert len(zalo.fake.texts(USER)) == 1
    await zalo.oa.send(USER, [reply])  # the worker's retry
    texts = zalo.fake.texts(USER)
    assert len(texts) == 2 and texts[0].startswith("Phần một.") and texts[1].endswith("Phần cuối.")


async def test_media_url_upload_and_contact_form(zalo: ZaloHarness, tmp_path: Path) -> None:
    await zalo.authorize()
    touch(zalo)
    picture = tmp_path / "canh-bao.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    replies = [
        Reply(
            "Ảnh cảnh báo",
            media=[
                Media("photo", url="https://canhgiac.vn/a.jpg", caption="<b>Mới</b>"),
                Media("photo", path=str(picture)),
            ],
            request_contact=True,
        )
    ]
    await zalo.oa.send(USER, replies)
    await zalo.oa.send(USER, [Reply("lần hai", media=[Media("photo", path=str(picture))])])
    sent = zalo.fake.sent(USER)
    elements = [m["attachment"]["payload"]["elements"][0] for m in sent if "attachment" in m]
    assert elements[0] == {"media_type": "image", "url": "https://canhgiac.vn/a.jpg"}
    assert sent[0]["text"] == "Mới"
    assert elements[1] == {"media_type": "image", "attachment_id": "att-1"}
    assert sent[3]["attachment"]["payload"]["template_type"] == "request_user_info"
    assert len(zalo.fake.calls("oa/upload/image")) == 1  # the id is reused while it lives


async def test_expired_attachment_is_uploaded_again(zalo: ZaloHarness, tmp_path: Path) -> None:
    await zalo.authorize()
    touch(zalo)
    picture = tmp_path / "a.jpg"
    picture.write_bytes(b"\xff\xd8" + b"1" * 50)
    await zalo.oa.send(USER, [Reply("", media=[Media("photo", path=str(picture))])])
    zalo.fake.fail("oa/message/cs", error=-100)
    await zalo.oa.send(USER, [Reply("", media=[Media("photo", path=str(picture))])])
    assert len(zalo.fake.calls("oa/upload/image")) == 2
    assert len(zalo.fake.sent(USER)) == 2


async def test_secrets_never_reach_logs_or_errors(
    zalo: ZaloHarness, caplog: pytest.LogCaptureFixture
) -> None:
    pair = await zalo.authorize()
    touch(zalo)
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        zalo.fake.expire_access_tokens()
        await zalo.oa.send(USER, [Reply("a")])
        for fault in ({"error": -224}, {"status": 500}, {"error": -201}):
            zalo.oa.guard.resume()
            zalo.fake.fail("oa/message/cs", times=3, **fault)  # type: ignore[arg-type]
            try:
                await zalo.oa.send(USER, [Reply("b")])
            except Exception as exc:
                errors.append(repr(exc) + str(exc))
        zalo.fake.fail("bot/sendMessage", status=401)
        try:
            await zalo.bot.send("chat1", [Reply("c")])
        except Exception as exc:
            errors.append(repr(exc) + str(exc))
        zalo.fake.fail("oauth/access_token", error=-14014)
        zalo.fake.expire_access_tokens()
        try:
            await zalo.oa.send(USER, [Reply("d")])
        except Exception as exc:
            errors.append(repr(exc) + str(exc))
    settings = zalo.services.settings
    secrets = [
        pair["access_token"],
        pair["refresh_token"],
        settings.zalo_app_secret.get_secret_value(),  # type: ignore[union-attr]
        settings.zalo_bot_token.get_secret_value().split(":")[1],  # type: ignore[union-attr]
        settings.secret_keys.get_secret_value(),  # type: ignore[union-attr]
    ]
    secrets += [c.headers.get("access_token", "") for c in zalo.fake.calls("oa/message/cs")]
    seen = caplog.text + "\n".join(errors) + repr(zalo.oa) + repr(zalo.tokens)
    assert len(errors) == 5
    for secret in filter(None, secrets):
        assert secret not in seen


async def test_send_is_quick_when_the_gate_is_open(zalo: ZaloHarness) -> None:
    """Guards against an accidental sleep in the happy path."""
    await zalo.authorize()
    touch(zalo)
    started = time.monotonic()
    for i in range(5):
        await zalo.oa.send(USER, [Reply(f"tin {i}")])
    assert time.monotonic() - started < 2.0
