"""The report dialog end to end on the local channel, with a real database and evidence folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import Services, build_services
from handlers.attachments import AttachmentTooLarge
from handlers.messages import Attachment
from storage.db import transaction
from storage.models import DialogState, OutboxMessage, Tip, TipEntity, TipEvidence
from storage.tips import change_status
from tests.harness import Conversation
from tests.storage.tip_fixtures import make_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
EXE = b"MZ\x90\x00" + b"\x00" * 200
SCAM = (
    "Đây là Công an quận, ông/bà liên quan đường dây rửa tiền, chuyển ngay 50 triệu vào tài khoản "
    "0123456789 Vietcombank để xác minh, liên hệ 0912345678"
)


class Files:
    """The channel side of the fetch contract: bytes by ref, refusing beyond max_bytes."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def __call__(self, att: Attachment, max_bytes: int) -> bytes:
        data = self.data[att.ref]
        if len(data) > max_bytes:
            raise AttachmentTooLarge(att.ref)
        return data


@pytest.fixture
def files(services: Services) -> Files:
    fetch = Files()
    services.conversations.fetchers["test"] = fetch
    return fetch


@pytest.fixture
def world(services: Services):  # type: ignore[no-untyped-def]
    return make_world(services.engine)


def send(conversation: Conversation, files: Files, ref: str, data: bytes, **att: object) -> None:
    files.data[ref] = data
    conversation.say(attachments=(Attachment(kind=str(att.pop("kind", "photo")), ref=ref, **att),))  # type: ignore[arg-type]


def evidence_files(services: Services) -> list[Path]:
    return [p for p in services.settings.effective_evidence_dir.rglob("*") if p.is_file()]


def to_evidence_step(c: Conversation) -> None:
    c.say("/baocao")
    c.press("report:consent:yes")
    c.press("report:modus:other")
    c.say("Có người gọi xưng ngân hàng")
    c.press("report:story:done")
    c.say("hôm qua")
    c.say("không")
    c.press("report:ent:ok")


def test_forwarded_scam_to_submitted_tip_and_status(
    conversation: Conversation, services: Services, files: Files, world: object
) -> None:
    c = conversation
    c.say(SCAM, forwarded=True)
    assert c.payloads[0] == "report:check"
    c.press("report:check")
    assert "Luật số 91/2025/QH15" in c.text and "im lặng không có nghĩa là đồng ý" in c.text
    assert "CCCD" in c.text
    c.press("report:consent:yes")
    assert "Giả danh công an" in c.text  # the check's modus, offered for confirmation
    c.press("report:modus:impersonate-authority")
    c.say("Sáng nay có người gọi xưng công an quận, bảo tôi liên quan rửa tiền.")
    c.say("Họ nhắn thêm: chuyển tiền vào tài khoản 1903 1234 5678 Techcombank", forwarded=True)
    assert "gồm tin chuyển tiếp" in c.text
    c.press("report:story:done")
    c.say("hôm qua")
    c.say("5tr5")
    assert "0123456789" in c.text and "0912 345 678" in c.text  # found by the check, shown to confirm
    c.say("0987 654 321")
    assert "0987 654 321" in c.text
    c.press("report:ent:ok")
    send(c, files, "shot1", PNG, name="tin nhan.png")
    assert "Đã nhận tệp" in c.text
    c.press("report:ev:done")
    c.say("ha noi")
    c.say("hoan kiem")
    c.press("report:contact:phone")
    assert any(r.request_contact for r in c.last)
    c.say(contact_phone="84912000111")
    assert "Kiểm tra lại" in c.text
    assert "5.500.000 đ" in c.text and "Phường Hoàn Kiếm" in c.text and "0912 000 111" in c.text
    assert "Công an phường Hoàn Kiếm" in c.text and "Cố ý báo tin sai" in c.text
    c.press("report:submit")
    assert "Mã theo dõi" in c.text and "không ai có thể cam kết lấy lại tiền" in c.text

    with Session(services.engine) as s:
        tip = s.exec(select(Tip)).one()
        assert tip.status == "new" and tip.modus_id == "impersonate-authority"
        assert tip.amount_lost == 5_500_000 and tip.ward_code == 70 and not tip.anonymous
        assert services.cipher.decrypt(tip.contact_phone) == "+84912000111"
        assert "Techcombank" in (services.cipher.decrypt(tip.story) or "")
        values = {e.value for e in s.exec(select(TipEntity)).all()}
        assert {"0123456789", "+84912345678", "+84987654321"} <= values
        evidence = s.exec(select(TipEvidence)).one()
        assert evidence.mime == "image/png" and services.evidence.get(evidence.storage_key or "") == PNG
        notices = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tip_new")).all()
        assert [(m.channel, m.user_key) for m in notices] == [("telegram", "-100777")]
        assert "Tin báo mới" in notices[0].payload["replies"][0]["text"]
        assert "Sáng nay" not in notices[0].payload["replies"][0]["text"]  # no story in group chats
        state = s.exec(select(DialogState)).one()
        assert "report_draft" not in state.data
    code = tip.code
    assert code[:4] in c.text

    c.say(f"/trangthai {code[:4]}-{code[4:]}")
    assert "Mới" in c.text and "chờ cán bộ tiếp nhận" in c.text

    from handlers.report.notify import reporter_status

    with transaction(services.engine) as s:
        change_status(
            s,
            tip_id=tip.id or 0,
            actor_officer_id=world.commune_officer,  # type: ignore[attr-defined]
            to_status="received",
            cipher=services.cipher,
            notify_reporter=reporter_status,
        )
    c.say(f"/trangthai {code.lower()}")
    assert "Đã tiếp nhận" in c.text
    with Session(services.engine) as s:
        update = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tip_status")).one()
        assert (update.channel, update.user_key) == ("test", "u1")
        assert "Đã tiếp nhận" in update.payload["replies"][0]["text"]

    other = Conversation(services.conversations, user_key="u2")
    other.say(f"/trangthai {code}")
    someone_elses = other.text
    other.say("/trangthai ACDE-FGHJ")
    assert other.text == someone_elses and "không tìm thấy" in other.text


def test_wrong_type_and_too_large_evidence_are_refused_and_not_stored(
    conversation: Conversation, services: Services, files: Files, world: object
) -> None:
    to_evidence_step(conversation)
    send(conversation, files, "prog", EXE, kind="document", name="hoadon.exe")
    assert "không nhận được loại tệp" in conversation.text
    send(conversation, files, "big", PNG + b"\x00" * services.settings.evidence_max_bytes)
    assert "lớn hơn 10 MB" in conversation.text
    send(conversation, files, "declared", PNG, size=services.settings.evidence_max_bytes + 1)
    assert "lớn hơn 10 MB" in conversation.text
    assert evidence_files(services) == []
    assert "report:ev:done" in conversation.payloads  # still at the same question
    send(conversation, files, "ok", PNG)
    send(conversation, files, "again", PNG)
    assert "gửi rồi" in conversation.text
    assert len(evidence_files(services)) == 1


def test_cancel_deletes_draft_and_its_files(
    conversation: Conversation, services: Services, files: Files, world: object
) -> None:
    to_evidence_step(conversation)
    send(conversation, files, "ok", PNG)
    assert len(evidence_files(services)) == 1
    conversation.say("Hủy")
    assert "Đã hủy" in conversation.text
    assert evidence_files(services) == []
    conversation.say("/baocao")
    assert "report:consent:yes" in conversation.payloads  # a fresh start, no resume offer


def test_back_walks_to_the_previous_question_at_every_step(conversation: Conversation, world: object) -> None:
    c = conversation
    to_evidence_step(c)
    expected = [
        "report:ent:ok",
        "report:amount:none",
        "report:when:today",
        "report:story:done",
        "report:modus:other",
    ]
    for payload in expected:
        c.say("quay lại")
        assert payload in c.payloads
    c.press("back")
    assert "report:consent:yes" in c.payloads
    c.press("back")  # before the first question: the menu, the draft kept
    assert "check" in c.payloads
    c.say("/baocao")
    assert "report:continue" in c.payloads


def test_draft_survives_a_restart(conversation: Conversation, services: Services, world: object) -> None:
    conversation.say("/baocao")
    conversation.press("report:consent:yes")
    conversation.press("report:modus:fake-bank")
    conversation.say("Họ gửi link giả ngân hàng")
    restarted = build_services(services.settings, library=services.library)
    try:
        again = Conversation(restarted.conversations)
        again.press("report:story:done")
        assert "khi nào" in again.text
        again.say("12/11/2025")
        assert "bao nhiêu tiền" in again.text
    finally:
        restarted.engine.dispose()


def test_input_that_does_not_fit_is_explained_and_asked_again(conversation: Conversation) -> None:
    c = conversation
    c.say("/baocao")
    c.say("ừ thì")
    assert "Tôi đồng ý" in c.text and "report:consent:yes" in c.payloads
    c.say("đồng ý")  # typed explicitly
    c.press("report:modus:other")
    c.press("report:story:done")
    assert "chưa kể gì" in c.text
    c.say("Bị lừa đặt phòng")
    c.say("xong")
    c.say("ngày mai")
    assert "chưa hiểu ngày" in c.text and "report:when:today" in c.payloads
    c.say("25/12/2099")
    assert "chưa tới" in c.text
    c.say("3 ngày trước")
    c.say("500")
    assert "ghi kèm đơn vị" in c.text
    c.say("1,5 tỷ")
    c.say("không có gì")
    assert "không thấy số điện thoại" in c.text
    c.say("không")
    c.say("chưa có ảnh")
    assert "gửi ảnh hoặc tệp" in c.text
    c.say("bỏ qua")
    c.say("Xứ sở thần tiên")
    assert "không tìm thấy tỉnh" in c.text
    c.say("dong nai")
    c.say("loc thanh")
    assert "report:ward:25280" in c.payloads and "report:ward:25294" in c.payloads  # asked, not guessed
    c.press("report:ward:25294")
    c.say("để tôi nghĩ")
    assert "chọn một trong hai" in c.text
    c.say("ẩn danh")
    assert "Lộc Thành" in c.text and "ẩn danh" in c.text
    assert "công an tỉnh/thành phố" in c.text  # no unit configured there


def test_refusing_consent_keeps_nothing(conversation: Conversation, services: Services) -> None:
    conversation.say("/baocao")
    conversation.press("report:consent:no")
    assert "không lưu gì" in conversation.text
    with Session(services.engine) as s:
        assert "report_draft" not in s.exec(select(DialogState)).one().data


def test_card_button_prefills_modus_and_numbered_answers_work(conversation: Conversation) -> None:
    c = conversation
    c.numbered = True
    c.press("report:modus:fake-investment")
    c.say("1")  # Tôi đồng ý
    assert "Đầu tư" in c.text or "đầu tư" in c.text
    c.say("1")  # the suggested modus
    assert "Chuyện gì đã xảy ra" in c.text


def test_menu_keeps_the_draft_and_report_offers_to_resume(conversation: Conversation) -> None:
    c = conversation
    c.say("/baocao")
    c.press("report:consent:yes")
    c.press("report:modus:other")
    c.say("menu")
    c.press("report")
    assert "đang làm dở" in c.text
    c.press("report:continue")
    assert "Chuyện gì đã xảy ra" in c.text
    c.press("report")
    c.press("report:restart")
    assert "report:consent:yes" in c.payloads


def test_erase_command_removes_draft_and_contacts(
    conversation: Conversation, services: Services, files: Files, world: object
) -> None:
    c = conversation
    to_evidence_step(c)
    c.press("report:ev:done")
    c.say("ha noi")
    c.say("hoan kiem")
    c.say("0912000111")  # typed at the contact step: the opt-in
    c.press("report:submit")
    to_evidence_step(c)
    send(c, files, "ok", PNG)
    assert len(evidence_files(services)) == 1
    c.say("/xoadulieu")
    assert "chắc chắn" in c.text
    c.press("erase:yes")
    assert "Đã xóa" in c.text and "1 tin báo" in c.text
    assert evidence_files(services) == []
    with Session(services.engine) as s:
        tip = s.exec(select(Tip)).one()
        assert tip.contact_phone is None and tip.anonymous
        assert "report_draft" not in s.exec(select(DialogState)).one().data


def test_a_picture_at_another_question_is_kept_as_evidence(
    conversation: Conversation, services: Services, files: Files
) -> None:
    c = conversation
    c.say("/baocao")
    c.press("report:consent:yes")
    c.press("report:modus:other")
    c.say("Bị lừa")
    c.press("report:story:done")
    send(c, files, "p", PNG)
    assert "Đã nhận tệp" in c.text and "report:when:today" in c.payloads  # the same question again
    assert len(evidence_files(services)) == 1


def test_a_button_of_a_finished_report_does_not_start_a_new_one(conversation: Conversation) -> None:
    conversation.say("/baocao")
    conversation.press("report:consent:no")
    conversation.press("report:submit")
    assert "không còn" in conversation.text
    conversation.press("report:continue")
    assert "không còn" in conversation.text


def test_announcement_links_to_the_console_and_leaves_out_personal_data(services: Services) -> None:
    import datetime as dt

    from handlers.report.notify import officer_new_tip
    from storage.crypto import Cipher
    from storage.models import Unit

    tip = Tip(
        id=7,
        code="ACDEFGHJ",
        modus_id="fake-bank",
        province_code=1,
        ward_code=70,
        reporter_channel="zalo",
        reporter_user_key="z1",
        story=Cipher([Cipher.generate_key()]).encrypt("chuyện riêng"),
        amount_lost=None,
        anonymous=False,
        consent_at=dt.datetime.now(dt.UTC),
        consent_version="2026-01",
    )
    unit = Unit(kind="commune", name="Công an phường Hoàn Kiếm", province_code=1, ward_code=70)
    (reply,) = officer_new_tip(services.library, "https://cg.example/")(tip, unit)
    assert 'href="https://cg.example/console/tips/7"' in reply.text
    assert "ACDE-FGHJ" in reply.text and "có để lại số liên hệ" in reply.text
    assert "chuyện riêng" not in reply.text and "z1" not in reply.text


def _report_without_loss(c: Conversation, story: str, when: str) -> None:
    c.say("/baocao")
    c.press("report:consent:yes")
    c.press("report:modus:other")
    c.say(story)
    c.press("report:story:done")
    c.say(when)
    c.press("report:amount:none")
    c.press("report:ent:ok")
    c.press("report:ev:done")
    c.say("ha noi")
    c.say("hoan kiem")
    c.press("report:contact:anon")
    c.press("report:submit")
    assert "Mã theo dõi" in c.text


@pytest.mark.parametrize(
    ("story", "when", "told"),
    [
        ("Họ gọi bảo có lệnh bắt tôi, dọa bắt tạm giam nếu không làm theo", "hôm nay", True),
        ("Họ gọi bảo có lệnh bắt tôi, dọa bắt tạm giam nếu không làm theo", "5 ngày trước", False),
        ("Có người gọi mời tôi mở thẻ tín dụng", "hôm nay", False),
    ],
)
def test_an_officer_who_chose_urgent_tips_hears_of_a_threat_going_on(
    conversation: Conversation, services: Services, world, story: str, when: str, told: bool
) -> None:  # type: ignore[no-untyped-def]
    from storage import tip_notices
    from storage.models import OfficerLink

    with transaction(services.engine) as s:
        s.add(OfficerLink(officer_id=world.commune_officer, channel="zalo", user_key="hk-zalo"))
        tip_notices.set_choice(s, officer_id=world.commune_officer, choice="urgent", actor="test")
    _report_without_loss(conversation, story, when)
    with Session(services.engine) as s:
        notices = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tip_new")).all()
        to_officer = [m for m in notices if m.user_key == "hk-zalo"]
        assert bool(to_officer) is told
        assert [m.user_key for m in notices if m.user_key != "hk-zalo"] == ["-100777"]


@pytest.fixture
def utc_server(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The server's clock in UTC, as on most hosts."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_residents_read_vietnam_time_on_a_utc_server(
    utc_server: None, conversation: Conversation, services: Services, world: object
) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from storage.tips import submit_tip
    from tests.storage.tip_fixtures import draft

    c = conversation
    with transaction(services.engine) as s:
        tip = submit_tip(
            s, cipher=services.cipher, draft=draft(reporter_channel="test", reporter_user_key="u1")
        )
        tip.created_at = tip.updated_at = dt.datetime(2026, 11, 20, 7, 5, tzinfo=dt.UTC)
        s.add(tip)
        code = tip.code
    c.say(f"/trangthai {code}")
    assert "Gửi lúc: 14:05 20/11/2026" in c.text

    c.say("/baocao")
    c.press("report:consent:yes")
    c.say("menu")
    c.press("report")
    now = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    shown = {(now + dt.timedelta(minutes=m)).strftime("%H:%M %d/%m/%Y") for m in (-1, 0)}
    assert any(f"bắt đầu lúc {when}" in c.text for when in shown), c.text


@pytest.mark.parametrize(
    ("typed", "place"),
    [
        ("Phường Hoàn Kiếm, Hà Nội", "Phường Hoàn Kiếm"),
        ("ha noi, phuong hoan kiem", "Phường Hoàn Kiếm"),
        ("P. Hoàn Kiếm Hà Nội", "Phường Hoàn Kiếm"),
        ("Quận Hoàn Kiếm, TP Hà Nội", "Phường Hoàn Kiếm"),  # an old district name
        ("phuong ha giang 1, tinh ha giang", "Phường Hà Giang 1"),  # an old province name
    ],
)
def test_a_full_address_at_the_province_step_goes_on(
    services: Services, world: object, typed: str, place: str
) -> None:
    c = Conversation(services.conversations, user_key="addr")
    to_evidence_step(c)
    c.say("bỏ qua")
    assert "tỉnh/thành phố" in c.text
    c.say(typed)
    assert "Liên hệ" in c.text, c.text
    c.say("ẩn danh")
    assert "Kiểm tra lại" in c.text and place in c.text
