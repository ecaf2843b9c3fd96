"""The queue and the tip page over HTTP: scopes, filters, actions, audit, evidence, exports."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Services
from storage import audit, officer_links
from storage.models import OutboxMessage, Tip, TipEvent
from storage.tips import EntityIn, EvidenceIn, format_code
from tests.bot.console.conftest import BA_DINH, World, csrf_of, login, submit
from tests.harness import Conversation

_ROW_LINK = re.compile(r'href="/console/tips/(\d+)"')


def shown(html: str) -> set[int]:
    return {int(x) for x in _ROW_LINK.findall(html)}


def test_each_role_sees_only_its_units_tips(app_client: TestClient, console: Services, world: World) -> None:
    mine = submit(console)
    other = submit(console, ward_code=BA_DINH, reporter_user_key="resident-2")
    login(app_client, "xa1")
    assert shown(app_client.get("/console/tips").text) == {mine}
    province = TestClient(app_client.app, follow_redirects=False)
    login(province, "tinh")
    assert shown(province.get("/console/tips").text) == {mine, other}
    admin = TestClient(app_client.app, follow_redirects=False)
    login(admin, "quantri")
    assert shown(admin.get("/console/tips").text) == {mine, other}


def test_another_communes_tip_by_url_is_403_and_audited(
    app_client: TestClient, console: Services, world: World
) -> None:
    other = submit(console, ward_code=BA_DINH, story="Chuyện riêng của người khác")
    login(app_client, "xa1")
    response = app_client.get(f"/console/tips/{other}")
    assert response.status_code == 403
    assert "Chuyện riêng" not in response.text
    page = app_client.get("/console/me")
    change = app_client.post(
        f"/console/tips/{other}/status", data={"to_status": "received", "csrf_token": csrf_of(page.text)}
    )
    assert change.status_code == 403
    assert app_client.get("/console/tips/999999").status_code == 404
    with Session(console.engine) as s:
        refused = audit.entries(s, action="tip.forbidden", target_id=str(other))
        views = audit.entries(s, action="tip.view", target_id=str(other))
    assert [e.actor for e in refused] == [f"officer:{world.commune_officer}"] * 2
    assert {e.detail["operation"] for e in refused} == {"view", "status"}
    assert views == []


def test_queue_filters_sorts_and_counts(app_client: TestClient, console: Services, world: World) -> None:
    small = submit(console, amount_lost=200_000, modus_id="online-shopping")
    big = submit(console, amount_lost=90_000_000)
    none = submit(console, amount_lost=None, modus_id="online-shopping")
    login(app_client, "tinh")
    assert shown(app_client.get("/console/tips?modus=online-shopping").text) == {small, none}
    assert shown(app_client.get("/console/tips?amount_min=1.000.000").text) == {big}
    assert shown(app_client.get("/console/tips?amount_max=500000").text) == {small}
    assert shown(app_client.get("/console/tips?from=2000-01-01&to=2000-01-02").text) == set()
    by_amount = app_client.get("/console/tips?sort=amount").text
    assert by_amount.index(f'/console/tips/{big}"') < by_amount.index(f'/console/tips/{small}"')
    page = app_client.get("/console/tips?status=new")
    assert 'Mới<span class="count">3</span>' in page.text
    assert "Xã/phường" in page.text and "Phường Hoàn Kiếm" in page.text  # a province officer picks a commune


def test_opening_a_tip_shows_it_and_is_audited(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip = submit(console, story="Họ gửi link <script>alert(1)</script> giả ngân hàng")
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "+84912345678" in page.text and "Ẩn danh" in page.text
    with Session(console.engine) as s:
        views = audit.entries(s, action="tip.view", target_id=str(tip))
    assert [v.actor for v in views] == [f"officer:{world.commune_officer}"]


def test_status_change_tells_the_reporter_through_the_outbox(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip = submit(console)
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    response = app_client.post(
        f"/console/tips/{tip}/status",
        data={
            "to_status": "received",
            "note": "Đã gọi lại cho người dân",
            "version": version.group(1),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.headers["location"] == f"/console/tips/{tip}?ok=status"
    after = app_client.get(response.headers["location"])
    assert "Đã đổi trạng thái" in after.text and "Đã gọi lại cho người dân" in after.text
    # The same form again carries the old version: refused, not applied twice.
    stale = app_client.post(
        f"/console/tips/{tip}/status",
        data={"to_status": "verifying", "version": version.group(1), "csrf_token": csrf_of(page.text)},
    )
    assert stale.headers["location"].endswith("err=stale")
    with Session(console.engine) as s:
        queued = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tip_status")).all()
        notes = s.exec(select(TipEvent).where(TipEvent.kind == "status")).all()
    assert [(m.channel, m.user_key) for m in queued] == [("web", "resident-1")]
    assert notes[0].note and "Đã gọi lại" not in notes[0].note  # encrypted at rest


def test_assign_note_duplicate_and_confirm(app_client: TestClient, console: Services, world: World) -> None:
    first = submit(console)
    second = submit(console, reporter_user_key="resident-2", entities=(EntityIn("phone", "+84912345678"),))
    login(app_client, "tinh")
    page = app_client.get(f"/console/tips/{second}")
    token = csrf_of(page.text)
    assert f'name="original" value="{first}"' in page.text  # suggested: shares the phone number
    app_client.post(
        f"/console/tips/{second}/assign", data={"assignee": str(world.commune_officer), "csrf_token": token}
    )
    app_client.post(
        f"/console/tips/{second}/note", data={"note": "Cùng số với tin trước", "csrf_token": token}
    )
    done = app_client.post(
        f"/console/tips/{second}/duplicate", data={"original": str(first), "csrf_token": token}
    )
    assert done.headers["location"].endswith("ok=duplicate")
    page = app_client.get(f"/console/tips/{second}")
    assert "Trùng lặp" in page.text and "Cán bộ xa1" in page.text and "Cùng số với tin trước" in page.text
    page = app_client.get(f"/console/tips/{first}")
    ids = re.findall(r'name="entity" value="(\d+)"', page.text)
    assert len(ids) == 2
    app_client.post(f"/console/tips/{first}/confirm", data={"entity": ids, "csrf_token": token})
    page = app_client.get(f"/console/tips/{first}")
    assert page.text.count("đã bị báo cáo 1 lần") == 2
    # The next check of that number, in chat, says it was reported.
    resident = Conversation(console.conversations, channel="web", user_key="someone")
    resident.say("Số 0912345678 gọi bảo tôi chuyển tiền")
    assert "đã bị báo cáo 1 lần" in resident.text


def test_a_duplicate_of_a_tip_outside_the_scope_is_refused(
    app_client: TestClient, console: Services, world: World
) -> None:
    mine = submit(console)
    theirs = submit(console, ward_code=BA_DINH, reporter_user_key="resident-2")
    login(app_client, "xa1")
    token = csrf_of(app_client.get(f"/console/tips/{mine}").text)
    with Session(console.engine) as s:
        their_code = format_code(s.get(Tip, theirs).code)  # type: ignore[union-attr]
    for original in (str(theirs), their_code):
        refused = app_client.post(
            f"/console/tips/{mine}/duplicate", data={"original": original, "csrf_token": token}
        )
        assert refused.headers["location"].endswith("err=original_missing")
    with Session(console.engine) as s:
        tip = s.get(Tip, mine)
        assert tip is not None and tip.status == "new" and tip.duplicate_of is None
        assert audit.entries(s, action="tip.duplicate") == []


def test_commune_officers_cannot_confirm_into_the_registry(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip = submit(console)
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip}")
    assert 'name="entity"' not in page.text
    refused = app_client.post(
        f"/console/tips/{tip}/confirm", data={"entity": ["1"], "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403


def test_evidence_images_show_inline_and_other_files_only_download(
    app_client: TestClient, console: Services, world: World
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    html = b"<html><script>alert(1)</script></html>"
    keys = [
        console.evidence.put(png, name="a.png", mime="image/png"),
        console.evidence.put(html, name="b.html", mime="text/html"),
    ]
    evidence = (
        EvidenceIn("photo", "anh-chup.png", "image/png", len(png), "0" * 64, keys[0]),
        EvidenceIn("document", "trang.html", "text/html", len(html), "1" * 64, keys[1]),
    )
    tip = submit(console, evidence=evidence)
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip}")
    links = re.findall(rf"/console/tips/{tip}/evidence/(\d+)", page.text)
    first, second = sorted({int(x) for x in links})
    image = app_client.get(f"/console/tips/{tip}/evidence/{first}")
    assert image.status_code == 200 and image.content == png and image.headers["content-type"] == "image/png"
    other = app_client.get(f"/console/tips/{tip}/evidence/{second}")
    assert other.headers["content-type"] == "application/octet-stream"
    assert other.headers["content-disposition"].startswith("attachment")
    with Session(console.engine) as s:
        assert len(audit.entries(s, action="tip.evidence_view", target_id=str(tip))) == 2


def test_exports_neutralise_formulas_keep_vietnamese_and_are_audited(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip = submit(
        console, story='=HYPERLINK("http://x.example","Bấm vào")', entities=(EntityIn("url", "@cmd"),)
    )
    submit(console, ward_code=BA_DINH, story="+84 ngoài phạm vi")
    login(app_client, "xa1")
    response = app_client.get("/console/export/tips.csv?modus=fake-bank")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã tin báo" and len(rows) == 2  # the other commune's tip is not exported
    assert rows[1][-1] == '\'=HYPERLINK("http://x.example","Bấm vào")'
    assert rows[1][-2] == "'@cmd"
    assert rows[1][6] == "5000000"
    xlsx = app_client.get("/console/export/tips.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    story = sheet.cell(row=2, column=11)
    assert story.data_type == "s" and story.quotePrefix  # shown as text, never run
    assert story.value == '=HYPERLINK("http://x.example","Bấm vào")'  # no visible apostrophe
    assert sheet.cell(row=2, column=10).value == "@cmd"
    assert sheet.cell(row=2, column=7).value == 5_000_000
    assert sheet.cell(row=1, column=3).value == "Trạng thái"
    with Session(console.engine) as s:
        exports = audit.entries(s, action="tip.export")
    assert [(e.detail["format"], e.detail["tip_ids"]) for e in exports] == [("xlsx", [tip]), ("csv", [tip])]


def test_exports_neutralise_signs_and_formulas_behind_spaces(
    app_client: TestClient, console: Services, world: World
) -> None:
    stories = ["+84912345678 gọi tôi", "-2+3", "   =1+2", " \t@SUM(1)", "\t=1", "Bình thường - không sao"]
    for number, story in enumerate(stories):
        submit(console, story=story, reporter_user_key=f"resident-{number}")
    login(app_client, "xa1")
    expected = {"'" + story for story in stories[:-1]} | {stories[-1]}
    rows = list(
        csv.reader(io.StringIO(app_client.get("/console/export/tips.csv").content.decode("utf-8-sig")))
    )
    assert {row[-1] for row in rows[1:]} == expected
    xlsx = app_client.get("/console/export/tips.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = {
        sheet.cell(row=r, column=11).value: sheet.cell(row=r, column=11) for r in range(2, len(stories) + 2)
    }
    assert set(cells) == set(stories)  # shown as typed, as text that never runs
    assert {c.data_type for c in cells.values()} == {"s"}
    assert [s for s in stories if cells[s].quotePrefix] == stories[:-1]


def test_an_assigned_officer_hears_of_it_in_their_linked_chat(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip = submit(console, story="Chuyện riêng không gửi vào chat")
    with Session(console.engine) as s:
        code, _ = officer_links.issue_link_code(s, officer_id=world.commune_officer, actor="test")
        s.commit()
    Conversation(console.conversations, channel="telegram", user_key="777").say(f"/lienket {code}")
    login(app_client, "tinh")
    token = csrf_of(app_client.get(f"/console/tips/{tip}").text)
    app_client.post(
        f"/console/tips/{tip}/assign", data={"assignee": str(world.commune_officer), "csrf_token": token}
    )
    app_client.post(f"/console/tips/{tip}/assign", data={"assignee": "me", "csrf_token": token})
    with Session(console.engine) as s:
        queued = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "officer_assign")).all()
    assert [(m.channel, m.user_key) for m in queued] == [("telegram", "777")]
    text = str(queued[0].payload)
    assert "Cán bộ tinh" in text and "Giả mạo ngân hàng" in text and "Chuyện riêng" not in text


def test_csv_export_holds_no_formula_for_a_semicolon_locale(
    app_client: TestClient, console: Services, world: World
) -> None:
    submit(console, story="Bị lừa;=cmd|' /C calc'!A0 rồi ;  +SUM(A1) và ;@x")
    login(app_client, "xa1")
    text = app_client.get("/console/export/tips.csv").content.decode("utf-8-sig")
    # Excel with `;` as its list separator starts a new cell at every `;`, quoted or not.
    assert re.search(r";[ ]*[=+\-@]", text) is None
    assert all(line.startswith('"') for line in text.splitlines())  # every field quoted
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][-1] == "Bị lừa;'=cmd|' /C calc'!A0 rồi ;  '+SUM(A1) và ;'@x"


def test_xlsx_export_has_real_dates_and_plain_identifiers(
    app_client: TestClient, console: Services, world: World
) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    submit(console)
    login(app_client, "xa1")
    sheet = openpyxl.load_workbook(io.BytesIO(app_client.get("/console/export/tips.xlsx").content)).active
    assert sheet is not None
    received, occurred = sheet.cell(row=2, column=2), sheet.cell(row=2, column=8)
    assert isinstance(received.value, dt.datetime) and received.number_format == "hh:mm dd/mm/yyyy"
    now_in_vietnam = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    assert abs(received.value - now_in_vietnam) < dt.timedelta(minutes=5)
    assert occurred.value.date() == dt.date(2026, 11, 19) and occurred.number_format == "dd/mm/yyyy"
    assert sheet.cell(row=2, column=7).value == 5_000_000
    assert sheet.cell(row=2, column=10).value == "+84912345678; 0123456789"
    assert sheet.cell(row=1, column=5).value == "Nơi ở của người báo"


def test_tip_page_names_the_channel_and_the_residents_place_in_vietnamese(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip = submit(console, reporter_channel="terminal")
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip}").text
    assert "Tin báo được gửi qua Dòng lệnh trên máy chủ." in page and "terminal" not in page
    assert "Nơi ở của người báo" in page and "Nơi xảy ra" not in page
    assert "Nơi ở người báo" in app_client.get("/console/tips").text


def test_small_evidence_date_fields_and_icon(app_client: TestClient, console: Services, world: World) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    data = b"x" * 100
    key = console.evidence.put(data, name="ghi-chu.txt", mime="text/plain")
    tip = submit(console, evidence=(EvidenceIn("document", "ghi-chu.txt", "text/plain", 100, "2" * 64, key),))
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip}").text
    assert "ghi-chu.txt · 100 byte" in page and "0 KB" not in page
    assert 'rel="icon"' in page
    icon = app_client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")

    queue = app_client.get("/console/tips?from=2000-01-01").text
    assert 'type="date"' not in queue and 'placeholder="dd/mm/yyyy"' in queue
    assert 'value="01/01/2000"' in queue  # an older link's day shown the Vietnamese way
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    typed = today.strftime("%d/%m/%Y")
    assert shown(app_client.get(f"/console/tips?from={typed}&to={typed}").text) == {tip}
    tomorrow = (today + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert shown(app_client.get(f"/console/tips?from={tomorrow}").text) == set()


def test_queue_names_units_created_after_it_was_first_shown_and_marks_estimates(
    app_client: TestClient, console: Services, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import tip_queries, units
    from storage.db import transaction

    cua_nam = 73
    submit(console)
    login(app_client, "tinh")
    assert "Công an phường Hoàn Kiếm" in app_client.get("/console/tips").text
    with transaction(console.engine) as s:
        units.create_commune_unit(s, ward_code=cua_nam, actor="test")
    submit(console, ward_code=cua_nam)
    monkeypatch.setattr(tip_queries, "COUNT_CAP", 1)
    page = app_client.get("/console/tips").text
    assert "Công an phường Cửa Nam" in page
    assert 'Mới<span class="count">hơn 1</span>' in page


def test_an_export_stops_at_its_limit_and_says_so_in_the_audit_log(
    app_client: TestClient, console: Services, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.web.console import export

    monkeypatch.setattr(export, "MAX_ROWS", 3)
    monkeypatch.setattr(export, "_BATCH", 2)
    made = [submit(console, reporter_user_key=f"r{i}") for i in range(5)]
    login(app_client, "xa1")
    rows = list(
        csv.reader(io.StringIO(app_client.get("/console/export/tips.csv").content.decode("utf-8-sig")))
    )
    assert len(rows) == 4  # the header and three tips, newest first
    with Session(console.engine) as s:
        (entry,) = audit.entries(s, action="tip.export")
    assert entry.detail["tip_ids"] == made[:1:-1] and entry.detail["truncated"] is True
