"""The activity log through the console: log, validate, edit, soft-delete, list, export, scope."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.app import Services
from storage import audit
from storage.models import CampaignActivity
from tests.bot.console.campaign.conftest import Registers
from tests.bot.console.conftest import BA_DINH, HOAN_KIEM, World, csrf_of, login


def _today() -> dt.date:
    from storage.campaign.activities import vn_today

    return vn_today()


def _rows(response: Any) -> str:
    """The list's table only (the filter's dropdowns name every hamlet too)."""
    text: str = response.text
    return text.split("<tbody>", 1)[1] if "<tbody>" in text else ""


def _form(client: TestClient, ward: int = HOAN_KIEM, **values: Any) -> dict[str, Any]:
    page = client.get(f"/console/campaign/activities/new?ward={ward}")
    assert page.status_code == 200, page.text
    data: dict[str, Any] = {
        "csrf_token": csrf_of(page.text),
        "ward_code": str(ward),
        "kind": "hamlet_session",
        "started_on": _today().strftime("%d/%m/%Y"),
        "sessions": "1",
        "organiser": "commune_police",
    }
    data.update({k: str(v) if not isinstance(v, list) else v for k, v in values.items()})
    return data


def test_an_officer_logs_an_activity_and_every_change_is_audited(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "xa1")
    form = _form(
        client,
        hamlet_id=registers.hamlet_a,
        participants="1.200",
        households_reached=80,
        audiences=["residents", "officials"],
        card_ids=["fake-bank"],
        note='=HYPERLINK("http://x")',
    )
    created = client.post("/console/campaign/activities", data=form)
    assert created.status_code == 303, created.text
    listing = client.get(created.headers["location"])
    assert "Đã ghi hoạt động vào sổ theo dõi." in listing.text
    assert "Tổ dân phố số 1" in listing.text and "1.200" in listing.text
    with Session(console_db.engine) as s:
        row = s.exec(select(CampaignActivity)).one()
        assert (
            row.participants == 1200
            and row.households_reached == 80
            and row.created_by == cworld.commune_officer
        )
        assert row.audiences == ["residents", "officials"] and row.card_ids == ["fake-bank"]
        activity_id = row.id
    page = client.get(f"/console/campaign/activities/{activity_id}")
    assert page.status_code == 200 and 'value="1200"' in page.text
    edit = dict(form, csrf_token=csrf_of(page.text), households_reached="90")
    assert client.post(f"/console/campaign/activities/{activity_id}", data=edit).status_code == 303
    gone = client.post(
        f"/console/campaign/activities/{activity_id}/delete", data={"csrf_token": edit["csrf_token"]}
    )
    assert gone.status_code == 303
    with Session(console_db.engine) as s:
        row = s.exec(select(CampaignActivity)).one()
        assert row.deleted_at is not None and row.households_reached == 90  # soft: the row stays
        trail = {e.action: e.detail for e in audit.entries(s, target_type="activity")}
        assert trail["campaign.activity_create"]["before"] is None
        assert trail["campaign.activity_update"]["before"]["households_reached"] == 80
        assert trail["campaign.activity_update"]["after"]["households_reached"] == 90
        assert trail["campaign.activity_delete"]["after"] is None
    assert "Chưa có hoạt động nào" in client.get("/console/campaign/activities").text


def test_bad_input_is_refused_naming_the_field(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "xa1")
    cases = [
        ({"kind": "door_to_door"}, "Loại hoạt động này cần chọn Thôn/tổ dân phố."),
        ({"kind": "posting", "notice_boards": "3"}, "Loại hoạt động này cần chọn Thôn/tổ dân phố."),
        ({"kind": "conference", "leaflets": "-5"}, "Số tờ rơi phải là số nguyên không âm."),
        (
            {"kind": "conference", "started_on": (_today() + dt.timedelta(days=2)).strftime("%d/%m/%Y")},
            "Ngày bắt đầu không được sau ngày mai.",
        ),
        ({"kind": "conference", "started_on": "hôm qua"}, "Nhập Ngày bắt đầu theo dạng ngày/tháng/năm"),
        (
            {"kind": "hamlet_session", "hamlet_id": "__other__"},
            "Thôn/tổ dân phố không thuộc xã/phường đã chọn.",
        ),
    ]
    for values, expected in cases:
        if values.get("hamlet_id") == "__other__":
            values = dict(values, hamlet_id=str(registers.hamlet_other))
        response = client.post("/console/campaign/activities", data=_form(client, **values))
        assert response.status_code == 400, values
        assert expected in response.text, (values, response.text[-2000:])
    tomorrow = (_today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    ok = client.post(
        "/console/campaign/activities", data=_form(client, kind="conference", started_on=tomorrow)
    )
    assert ok.status_code == 303
    with Session(console_db.engine) as s:
        assert len(s.exec(select(CampaignActivity)).all()) == 1


def test_the_form_has_no_field_for_a_participant(
    client: TestClient, cworld: World, registers: Registers
) -> None:
    login(client, "xa1")
    page = client.get(f"/console/campaign/activities/new?ward={HOAN_KIEM}").text
    names = set(__import__("re").findall(r'name="([a-z_]+)"', page))
    assert not {n for n in names if "phone" in n or n in ("full_name", "participant_name", "name")}


def test_the_list_filters_and_the_excel_has_every_field(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "xa1")
    day = _today() - dt.timedelta(days=10)
    client.post(
        "/console/campaign/activities",
        data=_form(
            client,
            kind="leaflets",
            hamlet_id=registers.hamlet_a,
            leaflets="2500",
            started_on=day.strftime("%d/%m/%Y"),
            note="@SUM(A1)",
        ),
    )
    client.post(
        "/console/campaign/activities",
        data=_form(client, kind="school_session", organisation_id=registers.school, organiser="school"),
    )
    both = _rows(client.get("/console/campaign/activities"))
    assert "Tổ dân phố số 1" in both and "Trường THCS Hoàn Kiếm" in both
    only = _rows(client.get("/console/campaign/activities?kind=leaflets"))
    assert "Trường THCS Hoàn Kiếm" not in only and "Tổ dân phố số 1" in only
    by_hamlet = client.get(f"/console/campaign/activities?ward={HOAN_KIEM}&hamlet={registers.hamlet_b}")
    assert "Chưa có hoạt động nào" in by_hamlet.text
    by_organiser = _rows(client.get("/console/campaign/activities?organiser=school"))
    assert "Trường THCS Hoàn Kiếm" in by_organiser and "Tổ dân phố số 1" not in by_organiser
    before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    period = f"from={before:%d/%m/%Y}&to={after:%d/%m/%Y}"
    assert "Tổ dân phố số 1" in _rows(client.get(f"/console/campaign/activities?{period}"))
    assert "Trường THCS" not in _rows(client.get(f"/console/campaign/activities?{period}"))
    exported = client.get(f"/console/campaign/activities.xlsx?{period}")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    note = sheet.cell(row=2, column=23)
    assert note.data_type == "s" and note.quotePrefix
    assert rows[0][:4] == ("Mã", "Loại hoạt động", "Xã/phường", "Thôn/tổ dân phố") and len(rows[0]) == 23
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Số tờ rơi"] == 2500 and row["Thôn/tổ dân phố"] == "Tổ dân phố số 1"
    assert row["Ngày bắt đầu"].date() == day and row["Ghi chú"] == "@SUM(A1)"
    with Session(console_db.engine) as s:
        assert audit.count_entries(s, action="campaign.activity_export") == 1


def test_a_commune_officer_cannot_touch_another_communes_activities(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "xa2")  # Ba Đình
    mine = client.post(
        "/console/campaign/activities", data=_form(client, ward=BA_DINH, hamlet_id=registers.hamlet_other)
    )
    assert mine.status_code == 303
    client.cookies.clear()
    login(client, "xa1")  # Hoàn Kiếm
    refused = client.post(
        "/console/campaign/activities", data=_form(client, ward=BA_DINH, hamlet_id=registers.hamlet_other)
    )
    assert refused.status_code == 403
    with Session(console_db.engine) as s:
        other_id = s.exec(select(CampaignActivity.id)).one()
    token = csrf_of(client.get("/console/campaign/activities/new").text)
    assert client.get(f"/console/campaign/activities/{other_id}").status_code == 403
    edit = _form(client, ward=BA_DINH, hamlet_id=registers.hamlet_other, sessions="9")
    assert client.post(f"/console/campaign/activities/{other_id}", data=edit).status_code == 403
    assert (
        client.post(f"/console/campaign/activities/{other_id}/delete", data={"csrf_token": token}).status_code
        == 403
    )
    assert client.get(f"/console/campaign/activities?ward={BA_DINH}").status_code == 403
    assert "Tổ dân phố số 9" not in _rows(client.get("/console/campaign/activities"))
    exported = load_workbook(io.BytesIO(client.get("/console/campaign/activities.xlsx").content)).active
    assert exported is not None and exported.max_row == 1
    with Session(console_db.engine) as s:
        row = s.get(CampaignActivity, other_id)
        assert row is not None and row.sessions == 1 and row.deleted_at is None
        assert (
            audit.count_entries(s, action="campaign.forbidden", actor=f"officer:{cworld.commune_officer}")
            == 5
        )
    client.cookies.clear()
    login(client, "tinh")  # the province officer sees both communes
    assert "Tổ dân phố số 9" in _rows(client.get("/console/campaign/activities"))
