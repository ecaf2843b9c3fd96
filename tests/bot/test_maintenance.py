"""Draft reminders and expiry, and retention, through the periodic job."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.app import Services
from bot.maintenance import Maintenance
from handlers.messages import Attachment
from storage.db import transaction
from storage.models import DialogState, OutboxMessage, Tip
from storage.tips import change_status
from tests.harness import Conversation
from tests.storage.tip_fixtures import make_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


def _files(services: Services) -> int:
    return sum(1 for p in services.settings.effective_evidence_dir.rglob("*") if p.is_file())


def _start_report_with_a_file(c: Conversation, services: Services) -> None:
    services.conversations.fetchers["test"] = lambda att, limit: PNG
    c.say("/baocao")
    c.press("report:consent:yes")
    c.press("report:modus:other")
    c.say("Bị lừa mua hàng online")
    c.say(attachments=(Attachment(kind="photo", ref="p1"),))
    assert _files(services) == 1


def test_idle_draft_gets_one_reminder_then_expires_with_its_files(
    conversation: Conversation, services: Services
) -> None:
    _start_report_with_a_file(conversation, services)
    job = Maintenance(services.engine, services.settings, services.evidence)
    now = dt.datetime.now(dt.UTC)
    assert job.run_once(now + dt.timedelta(hours=1)).reminded == 0
    assert job.run_once(now + dt.timedelta(hours=25)).reminded == 1
    assert job.run_once(now + dt.timedelta(hours=30)).reminded == 0  # only one reminder
    with Session(services.engine) as s:
        reminder = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "draft_reminder")).one()
        assert (reminder.channel, reminder.user_key) == ("test", "u1")
        assert "chưa gửi" in reminder.payload["replies"][0]["text"]
        payloads = [b["payload"] for row in reminder.payload["replies"][0]["buttons"] for b in row]
        assert payloads == ["report:continue", "report:discard"]

    conversation.press("report:continue")  # the user comes back: the draft is still there
    assert "Đã ghi nhận" not in conversation.text and "report:story:done" in conversation.payloads

    report = job.run_once(now + dt.timedelta(days=8))
    assert report.expired == 1 and report.deleted_files == 1
    assert _files(services) == 0
    with Session(services.engine) as s:
        state = s.exec(select(DialogState)).one()
        assert "report_draft" not in state.data and state.step is None


def test_retention_erases_closed_tips_and_their_files(conversation: Conversation, services: Services) -> None:
    world = make_world(services.engine)
    _start_report_with_a_file(conversation, services)
    c = conversation
    c.press("report:story:done")
    c.press("report:when:today")
    c.press("report:amount:none")
    c.press("report:ent:ok")
    c.press("report:ev:done")
    c.say("Hà Nội")
    c.say("Hoàn Kiếm")
    c.press("report:contact:anon")
    c.press("report:submit")
    with Session(services.engine) as s:
        tip_id = s.exec(select(Tip.id)).one()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=800)
    with transaction(services.engine) as s:
        change_status(
            s,
            tip_id=tip_id or 0,
            actor_officer_id=world.commune_officer,
            to_status="resolved",
            cipher=services.cipher,
            now=old,
        )
    report = Maintenance(services.engine, services.settings, services.evidence).run_once()
    assert report.erased_tips == 1 and report.deleted_files == 1 and _files(services) == 0
    with Session(services.engine) as s:
        tip = s.get(Tip, tip_id)
        assert tip is not None and tip.story is None and tip.personal_data_erased_at is not None
