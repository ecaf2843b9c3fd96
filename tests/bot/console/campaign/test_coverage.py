"""Coverage C1–C12 through the console: the drill-down page, the gap list and its Excel file."""

from __future__ import annotations

import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from bot.app import Services
from storage import audit, subscriptions
from storage.campaign import activities, coverage, hamlets
from storage.campaign.activities import ActivityIn, vn_today
from storage.campaign.campaigns import Period
from storage.campaign.hamlets import HamletIn
from storage.db import transaction
from tests.bot.console.campaign.conftest import EVERYTHING, Registers
from tests.bot.console.conftest import BA_DINH, HANOI, HOAN_KIEM, World, login


def _fixture(services: Services, world: World, reg: Registers) -> int:
    """Activities over the registers; returns the inactive hamlet's id."""
    day = vn_today() - dt.timedelta(days=3)
    with transaction(services.engine) as s:
        inactive = hamlets.create_hamlet(
            s,
            scope=EVERYTHING,
            data=HamletIn(HOAN_KIEM, "Tổ dân phố cũ", "to_dan_pho", 40, 1, active=False),
            actor="t",
        )

        def log(**values: object) -> None:
            data = ActivityIn(ward_code=int(values.pop("ward", HOAN_KIEM)), started_on=day, **values)  # type: ignore[arg-type]
            activities.create_activity(
                s, scope=EVERYTHING, data=data, officer_id=world.commune_officer, actor="t"
            )

        log(kind="hamlet_session", hamlet_id=reg.hamlet_a, households_reached=70, notice_boards=3)
        log(kind="door_to_door", hamlet_id=reg.hamlet_a, households_reached=50)
        log(kind="leaflets", hamlet_id=reg.hamlet_b, households_reached=20, leaflets=20)
        log(kind="hamlet_session", hamlet_id=inactive.id)
        log(kind="school_session", organisation_id=reg.school, staff_engaged=30)
        log(kind="posting", organisation_id=reg.company, posters=2)
        log(kind="hamlet_session", hamlet_id=reg.hamlet_c)
        # Outside the period (last year) and deleted activities count for nothing.
        old = ActivityIn(
            kind="hamlet_session",
            ward_code=HOAN_KIEM,
            hamlet_id=reg.hamlet_b,
            started_on=day.replace(year=day.year - 1),
        )
        activities.create_activity(s, scope=EVERYTHING, data=old, officer_id=world.commune_officer, actor="t")
        gone = activities.create_activity(
            s,
            scope=EVERYTHING,
            data=ActivityIn(
                kind="hamlet_session", ward_code=HOAN_KIEM, hamlet_id=reg.hamlet_b, started_on=day
            ),
            officer_id=world.commune_officer,
            actor="t",
        )
        activities.delete_activity(
            s, scope=EVERYTHING, activity_id=int(gone.id or 0), officer_id=world.commune_officer, actor="t"
        )
        subscriptions.subscribe(s, channel="test", user_key="r1", province_code=HANOI, ward_code=HOAN_KIEM)
        subscriptions.subscribe(s, channel="test", user_key="r2", province_code=HANOI, ward_code=HOAN_KIEM)
        subscriptions.subscribe(s, channel="test", user_key="r3", province_code=HANOI, ward_code=BA_DINH)
        assert inactive.id is not None
        return inactive.id


def _row(html: str, name: str) -> str:
    for part in html.split("<tr")[1:]:
        if f">{name}<" in part or f">{name} <" in part:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part.split("</tr>")[0]))
    raise AssertionError(f"no row {name}")


def test_coverage_figures_equal_hand_computed_values(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    _fixture(console_db, cworld, registers)
    login(client, "tinh")
    province = client.get("/console/campaign/coverage")
    assert province.status_code == 200
    # Hoàn Kiếm: C1 2 of 3 active hamlets (A, C; the inactive one is left out); C2 (min(120, 100) + 20) / 150;
    # C3 3/4 boards; C4 1/1 school; C5 no cell; C6 0/1 production; C7 no shop; C8 0/1 (the school has
    # no poster); C9, C10 none; C11 30 of 240 staff; C12 2 subscribers per 150 households.
    hk = _row(province.text, "Phường Hoàn Kiếm")
    expected = [
        "66,7% 2/3 Chưa đạt",
        "80% 120/150 Chưa đạt",
        "75% 3/4 Chưa đạt",
        "100% 1/1 Đạt",
        "Chưa có số liệu",
        "0% 0/1 Chưa đạt",
        "Chưa có số liệu",
        "0% 0/1 Chưa đạt",
        "Chưa có số liệu",
        "Chưa có số liệu",
        "12,5% 30/240 Chưa đạt",
        "1,3 2 / 150 hộ",
    ]
    cells = hk.split("Phường Hoàn Kiếm", 1)[1]
    position = 0
    for text in expected:
        found = cells.find(text, position)
        assert found >= 0, (text, cells)
        position = found + len(text)
    # The province is the sum of its communes: Ba Đình adds a hamlet of 80 households, a school, a subscriber.
    total = _row(province.text, "Thành phố Hà Nội")
    for text in ("50% 2/4", "52,2% 120/230", "50% 1/2", "1,3 3 / 230 hộ"):
        assert text in total, (text, total)
    commune = client.get(f"/console/campaign/coverage?province={HANOI}&ward={HOAN_KIEM}")
    assert commune.status_code == 200
    assert "Chưa có số liệu" in _row(commune.text, "Tổ dân phố số 3")  # no household count: never 0%
    assert "100% 100/100 Đạt" in _row(commune.text, "Tổ dân phố số 1")
    assert "có thể trùng lặp" in _row(commune.text, "Tổ dân phố số 1")
    assert "Tổ dân phố cũ" not in commune.text
    assert "100% 1/1 Đạt" in _row(commune.text, "Trường THCS Hoàn Kiếm")
    # The same numbers from storage, for the reports that will read them.
    with Session(console_db.engine) as s:
        period = Period(dt.date(vn_today().year, 1, 1), vn_today())
        result = coverage.compute(s, scope=EVERYTHING, period=period, province_code=HANOI)
        communes = [r for r in result.rows if r.tally.hamlets or sum(r.tally.orgs.values())]
        for key in ("C1", "C2", "C4", "C11", "C12"):
            assert result.total.ratios[key].numerator == sum(r.ratios[key].numerator for r in result.rows)
        assert {r.key for r in communes} == {HOAN_KIEM, BA_DINH}


def test_the_gap_list_and_its_excel_file(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    _fixture(console_db, cworld, registers)
    login(client, "xa1")
    page = client.get("/console/campaign/coverage")  # a commune officer lands on their commune
    assert page.status_code == 200 and "Độ bao phủ — Phường Hoàn Kiếm" in page.text
    gaps = page.text.split("chưa thực hiện (", 1)[1]
    assert "Tổ dân phố số 2" in gaps and "Công ty May Hồ Gươm" in gaps and "Tổ dân phố cũ" not in gaps
    download = client.get(f"/console/campaign/gaps.xlsx?province={HANOI}&ward={HOAN_KIEM}")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert sheet is not None
    rows = [r for r in sheet.iter_rows(values_only=True) if any(r)]
    assert rows[0][0].startswith("Thôn/TDP, tổ chức chưa thực hiện — Phường Hoàn Kiếm")
    by_name = {r[2]: r for r in rows[2:]}
    assert set(by_name) == {
        "Tổ dân phố số 1",
        "Tổ dân phố số 2",
        "Tổ dân phố số 3",
        "Trường THCS Hoàn Kiếm",
        "Công ty May Hồ Gươm",
    }
    assert by_name["Tổ dân phố số 2"][4].startswith("C1 ") and by_name["Tổ dân phố số 2"][5] == 20
    assert "C6" in by_name["Công ty May Hồ Gươm"][4]
    assert by_name["Tổ dân phố số 1"][4].startswith("C3")  # reached every household, one board short
    assert client.get(f"/console/campaign/coverage?province={HANOI}&ward={BA_DINH}").status_code == 403
    assert client.get(f"/console/campaign/gaps.xlsx?province={HANOI}&ward={BA_DINH}").status_code == 403
    with Session(console_db.engine) as s:
        assert audit.count_entries(s, action="campaign.gaps_export") == 1
        assert audit.count_entries(s, action="campaign.forbidden") == 2


def test_a_campaign_sets_the_default_period_and_the_weekly_chart(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    _fixture(console_db, cworld, registers)
    login(client, "tinh")
    page = client.get("/console/campaign/coverage")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    start = vn_today() - dt.timedelta(days=20)
    end = vn_today() + dt.timedelta(days=40)
    made = client.post(
        "/console/campaign/campaigns",
        data={
            "csrf_token": token.group(1),
            "province": str(HANOI),
            "name": "Đợt cao điểm tuyên truyền phòng, chống lừa đảo",
            "starts_on": start.strftime("%d/%m/%Y"),
            "ends_on": end.strftime("%d/%m/%Y"),
        },
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert f"Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y} · Đợt cao điểm" in page.text
    assert "Tiến độ theo tuần" in page.text and "<svg" in page.text
    assert f"{start:%d/%m/%Y} – {start + dt.timedelta(days=6):%d/%m/%Y}" in page.text
    assert "2/4" in page.text  # the cumulative C1 of the last week equals the table's
    client.cookies.clear()
    login(client, "xa1")
    token2 = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/campaign/activities").text)
    assert token2
    refused = client.post(
        "/console/campaign/campaigns",
        data={
            "csrf_token": token2.group(1),
            "province": str(HANOI),
            "name": "x",
            "starts_on": "01/01/2026",
            "ends_on": "02/01/2026",
        },
    )
    assert refused.status_code == 403
