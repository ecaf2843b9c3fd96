"""Units, officers and subscribers for the alert tests, written through the tables directly."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from content import places
from storage.models import Officer, Subscription, Unit, utcnow

HANOI = 1
HOAN_KIEM = places.match_ward(HANOI, "Hoàn Kiếm")[0].ward_code or 0
BA_DINH = places.match_ward(HANOI, "Ba Đình")[0].ward_code or 0
DA_NANG = places.match_province("Đà Nẵng")[0].province_code
HAI_CHAU = places.match_ward(DA_NANG, "Hải Châu")[0].ward_code or 0


def make_officer(
    engine: Engine,
    *,
    username: str,
    role: str = "commune",
    province_code: int = HANOI,
    ward_code: int | None = HOAN_KIEM,
) -> Officer:
    """An officer with a unit: a commune unit for role 'commune', a province unit otherwise."""
    with Session(engine, expire_on_commit=False) as session:
        unit = None
        if role != "admin":
            kind = "commune" if role == "commune" else "province"
            unit = Unit(
                kind=kind,
                name=f"Công an {username}",
                province_code=province_code,
                ward_code=ward_code if kind == "commune" else None,
            )
            session.add(unit)
            session.flush()
        officer = Officer(
            username=username,
            full_name=username.title(),
            password_hash="x",
            role=role,
            unit_id=unit.id if unit else None,
        )
        session.add(officer)
        session.commit()
        return officer


def add_subscribers(
    engine: Engine,
    count: int,
    *,
    channel: str = "telegram",
    ward_code: int = HOAN_KIEM,
    province_code: int = HANOI,
    prefix: str = "u",
) -> list[str]:
    """`count` active subscribers of one commune; returns their user keys."""
    keys = [f"{prefix}{i}" for i in range(count)]
    rows = [
        {
            "channel": channel,
            "user_key": key,
            "province_code": province_code,
            "ward_code": ward_code,
            "active": True,
            "created_at": utcnow(),
        }
        for key in keys
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Subscription), rows[start : start + 5000])
    return keys
