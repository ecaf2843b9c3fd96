"""The hamlet and organisation registers in the console: per commune, edited row by row or
imported from CSV (bad rows listed with their line numbers, the rest load)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from bot.web.console.campaign.common import (
    count_field,
    home_province,
    int_or_none,
    refusals,
    scope_of,
    show,
    ward_choices,
    ward_name,
)
from bot.web.console.campaign.csv_rows import HeaderError, read_rows
from bot.web.console.campaign.wording import message
from bot.web.console.security import PREFIX, ConsoleRoute, Viewer, checked, services_of, viewer
from content.campaign_terms import CATEGORIES, HAMLET_KINDS, SCHOOL_LEVELS
from storage.campaign import hamlets, organisations
from storage.campaign.hamlets import HamletIn, ImportResult
from storage.campaign.organisations import OrganisationIn
from storage.campaign.scope import CampaignError, CampaignScope, NotPermitted
from storage.db import transaction

router = APIRouter(route_class=ConsoleRoute)
MAX_UPLOAD = 5_000_000
HAMLET_COLUMNS = ("ward_code", "ten", "loai", "so_ho", "so_bang_tin")
ORGANISATION_COLUMNS = ("ward_code", "ten", "loai")


def _ward(scope: CampaignScope, asked: Any) -> int | None:
    ward = int_or_none(asked)
    if ward is None and len(scope.ward_codes) == 1 and not scope.province_codes:
        ward = next(iter(scope.ward_codes))
    return ward


def _page(
    request: Request,
    session: Session,
    scope: CampaignScope,
    ward: int | None,
    *,
    error: str = "",
    imported: ImportResult | None = None,
    status: int = 200,
) -> Response:
    rows_h: list[Any] = []
    rows_o: list[Any] = []
    if ward is not None:
        with refusals("ward", ward, "registers"):
            rows_h = hamlets.list_hamlets(session, scope=scope, ward_code=ward)
            rows_o = organisations.list_organisations(session, scope=scope, ward_code=ward)
    context = {
        "ward": ward,
        "ward_label": ward_name(ward),
        "ward_choices": ward_choices(
            scope, home_province(scope, int_or_none(request.query_params.get("province")))
        ),
        "hamlets": rows_h,
        "organisations": rows_o,
        "hamlet_names": {h.id: h.name for h in rows_h},
        "hamlet_kinds": HAMLET_KINDS,
        "categories": CATEGORIES,
        "levels": SCHOOL_LEVELS,
        "error": error,
        "imported": imported,
        "can_edit": scope.can_edit_registers,
    }
    return show(request, "campaign/registers.html", context, status=status)


@router.get("/campaign/registers")
def registers(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        return _page(request, session, scope, _ward(scope, request.query_params.get("ward")))


def _back(ward: int, ok: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/campaign/registers?ward={ward}&ok={ok}", status_code=303)


def _hamlet_in(ward: int, form: dict[str, str]) -> HamletIn:
    for name in ("households", "notice_boards"):
        if count_field(form.get(name)) is not None and (count_field(form.get(name)) or 0) < 0:
            raise CampaignError("count_invalid", name)
    return HamletIn(
        ward_code=ward,
        name=form.get("name", ""),
        kind=form.get("kind", ""),
        households=count_field(form.get("households")),
        notice_boards=count_field(form.get("notice_boards")),
        active=form.get("active", "1") == "1",
    )


@router.post("/campaign/registers/{ward}/hamlets")
def hamlet_create(
    request: Request,
    ward: int,
    name: str = Form("", max_length=200),
    kind: str = Form(""),
    households: str = Form(""),
    notice_boards: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    form = {"name": name, "kind": kind, "households": households, "notice_boards": notice_boards}
    return _save_hamlet(request, officer, ward, None, form)


@router.post("/campaign/registers/{ward}/hamlets/{hamlet_id}")
def hamlet_update(
    request: Request,
    ward: int,
    hamlet_id: int,
    name: str = Form("", max_length=200),
    kind: str = Form(""),
    households: str = Form(""),
    notice_boards: str = Form(""),
    active: str = Form("0"),
    officer: Viewer = Depends(checked),
) -> Response:
    form = {
        "name": name,
        "kind": kind,
        "households": households,
        "notice_boards": notice_boards,
        "active": active,
    }
    return _save_hamlet(request, officer, ward, hamlet_id, form)


def _save_hamlet(
    request: Request, officer: Viewer, ward: int, hamlet_id: int | None, form: dict[str, str]
) -> Response:
    def save(session: Session, scope: CampaignScope) -> None:
        data = _hamlet_in(ward, form)
        if hamlet_id is None:
            hamlets.create_hamlet(session, scope=scope, data=data, actor=officer.actor)
        else:
            hamlets.update_hamlet(session, scope=scope, hamlet_id=hamlet_id, data=data, actor=officer.actor)

    return _save(request, officer, ward, ("hamlet", hamlet_id), save, "hamlet_saved")


def _save(
    request: Request,
    officer: Viewer,
    ward: int,
    target: tuple[str, int | None],
    save: Callable[[Session, CampaignScope], None],
    done: str,
) -> Response:
    """One register change in one transaction: out of scope → 403, bad input → the page again."""
    kind, item_id = target
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        try:
            with refusals(kind, item_id or ward, "update" if item_id else "create"):
                save(session, scope)
        except CampaignError as exc:
            session.rollback()
            return _page(request, session, scope, ward, error=message(exc), status=400)
    return _back(ward, done)


def _organisation_in(ward: int, form: dict[str, str]) -> OrganisationIn:
    staff = count_field(form.get("staff_or_members"))
    return OrganisationIn(
        ward_code=ward,
        name=form.get("name", ""),
        category=form.get("category", ""),
        hamlet_id=int_or_none(form.get("hamlet_id")),
        school_level=form.get("school_level") or None,
        staff_or_members=staff,
        active=form.get("active", "1") == "1",
    )


@router.post("/campaign/registers/{ward}/organisations")
def organisation_create(
    request: Request,
    ward: int,
    name: str = Form("", max_length=300),
    category: str = Form(""),
    hamlet_id: str = Form(""),
    school_level: str = Form(""),
    staff_or_members: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    form = {
        "name": name,
        "category": category,
        "hamlet_id": hamlet_id,
        "school_level": school_level,
        "staff_or_members": staff_or_members,
    }
    return _save_organisation(request, officer, ward, None, form)


@router.post("/campaign/registers/{ward}/organisations/{organisation_id}")
def organisation_update(
    request: Request,
    ward: int,
    organisation_id: int,
    name: str = Form("", max_length=300),
    category: str = Form(""),
    hamlet_id: str = Form(""),
    school_level: str = Form(""),
    staff_or_members: str = Form(""),
    active: str = Form("0"),
    officer: Viewer = Depends(checked),
) -> Response:
    form = {
        "name": name,
        "category": category,
        "hamlet_id": hamlet_id,
        "school_level": school_level,
        "staff_or_members": staff_or_members,
        "active": active,
    }
    return _save_organisation(request, officer, ward, organisation_id, form)


def _save_organisation(
    request: Request, officer: Viewer, ward: int, organisation_id: int | None, form: dict[str, str]
) -> Response:
    def save(session: Session, scope: CampaignScope) -> None:
        data = _organisation_in(ward, form)
        if organisation_id is None:
            organisations.create_organisation(session, scope=scope, data=data, actor=officer.actor)
        else:
            organisations.update_organisation(
                session, scope=scope, organisation_id=organisation_id, data=data, actor=officer.actor
            )

    return _save(request, officer, ward, ("organisation", organisation_id), save, "organisation_saved")


@router.post("/campaign/import/{register}")
async def register_import(
    request: Request,
    register: str,
    file: UploadFile = File(...),
    ward: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    """A CSV of hamlets (`ward_code,ten,loai,so_ho,so_bang_tin`) or of organisations."""
    if register not in ("hamlets", "organisations"):
        return RedirectResponse(f"{PREFIX}/campaign/registers", status_code=303)
    data = await file.read(MAX_UPLOAD + 1)
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        back_ward = _ward(scope, ward)
        if not scope.can_edit_registers:
            with refusals(register, "", "import"):
                raise NotPermitted("registers")
        if len(data) > MAX_UPLOAD:
            result = ImportResult(errors=[(0, "tệp quá lớn (tối đa 5 MB)")])
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                result = ImportResult(errors=[(0, "tệp không phải CSV mã UTF-8")])
            else:
                module: Any = hamlets if register == "hamlets" else organisations
                required = HAMLET_COLUMNS if register == "hamlets" else ORGANISATION_COLUMNS
                try:
                    rows = list(read_rows(text, required))
                except HeaderError as exc:
                    result = ImportResult(errors=[(1, str(exc))])
                else:
                    result = module.import_rows(session, scope=scope, rows=rows, actor=officer.actor)
        return _page(request, session, scope, back_ward, imported=result)
