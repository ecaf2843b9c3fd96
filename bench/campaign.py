"""Campaign pages at a province's scale, on PostgreSQL, through the console's HTTP interface.

    .venv/bin/python bench/campaign.py   # 150 communes, 1,500 hamlets, 5,000 organisations, 50,000 activities
    .venv/bin/python bench/campaign.py --rounds 50

Fills a fresh database (Thanh Hóa: 150 of its communes), logs in as the province officer and
as a commune officer, and prints the p50/p95 of the coverage page (province and commune) and
of the activity list (first page, and filtered), then the time of a 3,000-row hamlet CSV
import. Targets: p95 ≤ 300 ms for the pages, < 5 s for the import.
Needs PostgreSQL (CANHGIAC_TEST_POSTGRES_URL); the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import drop_database, fresh_database  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from content import places  # noqa: E402
from content.campaign_terms import CATEGORIES, KINDS  # noqa: E402
from storage import officers, units  # noqa: E402
from storage.campaign.activities import vn_today  # noqa: E402
from storage.db import make_engine, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Campaign, CampaignActivity, Hamlet, Organisation, Subscription, utcnow  # noqa: E402

PG = os.environ.get("CANHGIAC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROVINCE = 38  # Thanh Hóa, 166 communes
PASSWORD = "mat-khau-bench-1"
KEY = "YmVuY2gta2V5LWZvci1jYW1wYWlnbi1wYWdlcy0wMDA="
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fill(
    url: str, communes: int, hamlets: int, orgs: int, activities: int
) -> tuple[list[int], dict[str, int]]:
    """The province's registers and log; returns the communes used and the officers' ids."""
    rng = random.Random(7)
    engine = make_engine(url)
    upgrade(engine)
    wards = sorted(w.ward_code for w in places.wards_of(PROVINCE) if w.ward_code)[:communes]
    today = vn_today()
    start = today - dt.timedelta(days=90)
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with transaction(engine) as s:
        province_unit = units.create_province_unit(s, province_code=PROVINCE, actor="bench")
        commune_unit = units.create_commune_unit(s, ward_code=wards[0], actor="bench")
        ids = {}
        for username, role, unit in (
            ("tinh", "province", province_unit.id),
            ("xa1", "commune", commune_unit.id),
        ):
            o = officers.create_officer(
                s,
                hasher=hasher,
                username=username,
                full_name=username,
                password=PASSWORD,
                role=role,
                unit_id=unit,
                actor="bench",
            )
            ids[username] = int(o.id or 0)
        s.add(Campaign(province_code=PROVINCE, name="Đợt cao điểm", starts_on=start, ends_on=today))
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(Hamlet),
            [
                {
                    "province_code": PROVINCE,
                    "ward_code": wards[i % len(wards)],
                    "name": f"Thôn {i}",
                    "kind": "thon",
                    "households": None if i % 37 == 0 else rng.randint(60, 400),
                    "notice_boards": rng.randint(0, 4),
                    "active": i % 53 != 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(hamlets)
            ],
        )
        hamlet_rows = conn.execute(text("SELECT id, ward_code FROM hamlets")).all()
        categories = list(CATEGORIES)
        conn.execute(
            insert(Organisation),
            [
                {
                    "province_code": PROVINCE,
                    "ward_code": wards[i % len(wards)],
                    "hamlet_id": None,
                    "name": f"Tổ chức {i}",
                    "category": categories[i % len(categories)],
                    "staff_or_members": rng.randint(5, 300),
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(orgs)
            ],
        )
        org_rows = conn.execute(text("SELECT id, ward_code FROM organisations")).all()
        kinds = list(KINDS)
        batch = []
        for i in range(activities):
            kind = kinds[i % len(kinds)]
            if i % 3 == 0:
                hamlet_id, ward = hamlet_rows[rng.randrange(len(hamlet_rows))]
                org_id = None
            else:
                org_id, ward = org_rows[rng.randrange(len(org_rows))]
                hamlet_id = None
            batch.append(
                {
                    "kind": kind,
                    "province_code": PROVINCE,
                    "ward_code": ward,
                    "hamlet_id": hamlet_id,
                    "organisation_id": org_id,
                    "organiser": "commune_police",
                    "organiser_note": "",
                    "audiences": ["residents"],
                    "started_on": start + dt.timedelta(days=rng.randrange(120) - 20),
                    "sessions": 1,
                    "participants": rng.randint(10, 200),
                    "households_reached": rng.randint(5, 80) if hamlet_id else None,
                    "posters": rng.randint(0, 3),
                    "notice_boards": rng.randint(0, 2) if hamlet_id else None,
                    "staff_engaged": rng.randint(0, 20) if org_id else None,
                    "card_ids": [],
                    "note": "",
                    "created_by": ids["tinh"],
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(CampaignActivity), batch)
                batch = []
        if batch:
            conn.execute(insert(CampaignActivity), batch)
        conn.execute(
            insert(Subscription),
            [
                {
                    "channel": "telegram",
                    "user_key": str(10_000 + i),
                    "province_code": PROVINCE,
                    "ward_code": ward,
                    "hamlet_id": hid if i % 2 else None,
                    "active": True,
                    "created_at": now - dt.timedelta(days=30),
                }
                for i, (hid, ward) in enumerate(hamlet_rows * 2)
            ],
        )
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return wards, ids


def login(client: TestClient, username: str) -> None:
    page = client.get("/console/login")
    token = _CSRF.search(page.text)
    assert token
    done = client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text


def timed(client: TestClient, path: str, rounds: int) -> tuple[float, float]:
    client.get(path)  # warm
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=150)
    parser.add_argument("--hamlets", type=int, default=1500)
    parser.add_argument("--organisations", type=int, default=5000)
    parser.add_argument("--activities", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--import-rows", type=int, default=3000)
    args = parser.parse_args()

    from bot.app import build_services
    from bot.settings import Settings
    from bot.web.app import create_app
    from bot.web.console.routes import build_router

    name, url = fresh_database(PG, "cg_bench_campaign")
    try:
        t0 = time.perf_counter()
        wards, _ = fill(url, args.communes, args.hamlets, args.organisations, args.activities)
        print(
            f"filled {args.communes} communes, {args.hamlets:,} hamlets, "
            f"{args.organisations:,} organisations, "
            f"{args.activities:,} activities in {time.perf_counter() - t0:.1f} s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(  # type: ignore[call-arg]
                data_dir=Path(tmp), database_url=url, run_worker=False, secret_keys=KEY, _env_file=None
            )
            services = build_services(settings)
            services.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            services.routers.append(build_router())
            with TestClient(create_app(services, background=False), follow_redirects=False) as client:
                login(client, "tinh")
                figures = [
                    ("coverage, province (150 communes)", f"/console/campaign/coverage?province={PROVINCE}"),
                    (
                        "coverage, one commune",
                        f"/console/campaign/coverage?province={PROVINCE}&ward={wards[1]}",
                    ),
                    ("activity list, province, first page", "/console/campaign/activities"),
                    (
                        "activity list, filtered (commune, kind)",
                        f"/console/campaign/activities?ward={wards[2]}&kind=hamlet_session",
                    ),
                    ("activity list, page 200", "/console/campaign/activities?page=200"),
                ]
                worst = 0.0
                for label, path in figures:
                    p50, p95 = timed(client, path, args.rounds)
                    worst = max(worst, p95)
                    print(f"{label:45s} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
                lines = ["ward_code,ten,loai,so_ho,so_bang_tin"]
                for i in range(args.import_rows):
                    lines.append(f"{wards[i % len(wards)]},Xóm mới {i},xóm,{100 + i % 300},{i % 3}")
                body = ("\n".join(lines) + "\n").encode("utf-8")
                page = client.get("/console/campaign/registers")
                token = _CSRF.search(page.text)
                assert token
                t0 = time.perf_counter()
                response = client.post(
                    "/console/campaign/import/hamlets",
                    data={"csrf_token": token.group(1)},
                    files={"file": ("thon.csv", body, "text/csv")},
                )
                took = time.perf_counter() - t0
                assert (
                    response.status_code == 200
                    and f"{args.import_rows:,}".replace(",", ".") + " mục mới" in response.text
                )
                print(f"{'hamlet CSV import, ' + f'{args.import_rows:,} rows':45s} {took:6.2f} s")
                pages_ok = "met" if worst <= 300 else "NOT met"
                import_ok = "met" if took < 5 else "NOT met"
                print(f"targets: page p95 ≤ 300 ms ({pages_ok}), import < 5 s ({import_ok})")
            services.engine.dispose()
    finally:
        drop_database(PG, name)


if __name__ == "__main__":
    main()
