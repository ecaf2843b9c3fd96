"""Units, officers and chats for tip tests: Hà Nội (1) with a unit for Phường Hoàn Kiếm (70)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from content.messages import Reply
from storage.crypto import Cipher
from storage.db import transaction
from storage.models import Officer, Tip, Unit, UnitChat
from storage.tips import EntityIn, TipDraft, submit_tip

HANOI = 1
HOAN_KIEM = 70
BA_DINH = 4  # a ward with no unit configured: falls to the province

KEY = Cipher.generate_key()
CIPHER = Cipher([KEY])


@dataclass(frozen=True)
class World:
    province_unit: int
    commune_unit: int
    admin: int
    province_officer: int
    commune_officer: int
    other_commune_officer: int


def make_world(engine: Engine) -> World:
    with transaction(engine) as s:
        prov = Unit(kind="province", name="Công an TP Hà Nội", province_code=HANOI)
        s.add(prov)
        s.flush()
        commune = Unit(
            kind="commune",
            name="Công an phường Hoàn Kiếm",
            province_code=HANOI,
            ward_code=HOAN_KIEM,
            parent_id=prov.id,
        )
        other = Unit(kind="commune", name="Công an phường Bến Thành", province_code=79, ward_code=26743)
        s.add_all([commune, other])
        s.flush()
        s.add(UnitChat(unit_id=commune.id or 0, channel="telegram", chat_key="-100777"))
        s.add(UnitChat(unit_id=prov.id or 0, channel="zalo", chat_key="grp-hn"))
        officers = [
            Officer(username="admin", full_name="Quản trị", password_hash="x", role="admin"),
            Officer(
                username="pa05", full_name="Trần PA05", password_hash="x", role="province", unit_id=prov.id
            ),
            Officer(
                username="hk", full_name="Lê Hoàn Kiếm", password_hash="x", role="commune", unit_id=commune.id
            ),
            Officer(
                username="bt", full_name="Phạm Bến Thành", password_hash="x", role="commune", unit_id=other.id
            ),
        ]
        s.add_all(officers)
        s.flush()
        ids = [o.id or 0 for o in officers]
        return World(prov.id or 0, commune.id or 0, *ids)


def draft(**overrides: object) -> TipDraft:
    values: dict[str, object] = {
        "reporter_channel": "telegram",
        "reporter_user_key": "42",
        "consent_at": dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        "consent_version": "2026-01",
        "modus_id": "impersonate-authority",
        "story": "Có người xưng công an gọi bảo chuyển tiền",
        "occurred_on": dt.date(2026, 11, 19),
        "amount_lost": 5_000_000,
        "province_code": HANOI,
        "ward_code": HOAN_KIEM,
        "entities": (EntityIn("phone", "+84912345678"), EntityIn("bank_account", "0123456789", "VCB")),
    }
    values.update(overrides)
    return TipDraft(**values)  # type: ignore[arg-type]


def officer_note(tip: Tip, unit: Unit | None) -> list[Reply]:
    return [Reply(f"Tin báo mới {tip.code} cho {unit.name if unit else '-'}")]


def reporter_note(tip: Tip, status: str) -> list[Reply]:
    return [Reply(f"Vụ {tip.code}: {status}")]


def submit(engine: Engine, **overrides: object) -> Tip:
    with transaction(engine) as s:
        return submit_tip(s, cipher=CIPHER, draft=draft(**overrides), notify=officer_note)
