"""Seeding for bench/console_scale.py: a national-sized database in the storage tables' row shapes.

Units, officers and the registry's, subscribers', history's and audit log's rows are
written by the database itself (`INSERT … SELECT` over `generate_series`), tips by COPY
from here (their codes and encrypted stories are made here), so a million tips load in
minutes on two cores. The rows carry what the storage functions would write: encrypted
stories, UTC timestamps, routed units, statuses with their closing time.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import Engine

from content import places
from storage import officers, units
from storage.crypto import Cipher
from storage.db import transaction
from storage.models import utcnow
from storage.tip_codes import ALPHABET, LENGTH

PASSWORD = "mat-khau-bench-quy-mo"
# Status by age: recent tips are mostly open, old ones mostly closed.
STATUSES = ("new", "received", "verifying", "transferred", "resolved", "unfounded", "duplicate")
OPEN_WEIGHTS = (40, 30, 20, 3, 4, 2, 1)
OLD_WEIGHTS = (2, 3, 5, 20, 40, 18, 12)
MODUS = [
    "impersonate-authority",
    "fake-bank",
    "fake-egov",
    "fake-investment",
    "fake-job",
    "task-scam",
    "online-shopping",
    "loan-scam",
    "prize-lottery",
    "relative-emergency",
    "romance-gift",
    "hacked-account-borrow",
    "mistaken-transfer",
    "recovery-scam",
    "online-gambling",
    "account-sim-trade",
    "social-account-service",
    "fake-booking",
    "impersonate-service-staff",
    "child-casting",
    "virtual-kidnapping",
]
# The number many residents report: the tip page that names it must stay quick.
HOT_PHONE = "+84388886666"
HOT_TIPS = 1_221
STORY_PARTS = (
    "Một người xưng là cán bộ gọi cho tôi,",
    "Tôi nhận được tin nhắn báo trúng thưởng,",
    "Có tài khoản lạ nhắn tin làm quen,",
    "Người gọi nói con tôi đang cấp cứu,",
    "Một trang mạng hứa việc nhẹ lương cao,",
)
STORY_ENDS = (
    "bảo tôi chuyển tiền để xác minh rồi chặn liên lạc.",
    "yêu cầu tôi bấm vào đường link và nhập mã OTP.",
    "hướng dẫn tôi nạp tiền làm nhiệm vụ để nhận hoa hồng.",
    "đòi tôi nộp phí trước rồi không trả lại đồng nào.",
)


@dataclass(frozen=True)
class Seeded:
    """What the measurements need: the officers' usernames and the units they belong to."""

    admin: str
    province: str
    commune: str
    province_code: int
    commune_unit_id: int
    hot_tip_id: int
    quiet_tip_id: int


def _log(message: str, started: float) -> None:
    print(f"  {message} ({time.monotonic() - started:.0f} s)", flush=True)


def _filled(engine: Engine, table: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar_one()


def seed(engine: Engine, *, tips: int, subscribers: int, entities: int, cipher: Cipher) -> Seeded:
    """Fill the empty tables (a run stopped halfway resumes at the first empty one)."""
    started = time.monotonic()
    rng = random.Random(19)
    if not _filled(engine, "units"):
        _units(engine)
        _officers(engine)
    unit_of_ward, province_units = _unit_maps(engine)
    _log(f"{len(unit_of_ward) + len(province_units):,} units", started)
    if not _filled(engine, "tips"):
        _tips(engine, tips, unit_of_ward, cipher, rng)
        _log(f"{tips:,} tips", started)
    if not _filled(engine, "audit_log WHERE action = 'tip.view'"):
        with engine.begin() as conn:
            _tip_rows(conn, tips)
        _log("identifiers, history and audit log", started)
    if not _filled(engine, "subscriptions"):
        with engine.begin() as conn:
            _subscribers(conn, subscribers, unit_of_ward)
        _log(f"{subscribers:,} subscribers", started)
    if not _filled(engine, "registry_entities"):
        with engine.begin() as conn:
            _registry(conn, entities)
        _log(f"{entities:,} registry entities", started)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    _log("vacuum analyze", started)
    with engine.connect() as conn:
        hot = conn.execute(
            text("SELECT min(tip_id) FROM tip_entities WHERE value = :v"), {"v": HOT_PHONE}
        ).scalar_one()
        quiet = conn.execute(text("SELECT max(id) FROM tips")).scalar_one()
    hanoi, hoan_kiem = _hoan_kiem()
    return Seeded(
        "bench-admin",
        "bench-tinh",
        "bench-xa",
        hanoi,
        unit_of_ward[hoan_kiem],
        int(hot or 0),
        int(quiet or 0),
    )


def _hoan_kiem() -> tuple[int, int]:
    hanoi = places.match_province("Hà Nội")[0].province_code
    return hanoi, places.match_ward(hanoi, "Hoàn Kiếm")[0].ward_code or 0


def _units(engine: Engine) -> None:
    """Every province's unit and every commune's unit, as an administrator creates them."""
    with transaction(engine) as s:
        for place in places.provinces():
            unit = units.create_province_unit(s, province_code=place.province_code, actor="bench")
            units.create_all_commune_units(s, province_unit_id=int(unit.id or 0), actor="bench")


def _unit_maps(engine: Engine) -> tuple[dict[int, int], dict[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, kind, province_code, ward_code FROM units")).all()
    communes = {int(w): int(i) for i, kind, _, w in rows if kind == "commune"}
    provinces = {int(p): int(i) for i, kind, p, _ in rows if kind == "province"}
    return communes, provinces


def _officers(engine: Engine) -> None:
    """An administrator, a provincial officer of Hà Nội and a commune officer of Hoàn Kiếm."""
    communes, provinces = _unit_maps(engine)
    hanoi, hoan_kiem = _hoan_kiem()
    hasher = PasswordHasher()
    with transaction(engine) as s:
        for username, role, unit_id in (
            ("bench-admin", "admin", None),
            ("bench-tinh", "province", provinces[hanoi]),
            ("bench-xa", "commune", communes[hoan_kiem]),
        ):
            officers.create_officer(
                s,
                hasher=hasher,
                username=username,
                full_name=f"Cán bộ {username}",
                password=PASSWORD,
                role=role,
                unit_id=unit_id,
                actor="bench",
            )


def _all_wards() -> list[places.Place]:
    return [w for p in places.provinces() for w in places.wards_of(p.province_code)]


def _codes(count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add("".join(rng.choice(ALPHABET) for _ in range(LENGTH)))
    return list(seen)


def _tips(
    engine: Engine, count: int, unit_of_ward: dict[int, int], cipher: Cipher, rng: random.Random
) -> None:
    """Tips over two years, oldest first (ids grow with time, as they do when residents send them)."""
    wards = [(w.province_code, int(w.ward_code or 0)) for w in _all_wards()]
    stories = [cipher.encrypt(f"{rng.choice(STORY_PARTS)} {rng.choice(STORY_ENDS)}") for _ in range(2000)]
    contacts = [cipher.encrypt(f"09{rng.randrange(10**8):08d}") for _ in range(500)]
    now = utcnow()
    start = now - dt.timedelta(days=730)
    step = (now - start) / max(count, 1)
    codes = _codes(count, rng)
    columns = (
        "code, status, modus_id, unit_id, province_code, ward_code, reporter_channel, reporter_user_key, "
        "story, occurred_on, amount_lost, anonymous, contact_phone, contact_consent_at, consent_at, "
        "consent_version, assigned_to, created_at, updated_at, closed_at, version"
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY tips ({columns}) FROM STDIN") as copy:
            for i in range(count):
                created = start + step * i
                age = (now - created).days
                weights = OPEN_WEIGHTS if age < 30 else OLD_WEIGHTS
                status = rng.choices(STATUSES, weights)[0]
                closed = status in ("transferred", "resolved", "unfounded", "duplicate")
                closed_at = created + dt.timedelta(days=rng.randint(1, 20)) if closed else None
                province_code, ward_code = rng.choice(wards)
                with_contact = rng.random() < 0.2
                copy.write_row(
                    (
                        codes[i],
                        status,
                        rng.choice(MODUS),
                        unit_of_ward.get(ward_code),
                        province_code,
                        ward_code,
                        rng.choice(("zalo", "zalo", "telegram", "web")),
                        str(10**9 + rng.randrange(10**9)),
                        stories[i % len(stories)],
                        (created - dt.timedelta(days=rng.randint(0, 5))).date(),
                        None if rng.random() < 0.2 else rng.randrange(1, 500) * 100_000,
                        not with_contact,
                        contacts[i % len(contacts)] if with_contact else None,
                        created if with_contact else None,
                        created,
                        "2026-01",
                        None,
                        created,
                        closed_at or created,
                        closed_at,
                        2 if closed else 1,
                    )
                )
        raw.commit()
    finally:
        raw.close()


def _tip_rows(conn: object, count: int) -> None:
    """Each tip's identifiers (one number shared by many tips), its history and two audit rows."""
    run = conn.execute  # type: ignore[attr-defined]
    run(
        text(
            "INSERT INTO tip_entities (tip_id, kind, value) "
            "SELECT id, 'phone', '+849' || lpad(((id::bigint * 7919) % 100000000)::text, 8, '0') FROM tips"
        )
    )
    run(
        text(
            "INSERT INTO tip_entities (tip_id, kind, value, bank) "
            "SELECT id, 'bank_account', "
            "'19' || lpad(((id::bigint * 104729) % 1000000000000)::text, 12, '0'), 'VCB' "
            "FROM tips WHERE id % 2 = 0"
        )
    )
    run(
        text(
            "INSERT INTO tip_entities (tip_id, kind, value) SELECT id, 'phone', :hot FROM tips "
            "WHERE id % GREATEST(:n / :hot_tips, 1) = 0 ORDER BY id LIMIT :hot_tips"
        ),
        {"hot": HOT_PHONE, "n": count, "hot_tips": HOT_TIPS},
    )
    run(
        text(
            "INSERT INTO tip_events (tip_id, at, actor, kind, to_status, detail) "
            "SELECT id, created_at, 'reporter', 'created', 'new', '{}'::json FROM tips"
        )
    )
    run(
        text(
            "INSERT INTO audit_log (at, actor, action, target_type, target_id, detail) "
            "SELECT t.created_at + (g.n || ' hours')::interval, "
            "CASE WHEN g.n = 0 THEN 'reporter' ELSE 'officer:' || (1 + t.id % 3) END, "
            "CASE WHEN g.n = 0 THEN 'tip.submit' ELSE 'tip.view' END, 'tip', t.id::text, '{}'::json "
            "FROM tips t CROSS JOIN (VALUES (0), (1)) AS g(n) ORDER BY 1"
        )
    )


def _subscribers(conn: object, count: int, unit_of_ward: dict[int, int]) -> None:
    """Residents subscribed to their commune, over every commune of the country."""
    wards = sorted(unit_of_ward)
    provinces = [(places.ward(w).province_code if places.ward(w) else 0) for w in wards]  # type: ignore[union-attr]
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO subscriptions (channel, user_key, province_code, ward_code, active, created_at) "
            "SELECT CASE WHEN g % 3 = 0 THEN 'telegram' ELSE 'zalo' END, 'sub-' || g, "
            "(CAST(:provinces AS int[]))[1 + g % :n], (CAST(:wards AS int[]))[1 + g % :n], true, now() "
            "FROM generate_series(1, :count) AS g"
        ),
        {"provinces": provinces, "wards": wards, "n": len(wards), "count": count},
    )


def _registry(conn: object, count: int) -> None:
    """Confirmed numbers, accounts and hosts, as `registry import` leaves them."""
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO registry_entities (kind, value, reports, first_seen, last_seen) "
            "SELECT (ARRAY['phone', 'bank_account', 'url'])[1 + g % 3], "
            "CASE g % 3 WHEN 0 THEN '+849' || lpad((g % 100000000)::text, 8, '0') "
            "WHEN 1 THEN '19' || lpad(g::text, 12, '0') ELSE 'scam' || g || '.top' END, "
            "1 + g % 5, now(), now() FROM generate_series(1, :count) AS g"
        ),
        {"count": count},
    )
