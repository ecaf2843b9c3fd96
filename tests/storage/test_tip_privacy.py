"""Erasure, retention and key rotation of tips' personal data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage import dialogs
from storage.crypto import Cipher
from storage.db import transaction
from storage.models import DialogState, Tip, TipEvent, TipEvidence
from storage.tip_privacy import erase_reporter_contacts, expire_retention, rotate_encrypted
from storage.tips import EvidenceIn, add_note, change_status, get_tip_for_reporter
from tests.storage.tip_fixtures import CIPHER, KEY, make_world, submit

EVIDENCE = (EvidenceIn("photo", "anh.jpg", "image/jpeg", 1200, "ab" * 32, "2026/11/abc"),)


def test_retention_erases_closed_tips_only(engine: Engine) -> None:
    world = make_world(engine)
    now = dt.datetime.now(dt.UTC)
    closed = submit(
        engine, evidence=EVIDENCE, anonymous=False, contact_phone="0912000111", contact_consent_at=now
    )
    open_ = submit(engine, reporter_user_key="99")
    with transaction(engine) as s:
        add_note(
            s,
            tip_id=closed.id or 0,
            actor_officer_id=world.commune_officer,
            note="Gọi cho chị Lan",
            cipher=CIPHER,
        )
        change_status(
            s,
            tip_id=closed.id or 0,
            actor_officer_id=world.commune_officer,
            to_status="resolved",
            cipher=CIPHER,
            now=now - dt.timedelta(days=400),
        )
    with transaction(engine) as s:
        assert expire_retention(s, now=now, days=365) == (1, ["2026/11/abc"])
        assert expire_retention(s, now=now, days=365) == (0, [])  # once only
    with Session(engine) as s:
        row = s.get(Tip, closed.id)
        assert row is not None and row.personal_data_erased_at is not None
        assert row.story is None and row.contact_phone is None and row.reporter_user_key is None
        assert row.modus_id == "impersonate-authority" and row.amount_lost == 5_000_000  # statistics stay
        assert all(e.note is None for e in s.exec(select(TipEvent).where(TipEvent.tip_id == closed.id)))
        evidence = s.exec(select(TipEvidence)).one()
        assert evidence.storage_key is None and evidence.size == 1200
        kept = s.get(Tip, open_.id)
        assert kept is not None and kept.story is not None
        assert get_tip_for_reporter(s, code=closed.code, channel="telegram", user_key="42") is None


def test_reporter_erases_contacts(engine: Engine) -> None:
    make_world(engine)
    now = dt.datetime.now(dt.UTC)
    mine = submit(engine, anonymous=False, contact_phone="0912000111", contact_consent_at=now)
    theirs = submit(
        engine, reporter_user_key="7", anonymous=False, contact_phone="0988", contact_consent_at=now
    )
    with transaction(engine) as s:
        assert erase_reporter_contacts(s, channel="telegram", user_key="42") == 1
    with Session(engine) as s:
        row = s.get(Tip, mine.id)
        assert row is not None and row.contact_phone is None and row.anonymous and row.version == 2
        other = s.get(Tip, theirs.id)
        assert other is not None and other.contact_phone is not None


def test_rotation_re_encrypts_everything_with_the_new_key(engine: Engine) -> None:
    world = make_world(engine)
    tip = submit(engine)
    with transaction(engine) as s:
        add_note(s, tip_id=tip.id or 0, actor_officer_id=world.admin, note="ghi chú", cipher=CIPHER)
        token = CIPHER.encrypt("bản nháp")
        dialogs.save_state(
            s, channel="web", user_key="u", step="report.story", data={"report": {"story": token, "n": 1}}
        )
    new_key = Cipher.generate_key()
    both = Cipher([new_key, KEY])
    with transaction(engine) as s:
        assert rotate_encrypted(s, cipher=both) == 3
    only_new = Cipher([new_key])
    with Session(engine) as s:
        row = s.get(Tip, tip.id)
        assert row is not None and only_new.decrypt(row.story) is not None
        note = s.exec(select(TipEvent).where(TipEvent.kind == "note")).one()
        assert only_new.decrypt(note.note) == "ghi chú"
        state = s.exec(select(DialogState)).one()
        assert only_new.decrypt(state.data["report"]["story"]) == "bản nháp"
