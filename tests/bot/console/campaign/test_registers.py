"""The hamlet and organisation registers through the console: edit, CSV import, scope, audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bot.app import Services
from storage import audit
from storage.models import Hamlet, Organisation
from tests.bot.console.campaign.conftest import Registers
from tests.bot.console.conftest import BA_DINH, HOAN_KIEM, World, csrf_of, login


def _token(client: TestClient, ward: int = HOAN_KIEM) -> str:
    return csrf_of(client.get(f"/console/campaign/registers?ward={ward}").text)


def test_a_3000_row_hamlet_file_loads_all_but_its_two_bad_rows(
    client: TestClient, console_db: Services, cworld: World
) -> None:
    login(client, "tinh")  # the province officer imports for every commune of Hà Nội
    lines = ["ward_code,ten,loai,so_ho,so_bang_tin"]
    for i in range(3000):
        ward = HOAN_KIEM if i % 2 else BA_DINH
        lines.append(f"{ward},Thôn {i},{'tdp' if i % 3 else 'Thôn'},{100 + i % 50},{i % 4}")
    lines[1001] = f"{HOAN_KIEM},Thôn lỗi,làng,12,1"  # line 1002: an unknown kind
    lines[2501] = f"{BA_DINH},Thôn âm,thôn,-3,1"  # line 2502: a negative count
    body = ("\n".join(lines) + "\n").encode("utf-8")
    response = client.post(
        "/console/campaign/import/hamlets",
        data={"csrf_token": _token(client), "ward": str(HOAN_KIEM)},
        files={"file": ("thon.csv", body, "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert "2.998 mục mới" in response.text
    assert "Dòng 1002: loại không hợp lệ: làng" in response.text
    assert "Dòng 2502: số phải là số nguyên không âm: -3" in response.text
    with Session(console_db.engine) as s:
        assert len(s.exec(select(Hamlet)).all()) == 2998
        assert s.exec(select(Hamlet).where(Hamlet.name == "Thôn 3")).one().kind == "thon"
        entry = audit.entries(s, action="campaign.hamlet_import")[0]
        assert entry.detail["created"] == 2998 and entry.detail["error_lines"] == [1002, 2502]
    # The same file again updates instead of duplicating.
    again = client.post(
        "/console/campaign/import/hamlets",
        data={"csrf_token": _token(client)},
        files={"file": ("thon.csv", body, "text/csv")},
    )
    assert "0 mục mới, 2.998 mục cập nhật" in again.text


def test_a_commune_officer_edits_only_their_communes_registers(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "xa1")
    token = _token(client)
    saved = client.post(
        f"/console/campaign/registers/{HOAN_KIEM}/hamlets/{registers.hamlet_a}",
        data={
            "csrf_token": token,
            "name": "Tổ dân phố số 1",
            "kind": "to_dan_pho",
            "households": "120",
            "notice_boards": "5",
            "active": "1",
        },
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "Đã lưu thôn/tổ dân phố." in page.text and 'value="120"' in page.text
    added = client.post(
        f"/console/campaign/registers/{HOAN_KIEM}/organisations",
        data={
            "csrf_token": token,
            "name": "Ngân hàng X — phòng giao dịch Hàng Bài",
            "category": "bank_point",
        },
    )
    assert added.status_code == 303
    bad = client.post(
        f"/console/campaign/registers/{HOAN_KIEM}/hamlets",
        data={"csrf_token": token, "name": "Tổ dân phố số 2", "kind": "thon"},
    )
    assert bad.status_code == 400 and "Xã/phường đã có thôn/tổ dân phố tên này." in bad.text
    refused = [
        client.get(f"/console/campaign/registers?ward={BA_DINH}"),
        client.post(
            f"/console/campaign/registers/{BA_DINH}/hamlets",
            data={"csrf_token": token, "name": "Thôn lạ", "kind": "thon"},
        ),
        client.post(
            f"/console/campaign/registers/{BA_DINH}/hamlets/{registers.hamlet_other}",
            data={"csrf_token": token, "name": "Đổi tên", "kind": "thon", "active": "1"},
        ),
        client.post(
            f"/console/campaign/registers/{HOAN_KIEM}/hamlets/{registers.hamlet_other}",
            data={"csrf_token": token, "name": "Đổi tên", "kind": "thon", "active": "1"},
        ),
        client.post(
            f"/console/campaign/registers/{BA_DINH}/organisations/{registers.other_school}",
            data={"csrf_token": token, "name": "Đổi tên", "category": "school", "active": "1"},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    imported = client.post(
        "/console/campaign/import/hamlets",
        data={"csrf_token": token},
        files={
            "file": (
                "thon.csv",
                (
                    "ward_code,ten,loai,so_ho,so_bang_tin\n"
                    f"{BA_DINH},Thôn lạ,thôn,5,1\n{HOAN_KIEM},Thôn mới,thôn,5,1\n"
                ).encode(),
                "text/csv",
            )
        },
    )
    assert "Dòng 2: xã/phường 4 ngoài phạm vi của bạn" in imported.text and "1 mục mới" in imported.text
    with Session(console_db.engine) as s:
        other = s.get(Hamlet, registers.hamlet_other)
        assert other is not None and other.name == "Tổ dân phố số 9"
        assert s.exec(select(Hamlet).where(Hamlet.ward_code == BA_DINH)).all() == [other]
        assert (
            audit.count_entries(s, action="campaign.forbidden", actor=f"officer:{cworld.commune_officer}")
            == 5
        )
        update = audit.entries(s, action="campaign.hamlet_update")[0]
        assert update.detail["before"]["households"] == 100 and update.detail["after"]["households"] == 120
        assert audit.count_entries(s, action="campaign.organisation_create") == 4
        assert (
            s.exec(select(Organisation).where(col(Organisation.category) == "bank_point")).one().ward_code
            == HOAN_KIEM
        )


def test_organisations_import_from_csv(
    client: TestClient, console_db: Services, cworld: World, registers: Registers
) -> None:
    login(client, "xa1")
    text = (
        "ward_code,ten,loai,cap_hoc,thon,so_nguoi\n"
        f"{HOAN_KIEM},Trường Mầm non Hoa Sen,Trường học,Mầm non,Tổ dân phố số 2,25\n"
        f"{HOAN_KIEM},Chi đoàn Tổ dân phố số 1,chi doan,,,30\n"
        f"{HOAN_KIEM},Nơi không rõ,nhà hàng,,,\n"
        f"{HOAN_KIEM},Trường X,truong hoc,cấp 5,,\n"
    )
    response = client.post(
        "/console/campaign/import/organisations",
        data={"csrf_token": _token(client)},
        files={"file": ("to-chuc.csv", text.encode("utf-8-sig"), "text/csv")},
    )
    assert "2 mục mới" in response.text
    assert "Dòng 4: loại tổ chức không hợp lệ: nhà hàng" in response.text
    assert "Dòng 5: cấp học không hợp lệ: cấp 5" in response.text
    with Session(console_db.engine) as s:
        school = s.exec(select(Organisation).where(Organisation.name == "Trường Mầm non Hoa Sen")).one()
        assert school.category == "school" and school.school_level == "mam_non"
        assert school.hamlet_id == registers.hamlet_b and school.staff_or_members == 25
