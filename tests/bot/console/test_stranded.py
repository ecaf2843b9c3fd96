"""Tips no unit holds: the national queue, moving a tip by hand, and new units taking them in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Services
from storage import audit
from storage.models import OutboxMessage, Tip, TipEvent
from tests.bot.console.conftest import World, csrf_of, login, submit

DA_NANG, HAI_CHAU = 48, 20242
_ROW_LINK = re.compile(r'href="/console/tips/(\d+)"')


def shown(html: str) -> set[int]:
    return {int(x) for x in _ROW_LINK.findall(html)}


def _tip(console: Services, tip_id: int) -> Tip:
    with Session(console.engine) as s:
        tip = s.get(Tip, tip_id)
        assert tip is not None
        return tip


def _reporter_messages(console: Services) -> list[OutboxMessage]:
    with Session(console.engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tip_status")).all())


def test_a_stranded_tip_waits_in_the_national_queue_until_its_units_take_it_in(
    app_client: TestClient, console: Services, world: World
) -> None:
    stranded = submit(console, province_code=DA_NANG, ward_code=HAI_CHAU, reporter_user_key="dn-1")
    assert _tip(console, stranded).unit_id is None
    tinh = TestClient(app_client.app, follow_redirects=False)
    login(tinh, "tinh")  # another province's officer
    assert stranded not in shown(tinh.get("/console/tips").text)

    login(app_client, "quantri")
    queue = app_client.get("/console/tips").text
    assert "1 tin báo chưa có đơn vị nhận" in queue and "unit=none" in queue
    assert shown(app_client.get("/console/tips?unit=none").text) == {stranded}

    csrf = csrf_of(app_client.get("/console/admin/units").text)
    created = app_client.post(
        "/console/admin/units", data={"province_code": str(DA_NANG), "csrf_token": csrf}
    )
    province_page = app_client.get(created.headers["location"]).text
    assert "1 tin báo của địa bàn này chưa có đơn vị nhận" in province_page
    province_id = int(created.headers["location"].split("/units/")[1].split("?")[0])
    commune = app_client.post(
        f"/console/admin/units/{province_id}/communes", data={"ward_code": str(HAI_CHAU), "csrf_token": csrf}
    )
    commune_url = commune.headers["location"]
    commune_id = int(commune_url.split("/units/")[1].split("?")[0])
    assert commune_id != province_id
    offer = app_client.get(commune_url).text
    assert "1 tin báo của địa bàn này chưa có đơn vị nhận" in offer
    taken = app_client.post(f"/console/admin/units/{commune_id}/take-in", data={"csrf_token": csrf})
    assert "ok=taken_in" in taken.headers["location"]

    tip = _tip(console, stranded)
    assert tip.unit_id == commune_id and tip.status == "new"  # the resident's status is unchanged
    assert _reporter_messages(console) == []
    assert "chưa có đơn vị nhận" not in app_client.get(f"/console/admin/units/{commune_id}").text
    with Session(console.engine) as s:
        events = s.exec(select(TipEvent).where(TipEvent.tip_id == stranded, TipEvent.kind == "unit")).all()
        taken_in = audit.entries(s, action="tip.take_in")
    assert [e.detail["to"] for e in events] == [commune_id]
    assert taken_in[0].detail["tip_ids"] == [stranded]


def test_a_province_officer_moves_a_tip_within_the_province_audited_and_status_kept(
    app_client: TestClient, console: Services, world: World
) -> None:
    tip_id = submit(console)  # Phường Hoàn Kiếm's unit
    login(app_client, "tinh")
    page = app_client.get(f"/console/tips/{tip_id}").text
    assert "Chuyển đơn vị" in page
    csrf = csrf_of(page)
    outside = app_client.post(
        f"/console/tips/{tip_id}/unit", data={"unit": str(world.other_province_unit), "csrf_token": csrf}
    )
    assert "err=unit_not_movable" in outside.headers["location"]
    moved = app_client.post(
        f"/console/tips/{tip_id}/unit", data={"unit": str(world.other_commune_unit), "csrf_token": csrf}
    )
    assert "ok=moved" in moved.headers["location"]
    tip = _tip(console, tip_id)
    assert tip.unit_id == world.other_commune_unit and tip.status == "new"
    assert _reporter_messages(console) == []
    assert "Chuyển cho đơn vị" in app_client.get(f"/console/tips/{tip_id}").text
    with Session(console.engine) as s:
        [entry] = audit.entries(s, action="tip.unit", target_id=str(tip_id))
    assert (entry.detail["from"], entry.detail["to"]) == (world.commune_unit, world.other_commune_unit)
    assert entry.actor == f"officer:{world.province_officer}"

    xa2 = TestClient(app_client.app, follow_redirects=False)
    login(xa2, "xa2")  # Ba Đình's officer now has it
    assert tip_id in shown(xa2.get("/console/tips").text)
    xa1 = TestClient(app_client.app, follow_redirects=False)
    login(xa1, "xa1")
    assert tip_id not in shown(xa1.get("/console/tips").text)


def test_a_commune_officer_cannot_move_a_tip(app_client: TestClient, console: Services, world: World) -> None:
    tip_id = submit(console)
    login(app_client, "xa1")
    page = app_client.get(f"/console/tips/{tip_id}").text
    assert "Chuyển đơn vị" not in page
    refused = app_client.post(
        f"/console/tips/{tip_id}/unit",
        data={"unit": str(world.other_commune_unit), "csrf_token": csrf_of(page)},
    )
    assert "err=unit_not_movable" in refused.headers["location"]
    assert _tip(console, tip_id).unit_id == world.commune_unit
