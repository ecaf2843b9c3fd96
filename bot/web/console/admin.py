"""Administration: units from the official list, their group chats, officer accounts, the audit log."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.console import context
from bot.web.console.security import PREFIX, ConsoleRoute, NotFound, Viewer, admin, admin_checked, services_of
from bot.web.console.templates import VN_TZ, parse_day, render
from content import places
from storage import officer_links, officers, tip_notices, tip_routing, units
from storage.db import transaction
from storage.models import utcnow

router = APIRouter(prefix="/admin", route_class=ConsoleRoute)


def _back(path: str, *, ok: str = "", err: str = "") -> RedirectResponse:
    suffix = f"?ok={ok}" if ok else (f"?err={err}" if err else "")
    return RedirectResponse(f"{PREFIX}/admin{path}{suffix}", status_code=303)


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


# --- Units -------------------------------------------------------------------------------------


@router.get("/units")
def units_list(request: Request, officer: Viewer = Depends(admin)) -> Response:
    with transaction(services_of(request).engine) as session:
        page = context.units_page(session)
    return render(request, "admin/units.html", {"page": page})


@router.post("/units")
def unit_create(
    request: Request, province_code: str = Form(""), officer: Viewer = Depends(admin_checked)
) -> Response:
    code = _int(province_code)
    if code is None:
        return _back("/units", err="province_unknown")
    with transaction(services_of(request).engine) as session:
        try:
            unit = units.create_province_unit(session, province_code=code, actor=officer.actor)
        except units.UnitError as exc:
            return _back("/units", err=exc.code)
    return _back(f"/units/{unit.id}", ok="unit_created")


@router.get("/units/{unit_id}")
def unit_page(request: Request, unit_id: int, officer: Viewer = Depends(admin)) -> Response:
    with transaction(services_of(request).engine) as session:
        page = context.unit_detail(session, unit_id)
    if page is None:
        raise NotFound()
    return render(request, "admin/unit.html", {"page": page})


@router.post("/units/{unit_id}/communes")
def communes_create(
    request: Request,
    unit_id: int,
    ward_code: str = Form(""),
    everything: str = Form(""),
    officer: Viewer = Depends(admin_checked),
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            if everything:
                units.create_all_commune_units(session, province_unit_id=unit_id, actor=officer.actor)
                return _back(f"/units/{unit_id}", ok="units_created")
            code = _int(ward_code)
            parent = units.get_unit(session, unit_id)
            place = places.ward(code) if code is not None else None
            if parent is None or place is None or place.province_code != parent.province_code:
                return _back(f"/units/{unit_id}", err="ward_unknown")
            created = units.create_commune_unit(session, ward_code=place.ward_code or 0, actor=officer.actor)
        except units.UnitError as exc:
            return _back(f"/units/{unit_id}", err=exc.code)
    # The new unit's page: it offers to take the tips its commune sent before it existed.
    return _back(f"/units/{created.id}", ok="unit_created")


@router.post("/units/{unit_id}/take-in")
def unit_take_in(request: Request, unit_id: int, officer: Viewer = Depends(admin_checked)) -> Response:
    """The tips of the unit's area that no unit holds go to their commune's unit, else the province's."""
    with transaction(services_of(request).engine) as session:
        unit = units.get_unit(session, unit_id)
        if unit is None:
            raise NotFound()
        ward = unit.ward_code if unit.kind == "commune" else None
        tip_routing.take_in_stranded(
            session, province_code=unit.province_code, ward_code=ward, actor=officer.actor
        )
    return _back(f"/units/{unit_id}", ok="taken_in")


@router.post("/units/{unit_id}/active")
def unit_active(
    request: Request, unit_id: int, active: str = Form(""), officer: Viewer = Depends(admin_checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            units.set_unit_active(session, unit_id=unit_id, active=active == "1", actor=officer.actor)
        except units.UnitError as exc:
            return _back("/units", err=exc.code)
    return _back(f"/units/{unit_id}", ok="unit_updated")


@router.post("/units/{unit_id}/chats")
def chat_add(
    request: Request,
    unit_id: int,
    channel: str = Form(""),
    chat_key: str = Form("", max_length=200),
    officer: Viewer = Depends(admin_checked),
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            units.add_unit_chat(
                session, unit_id=unit_id, channel=channel, chat_key=chat_key, actor=officer.actor
            )
        except units.UnitError as exc:
            return _back(f"/units/{unit_id}", err=exc.code)
    return _back(f"/units/{unit_id}", ok="chat_added")


@router.post("/units/{unit_id}/chats/{chat_id}/remove")
def chat_remove(
    request: Request, unit_id: int, chat_id: int, officer: Viewer = Depends(admin_checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        units.remove_unit_chat(session, chat_id=chat_id, actor=officer.actor)
    return _back(f"/units/{unit_id}", ok="chat_removed")


# --- Officers ----------------------------------------------------------------------------------


@router.get("/officers")
def officers_list(request: Request, officer: Viewer = Depends(admin)) -> Response:
    with transaction(services_of(request).engine) as session:
        page = context.officers_page(session, now=utcnow())
    return render(request, "admin/officers.html", {"page": page})


@router.post("/officers")
def officer_create(
    request: Request,
    username: str = Form("", max_length=200),
    full_name: str = Form("", max_length=300),
    role: str = Form(""),
    unit_id: str = Form(""),
    password: str = Form("", max_length=1024),
    officer: Viewer = Depends(admin_checked),
) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        try:
            created = officers.create_officer(
                session,
                hasher=services.hasher,
                username=username,
                full_name=full_name,
                password=password,
                role=role,
                unit_id=None if role == "admin" else _int(unit_id),
                actor=officer.actor,
            )
        except officers.OfficerError as exc:
            return _back("/officers", err=exc.code)
    return _back(f"/officers/{created.id}", ok="officer_created")


def _officer_page(
    request: Request, officer: Viewer, officer_id: int, code: tuple[str, dt.datetime] | None = None
) -> Response:
    with transaction(services_of(request).engine) as session:
        page = context.officer_detail(
            session, officer_id, viewer_id=officer.officer_id, now=utcnow(), code=code
        )
    if page is None:
        raise NotFound()
    return render(request, "admin/officer.html", {"page": page})


@router.get("/officers/{officer_id}")
def officer_page(request: Request, officer_id: int, officer: Viewer = Depends(admin)) -> Response:
    return _officer_page(request, officer, officer_id)


@router.post("/officers/{officer_id}/password")
def officer_password(
    request: Request,
    officer_id: int,
    password: str = Form("", max_length=1024),
    officer: Viewer = Depends(admin_checked),
) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        try:
            officers.set_password(
                session, hasher=services.hasher, officer_id=officer_id, password=password, actor=officer.actor
            )
        except officers.OfficerError as exc:
            return _back(f"/officers/{officer_id}", err=exc.code)
    return _back(f"/officers/{officer_id}", ok="password")


@router.post("/officers/{officer_id}/active")
def officer_active(
    request: Request, officer_id: int, active: str = Form(""), officer: Viewer = Depends(admin_checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            officers.set_active(session, officer_id=officer_id, active=active == "1", actor=officer.actor)
        except officers.OfficerError as exc:
            return _back(f"/officers/{officer_id}", err=exc.code)
    return _back(f"/officers/{officer_id}", ok="officer_updated")


@router.post("/officers/{officer_id}/unlock")
def officer_unlock(request: Request, officer_id: int, officer: Viewer = Depends(admin_checked)) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            officers.unlock(session, officer_id=officer_id, actor=officer.actor)
        except officers.OfficerError as exc:
            return _back(f"/officers/{officer_id}", err=exc.code)
    return _back(f"/officers/{officer_id}", ok="officer_updated")


@router.post("/officers/{officer_id}/link-code")
def officer_link_code(
    request: Request, officer_id: int, officer: Viewer = Depends(admin_checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            code = officer_links.issue_link_code(session, officer_id=officer_id, actor=officer.actor)
        except officers.OfficerError:
            raise NotFound() from None
    return _officer_page(request, officer, officer_id, code)


@router.post("/officers/{officer_id}/links/{link_id}/remove")
def officer_unlink(
    request: Request, officer_id: int, link_id: int, officer: Viewer = Depends(admin_checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        if not officer_links.remove_link(
            session, link_id=link_id, officer_id=officer_id, actor=officer.actor
        ):
            raise NotFound()
    return _back(f"/officers/{officer_id}", ok="unlinked")


@router.post("/officers/{officer_id}/tip-notices")
def officer_tip_notices(
    request: Request,
    officer_id: int,
    choice: str = Form("", max_length=16),
    officer: Viewer = Depends(admin_checked),
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            tip_notices.set_choice(session, officer_id=officer_id, choice=choice, actor=officer.actor)
        except officers.OfficerError as exc:
            return _back(f"/officers/{officer_id}", err=exc.code)
    return _back(f"/officers/{officer_id}", ok="tip_notices")


# --- Audit log ---------------------------------------------------------------------------------


def _day(value: str) -> dt.datetime | None:
    """A day from a date field, as the start of that day in Vietnam (UTC-aware)."""
    day = parse_day(value)
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ).astimezone(dt.UTC)


@router.get("/audit")
def audit_log(
    request: Request,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
    officer: Viewer = Depends(admin),
) -> Response:
    params = {
        "actor": actor.strip()[:128],
        "action": action.strip()[:64],
        "target_type": target_type.strip()[:64],
        "target_id": target_id.strip()[:128],
        "since": since.strip()[:10],
        "until": until.strip()[:10],
    }
    end = _day(params["until"])
    with transaction(services_of(request).engine) as session:
        view = context.audit_page(
            session,
            actor=params["actor"] or None,
            action=params["action"] or None,
            target_type=params["target_type"] or None,
            target_id=params["target_id"] or None,
            since=_day(params["since"]),
            until=end + dt.timedelta(days=1) if end else None,
            page=page,
            params=params,
        )
    return render(request, "admin/audit.html", {"page": view})
