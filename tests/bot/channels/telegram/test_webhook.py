"""End to end through POST /webhooks/telegram: record → 200 → process → reply via the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import select

from bot.logref import UserRef
from handlers import router
from storage import inbox
from storage.db import make_engine, transaction
from storage.models import DialogState, InboxUpdate, User
from tests.bot.channels.telegram.conftest import (
    CHAT,
    Webhook,
    load_update,
    press_update,
    running_app,
    text_update,
)
from tests.fakes.telegram import BLOCKED, FakeTelegram


def _inbox(hook: Webhook) -> list[InboxUpdate]:
    with transaction(hook.services.engine) as session:
        return list(session.exec(select(InboxUpdate).order_by(InboxUpdate.id)).all())  # type: ignore[arg-type]


def _user(hook: Webhook, key: str = str(CHAT)) -> User | None:
    with transaction(hook.services.engine) as session:
        return session.exec(select(User).where(User.channel == "telegram", User.user_key == key)).first()


async def test_start_shows_the_menu_and_commands_are_published(webhook: Webhook) -> None:
    response = await webhook.post(load_update("command_start"))
    assert response.status_code == 200
    await webhook.settle()
    [reply] = webhook.fake.sent("sendMessage", chat_id=CHAT)
    assert "Xin chào" in reply.text and reply.params["parse_mode"] == "HTML"
    assert reply.callback_data[:2] == ["check", "lib:1"]
    assert all(len(data.encode()) <= 64 for data in reply.callback_data)
    names = [c["command"] for c in webhook.fake.commands]
    assert names == ["start", "kiemtra", "baocao", "canhbao", "trangthai", "huongdan"]
    assert all(c["description"] for c in webhook.fake.commands)


async def test_deep_link_opens_the_report_dialog(webhook: Webhook) -> None:
    await webhook.post(load_update("command_start_deeplink"))  # t.me/<bot>?start=baocao
    await webhook.settle()
    [reply] = webhook.fake.sent()
    assert "Báo cáo vụ việc lừa đảo" in reply.text
    assert any(data.startswith("report:consent") for data in reply.callback_data)


async def test_a_command_whose_feature_is_off_answers_honestly(webhook: Webhook) -> None:
    conversations = webhook.services.conversations
    conversations.features = replace(conversations.features, report=False)
    await webhook.post(text_update("/baocao", update_id=90))
    await webhook.settle()
    [reply] = webhook.fake.sent()
    assert "đang được hoàn thiện" in reply.text
    assert "113" in reply.text  # and what to do meanwhile


async def test_forwarded_scam_text_gets_the_verdict_card(webhook: Webhook) -> None:
    await webhook.post(load_update("forwarded"))
    await webhook.settle()
    [card] = webhook.fake.sent()
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in card.text
    assert card.callback_data[0] == "report:check"
    assert "card:impersonate-authority" in card.callback_data
    assert "guide:after-scam" in card.callback_data


async def test_button_press_opens_the_card_and_answers_the_query(webhook: Webhook) -> None:
    await webhook.post(load_update("callback_query"))
    await webhook.settle()
    [answer] = webhook.fake.sent("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "2199023255552123456"
    [card] = webhook.fake.sent()
    assert "Giả danh công an" in card.text
    assert answer.at <= card.at  # the spinner stops before the card is built


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
async def test_wrong_secret_is_refused_and_nothing_is_processed(webhook: Webhook, secret: str | None) -> None:
    response = await webhook.post(load_update("command_start"), secret=secret)
    assert response.status_code == 401
    await webhook.settle()
    assert _inbox(webhook) == []
    assert webhook.fake.sent() == []


async def test_only_a_post_reaches_the_webhook(webhook: Webhook) -> None:
    response = await webhook.client.get(
        "/webhooks/telegram", headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
    )
    assert response.status_code in (404, 405)
    assert (await webhook.client.get("/healthz")).json()["status"] == "ok"  # the app behind still answers
    assert _inbox(webhook) == []


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"message": {"text": "hi"}}', b'{"update_id": "x"}']
)
async def test_a_body_that_is_not_an_update_is_refused(webhook: Webhook, body: bytes) -> None:
    response = await webhook.post(body)
    assert response.status_code == 400
    assert _inbox(webhook) == []


async def test_the_same_update_twice_gets_one_reply(webhook: Webhook) -> None:
    update = load_update("command_start")
    first = await webhook.post(update)
    second = await webhook.post(update)
    assert (first.status_code, second.status_code) == (200, 200)
    await webhook.settle()
    assert len(webhook.fake.sent()) == 1
    assert len(_inbox(webhook)) == 1


async def test_updates_of_one_chat_are_answered_in_order(webhook: Webhook) -> None:
    # Telegram sends a chat's next update as soon as we answered 200, usually before the
    # previous one is processed: the replies must still come in the order of the updates.
    steps = [
        ("/huongdan", "Cách dùng"),
        ("/start", "Xin chào"),
        ("/kiemtra", "Hãy dán"),
        ("lib:1", "Các chiêu lừa"),
    ]
    sequence = steps * 6
    for n, (what, _) in enumerate(sequence, start=1):
        update = (
            text_update(what, update_id=100 + n)
            if what.startswith("/")
            else press_update(what, update_id=100 + n)
        )
        assert (await webhook.post(update)).status_code == 200
    await webhook.settle()
    texts = [c.text for c in webhook.fake.sent()]
    assert len(texts) == len(sequence)
    for (what, marker), reply in zip(sequence, texts, strict=True):
        assert marker in reply, (what, reply)


async def test_429_in_the_middle_of_a_conversation_delays_the_reply(webhook: Webhook) -> None:
    await webhook.post(text_update("/start", update_id=201))
    await webhook.settle()
    webhook.fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await webhook.post(press_update("lib:1", update_id=202))
    await webhook.settle()
    refused, delivered = webhook.fake.attempts()[1:]
    assert refused.error == 429 and delivered.error is None
    assert delivered.at - refused.at >= 1.0
    assert len(webhook.fake.sent()) == 2
    assert [row.status for row in _inbox(webhook)] == ["done", "done"]


async def test_user_who_blocks_the_bot_is_marked_unreachable(webhook: Webhook) -> None:
    told: list[tuple[str, str]] = []
    webhook.services.dispatcher.on_unreachable.append(lambda channel, key: told.append((channel, key)))
    await webhook.post(load_update("command_start"))
    await webhook.settle()
    await webhook.post(load_update("my_chat_member_kicked"))
    await webhook.settle()
    user = _user(webhook)
    assert user is not None and user.unreachable_at is not None
    assert told == [("telegram", str(CHAT))]
    assert len(webhook.fake.sent()) == 1  # nothing is said to someone who left


async def test_a_send_refused_with_403_marks_the_user_unreachable(webhook: Webhook) -> None:
    webhook.fake.block(777)
    await webhook.post(text_update("/start", update_id=301, chat_id=777))
    await webhook.settle()
    user = _user(webhook, "777")
    assert user is not None and user.unreachable_at is not None
    assert user.unreachable_reason == BLOCKED
    assert webhook.fake.sent() == []


async def test_the_unreachable_log_names_a_keyed_hash_not_the_chat_id(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.fake.block(777004)
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await webhook.post(text_update("/start", update_id=302, chat_id=777004))
        await webhook.settle()
    [line] = [r.getMessage() for r in caplog.records if "is unreachable" in r.getMessage()]
    assert "777004" not in line
    # the same keys name the same user the same way in every process
    ref = UserRef(webhook.services.cipher.derive("log user ref"))
    assert ref("telegram", "777004") in line and ref("telegram", "777005") not in line


async def test_handler_crash_gets_an_apology_and_is_not_retried(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(ctx: Any, arg: str) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(router.ACTIONS, "explode", explode)
    with caplog.at_level(logging.ERROR):
        await webhook.post(press_update("explode", update_id=401))
        await webhook.settle()
    [apology] = webhook.fake.sent()
    assert "xin lỗi" in apology.text.lower()
    # logged with Telegram's update_id (401), traceback included
    assert any("boom" in (r.exc_text or "") and "telegram 401" in r.getMessage() for r in caplog.records)
    [row] = _inbox(webhook)
    assert row.status == "done" and row.attempts == 1
    assert await webhook.services.dispatcher.recover() == 0


async def test_a_crash_among_many_chats_fails_alone(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Messages of different chats that arrive together are handled in one transaction; a
    # handler error there must not cost the others their answer or their saved state.
    def explode(ctx: Any, arg: str) -> Any:
        ctx.state.goto("check.await")  # a change that must not be saved
        raise RuntimeError("boom")

    monkeypatch.setitem(router.ACTIONS, "explode", explode)
    monkeypatch.setitem(router.COMMANDS, "/explode", "explode")
    chats = [9000 + n for n in range(12)]
    with caplog.at_level(logging.WARNING):
        updates = [
            text_update("/explode", update_id=700 + n, chat_id=chat)
            if n == 6
            else text_update("/kiemtra", update_id=700 + n, chat_id=chat)
            for n, chat in enumerate(chats)
        ]
        # Telegram sends different chats' updates side by side
        responses = await asyncio.gather(*(webhook.post(update) for update in updates))
        assert {r.status_code for r in responses} == {200}
        await webhook.settle()
    assert any("failed" in r.getMessage() and "one by one" in r.getMessage() for r in caplog.records)
    for n, chat in enumerate(chats):
        [reply] = webhook.fake.sent("sendMessage", chat_id=chat)
        assert ("xin lỗi" in reply.text.lower()) == (n == 6), reply.text
    with transaction(webhook.services.engine) as session:
        steps = dict(
            session.exec(
                select(DialogState.user_key, DialogState.step).where(DialogState.channel == "telegram")
            ).all()
        )
    assert [steps.get(str(chat)) for chat in chats] == ["check.await"] * 6 + [None] + ["check.await"] * 5
    assert all(row.status == "done" for row in _inbox(webhook))


async def test_a_database_blip_while_handling_costs_no_answer(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    if webhook.services.engine.dialect.name != "postgresql":
        pytest.skip("the server ends the connection: a PostgreSQL restart or failover")
    blips = []

    def flaky(ctx: Any, arg: str) -> Any:
        if not blips:  # the first time, the server drops this session's connection mid-transaction
            blips.append(1)
            ctx.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return router.ACTIONS["lib"](ctx, "1")

    monkeypatch.setitem(router.ACTIONS, "flaky", flaky)
    with caplog.at_level(logging.WARNING):
        await webhook.post(press_update("flaky", update_id=801))
        await webhook.settle()
    [reply] = webhook.fake.sent()
    assert "Các chiêu lừa" in reply.text  # the real answer, not an apology
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    [row] = _inbox(webhook)
    assert row.status == "done"


async def test_edited_messages_and_group_chats_get_no_answer(webhook: Webhook) -> None:
    assert (await webhook.post(load_update("edited_message"))).status_code == 200
    assert (await webhook.post(load_update("group_text"))).status_code == 200
    await webhook.settle()
    assert webhook.fake.sent() == []


async def test_user_text_is_escaped_in_the_html_reply(webhook: Webhook) -> None:
    await webhook.post(text_update("/lenh<b>&amp;", update_id=501))
    await webhook.settle()
    [reply] = webhook.fake.sent()  # the fake refuses HTML Telegram would refuse
    assert "/lenh&lt;b&gt;&amp;amp;" in reply.text


async def test_restart_answers_recorded_but_unprocessed_updates_once(
    tg_settings: Any, test_library: Any, fake: FakeTelegram
) -> None:
    # The state a process leaves when it dies after answering 200 and before processing:
    # one update recorded, one whose processing had started (attempts=1), both pending.
    engine = make_engine(tg_settings.database_url)
    with transaction(engine) as session:
        for update in (text_update("/start", update_id=601), press_update("lib:1", update_id=602)):
            inbox.record_update(
                session,
                channel="telegram",
                platform_id=str(update["update_id"]),
                user_key=str(CHAT),
                payload=update,
            )
        rows = inbox.pending_updates(session)
        inbox.start_attempt(session, int(rows[1].id or 0))
    engine.dispose()

    async with running_app(tg_settings, test_library, fake) as hook:
        await fake.wait_for("sendMessage", count=2)
        await hook.settle()
    first, second = fake.sent()
    assert "Xin chào" in first.text and "card:" in " ".join(second.callback_data)
    assert fake.sent("answerCallbackQuery")[0].params["callback_query_id"] == "q602"

    async with running_app(tg_settings, test_library, fake) as hook:  # and once more: nothing new
        await hook.settle()
        assert [row.status for row in _inbox(hook)] == ["done", "done"]
    assert len(fake.sent()) == 2


async def test_report_dialog_takes_a_photo_and_the_shared_contact(webhook: Webhook) -> None:
    fake, n = webhook.fake, iter(range(700, 800))

    async def say(update: dict[str, Any]) -> str:
        before = len(fake.sent())
        assert (await webhook.post(update)).status_code == 200
        await webhook.settle()
        return "\n".join(c.text for c in fake.sent()[before:])

    async def text(value: str) -> str:
        return await say(text_update(value, update_id=next(n)))

    async def press(data: str) -> str:
        return await say(press_update(data, update_id=next(n)))

    await text("/baocao")
    await press("report:consent:yes")
    await press("report:modus:other")
    await text("Có người gọi xưng ngân hàng, bảo tôi đọc mã OTP")
    await press("report:story:done")
    await text("hôm qua")
    await text("không")
    await press("report:ent:ok")
    photo = load_update("photo_caption", update_id=next(n))
    fake.files[photo["message"]["photo"][-1]["file_id"]] = b"\xff\xd8\xff\xe0" + b"\x00" * 500
    assert "Đã nhận tệp" in await say(photo)
    assert fake.sent("getFile")
    await press("report:ev:done")
    await text("ha noi")
    await text("hoan kiem")
    await press("report:contact:phone")
    keyboards = [
        c.params["reply_markup"] for c in fake.sent()[-2:] if "keyboard" in c.params.get("reply_markup", {})
    ]
    assert keyboards and keyboards[-1]["keyboard"][0][0]["request_contact"] is True
    assert "0912 345 678" in await say(load_update("contact", update_id=next(n)))  # Lan's own number


async def _to_the_evidence_step(webhook: Webhook, n: Iterator[int]) -> None:
    """Walk the report dialog up to where it asks for screenshots and files."""

    async def say(update: dict[str, Any]) -> None:
        assert (await webhook.post(update)).status_code == 200
        await webhook.settle()

    await say(text_update("/baocao", update_id=next(n)))
    for data in ("report:consent:yes", "report:modus:other"):
        await say(press_update(data, update_id=next(n)))
    await say(text_update("Có người gọi xưng ngân hàng, bảo tôi đọc mã OTP", update_id=next(n)))
    await say(press_update("report:story:done", update_id=next(n)))
    await say(text_update("hôm qua", update_id=next(n)))
    await say(text_update("không", update_id=next(n)))
    await say(press_update("report:ent:ok", update_id=next(n)))


async def test_a_slow_evidence_download_does_not_hold_up_other_chats(webhook: Webhook) -> None:
    fake, n = webhook.fake, iter(range(900, 1000))
    await _to_the_evidence_step(webhook, n)
    before = len(fake.sent(chat_id=CHAT))

    photo = load_update("photo_caption", update_id=next(n))
    fake.files[photo["message"]["photo"][-1]["file_id"]] = b"\xff\xd8\xff\xe0" + b"\x00" * 500
    fake.file_delay = 3.0
    assert (await webhook.post(photo)).status_code == 200
    await fake.wait_for("getFile")
    # another resident writes while the photo is still downloading
    assert (await webhook.post(text_update("/start", update_id=next(n), chat_id=4242))).status_code == 200
    [greeting] = await fake.wait_for("sendMessage", chat_id=4242)
    assert "Xin chào" in greeting.text
    assert len(fake.sent(chat_id=CHAT)) == before  # answered while the download still ran
    await webhook.settle()
    assert "Đã nhận tệp" in fake.sent(chat_id=CHAT)[-1].text


def _forward(text: str, *, update_id: int, chat_id: int = CHAT) -> dict[str, Any]:
    update = load_update("forwarded", update_id=update_id, chat_id=chat_id)
    update["message"]["text"] = text
    update["message"]["message_id"] = update_id
    return update


async def test_a_burst_of_forwarded_messages_gets_one_answer(webhook: Webhook) -> None:
    webhook.services.dispatcher.burst_seconds = 3  # wide, so a busy machine cannot split the burst
    # A resident forwards three messages of a scammer's conversation at once.
    parts = [
        "Chào chị, em bên bộ phận chăm sóc khách hàng, chị vừa trúng thưởng chương trình tri ân.",
        "Để nhận giải chị liên hệ số 0865 214 937 gặp anh Tuấn nhé.",
        "Chị đóng trước phí nhận thưởng 2 triệu vào tài khoản 19035678123456 Techcombank giúp em.",
    ]
    for n, text in enumerate(parts):
        assert (await webhook.post(_forward(text, update_id=1100 + n))).status_code == 200
    await webhook.settle()
    [card] = webhook.fake.sent(chat_id=CHAT)
    assert "3 tin nhắn bạn chuyển tiếp" in card.text
    assert "0865 214 937" in card.text and "19035678123456" in card.text  # from the 2nd and 3rd
    assert "card:prize-lottery" in card.callback_data
    assert [row.status for row in _inbox(webhook)] == ["done", "done", "done"]


async def test_a_burst_stops_at_a_typed_message_and_at_other_chats(webhook: Webhook) -> None:
    webhook.services.dispatcher.burst_seconds = 3
    await webhook.post(_forward("Mẹ ơi con bị tai nạn đang cấp cứu", update_id=1201))
    await webhook.post(_forward("Mẹ chuyển gấp 20 triệu cho bác sĩ vào số tài khoản này", update_id=1202))
    await webhook.post(_forward("Chị ơi cho em hỏi đường", update_id=1203, chat_id=4343))
    await webhook.post(text_update("/start", update_id=1204))
    await webhook.settle()
    mine = [c.text for c in webhook.fake.sent(chat_id=CHAT)]
    assert len(mine) == 2
    assert "2 tin nhắn bạn chuyển tiếp" in mine[0] and "Xin chào" in mine[1]  # in the order sent
    [other] = webhook.fake.sent(chat_id=4343)
    assert "tin nhắn bạn chuyển tiếp" not in other.text
    assert {row.status for row in _inbox(webhook)} == {"done"}


async def test_with_the_burst_off_each_forward_gets_its_own_answer(webhook: Webhook) -> None:
    webhook.services.dispatcher.burst_seconds = 0
    for n in range(3):
        await webhook.post(
            _forward(f"Tin số {n}: chuyển tiền vào tài khoản tạm giữ để xác minh", update_id=1300 + n)
        )
    await webhook.settle()
    assert len(webhook.fake.sent(chat_id=CHAT)) == 3


async def test_the_photos_of_an_album_are_taken_together(webhook: Webhook) -> None:
    fake, n = webhook.fake, iter(range(1400, 1500))
    await _to_the_evidence_step(webhook, n)
    webhook.services.dispatcher.burst_seconds = 3
    before = len(fake.sent(chat_id=CHAT))
    for index in range(3):  # Telegram sends an album as one message per photo, one group id
        photo = load_update("photo_caption", update_id=next(n))
        photo["message"]["media_group_id"] = "13579246801357924"
        photo["message"]["photo"][-1]["file_id"] = f"album-photo-{index}"
        if index:
            del photo["message"]["caption"]  # only the first photo carries the caption
        fake.files[f"album-photo-{index}"] = b"\xff\xd8\xff\xe0" + bytes([index]) * 500
        assert (await webhook.post(photo)).status_code == 200
    await webhook.settle()
    [ack] = fake.sent(chat_id=CHAT)[before:]
    assert ack.text.count("Đã nhận tệp") == 3
    assert len(fake.sent("getFile")) == 3
    assert {row.status for row in _inbox(webhook)} == {"done"}
