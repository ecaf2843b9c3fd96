"""The activity log in the console: list with filters, XLSX of the list, log, edit, delete.

Every read and change goes through `storage.campaign.activities`, which checks the scope and
writes the audit entries; these routes parse forms and word the outcome.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.datastructures import FormData

from bot.web.console.campaign import xlsx
from bot.web.console.campaign.common import (
    count_field,
    ddmmyyyy,
    home_province,
    int_or_none,
    parse_day,
    refusals,
    scope_of,
    show,
    ward_choices,
    ward_name,
)
from bot.web.console.campaign.wording import message
from bot.web.console.security import PREFIX, ConsoleRoute, Viewer, checked, services_of, viewer
from bot.web.console.templates import vn_datetime
from content.campaign_terms import AUDIENCES, KINDS, ORGANISERS
from storage import audit
from storage.campaign import activities, hamlets, organisations
from storage.campaign.activities import COUNTS, ActivityFilters, ActivityIn
from storage.campaign.scope import CampaignError, CampaignScope, NotPermitted
from storage.db import transaction
from storage.models import CampaignActivity, utcnow

router = APIRouter(route_class=ConsoleRoute)
PER_PAGE = 50
EXPORT_LIMIT = 50_000
BASE = f"{PREFIX}/campaign/activities"
TEXT_FIELDS = (
    "kind",
    "ward_code",
    "hamlet_id",
    "organisation_id",
    "organiser",
    "organiser_note",
    "started_on",
    "ended_on",
    "note",
)


@router.get("/campaign")
def campaign_home() -> RedirectResponse:
    return RedirectResponse(BASE, status_code=303)


def filters_of(params: Any, scope: CampaignScope) -> tuple[ActivityFilters, dict[str, str]]:
    """The list's filters from the query string, and the same as text for links and the form."""
    kind = params.get("kind") or ""
    organiser = params.get("organiser") or ""
    f = ActivityFilters(
        date_from=parse_day(params.get("from")),
        date_to=parse_day(params.get("to")),
        province_code=int_or_none(params.get("province")),
        ward_code=int_or_none(params.get("ward")),
        hamlet_id=int_or_none(params.get("hamlet")),
        kind=kind if kind in KINDS else None,
        organiser=organiser if organiser in ORGANISERS else None,
    )
    text = {
        "from": ddmmyyyy(f.date_from),
        "to": ddmmyyyy(f.date_to),
        "province": str(f.province_code or ""),
        "ward": str(f.ward_code or ""),
        "hamlet": str(f.hamlet_id or ""),
        "kind": f.kind or "",
        "organiser": f.organiser or "",
    }
    return f, text


@router.get("/campaign/activities")
def activity_list(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    page_no = int_or_none(request.query_params.get("page")) or 1
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        f, text = filters_of(request.query_params, scope)
        with refusals("activity", operation="list"):
            page = activities.list_activities(
                session, scope=scope, filters=f, page=page_no, per_page=PER_PAGE
            )
            hamlet_choices = _hamlets(session, scope, f.ward_code)
        names = _names(session, page.rows)
        province = home_province(scope, f.province_code)
        context = {
            "rows": page.rows,
            "total": page.total,
            "totals": page.totals,
            "page_no": page_no,
            "pages": max(1, -(-page.total // PER_PAGE)),
            "f": text,
            "names": names,
            "ward_choices": ward_choices(scope, province),
            "hamlet_choices": hamlet_choices,
            "kinds": KINDS,
            "organisers": ORGANISERS,
            "scope": scope,
        }
    return show(request, "campaign/activities.html", context)


def _hamlets(session: Session, scope: CampaignScope, ward_code: int | None) -> list[tuple[int, str]]:
    if ward_code is None and len(scope.ward_codes) == 1 and not scope.province_codes:
        ward_code = next(iter(scope.ward_codes))
    if ward_code is None:
        return []
    rows = hamlets.list_hamlets(session, scope=scope, ward_code=ward_code)
    return [(h.id, h.name) for h in rows if h.id is not None]


def _names(session: Session, rows: list[CampaignActivity]) -> dict[str, dict[int, str]]:
    """Hamlet and organisation names of the listed rows (one query each)."""
    from sqlmodel import col, select

    from storage.models import Hamlet, Organisation

    hamlet_ids = sorted({r.hamlet_id for r in rows if r.hamlet_id})
    org_ids = sorted({r.organisation_id for r in rows if r.organisation_id})
    out: dict[str, dict[int, str]] = {"hamlet": {}, "organisation": {}, "ward": {}}
    for code in {r.ward_code for r in rows}:
        out["ward"][code] = ward_name(code)
    if hamlet_ids:
        for hid, name in session.exec(select(Hamlet.id, Hamlet.name).where(col(Hamlet.id).in_(hamlet_ids))):
            out["hamlet"][int(hid or 0)] = name
    if org_ids:
        for oid, name in session.exec(
            select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(org_ids))
        ):
            out["organisation"][int(oid or 0)] = name
    return out


@router.get("/campaign/activities.xlsx")
def activity_export(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        f, text = filters_of(request.query_params, scope)
        rows = list(activities.iter_activities(session, scope=scope, filters=f, limit=EXPORT_LIMIT + 1))
        truncated = len(rows) > EXPORT_LIMIT
        rows = rows[:EXPORT_LIMIT]
        names = _names(session, rows)
        audit.record(
            session,
            actor=officer.actor,
            action="campaign.activity_export",
            target_type="activity",
            detail={
                "filters": {k: v for k, v in text.items() if v},
                "count": len(rows),
                "truncated": truncated,
            },
        )
    body = xlsx.activities_book(rows, names)
    stamp = vn_datetime(utcnow(), "%Y%m%d-%H%M")
    return Response(
        body,
        media_type=xlsx.MIME,
        headers={"Content-Disposition": f'attachment; filename="hoat-dong-tuyen-truyen-{stamp}.xlsx"'},
    )


def _form_context(
    session: Session, scope: CampaignScope, values: dict[str, Any], library: Any
) -> dict[str, Any]:
    ward = int_or_none(values.get("ward_code"))
    if ward is None and len(scope.ward_codes) == 1 and not scope.province_codes:
        ward = next(iter(scope.ward_codes))
        values["ward_code"] = str(ward)
    province = home_province(scope, None)
    hamlet_rows: list[tuple[int, str]] = []
    org_rows: list[tuple[int, str]] = []
    if ward is not None:
        try:
            hamlet_rows = [
                (h.id, h.name)
                for h in hamlets.list_hamlets(session, scope=scope, ward_code=ward, active_only=True)
                if h.id is not None
            ]
            org_rows = [
                (o.id, o.name)
                for o in organisations.list_organisations(
                    session, scope=scope, ward_code=ward, active_only=True
                )
                if o.id is not None
            ]
        except (NotPermitted, CampaignError):
            pass
    return {
        "v": values,
        "kinds": KINDS,
        "organisers": ORGANISERS,
        "audience_choices": AUDIENCES,
        "ward_choices": ward_choices(scope, province),
        "ward_label": ward_name(ward),
        "hamlet_choices": hamlet_rows,
        "organisation_choices": org_rows,
        "cards": [(c.id, c.title) for c in library.browsing_order()],
        "counts": COUNTS,
        "scope": scope,
    }


def _values_of(row: CampaignActivity | None) -> dict[str, Any]:
    if row is None:
        blank: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
        blank.update(dict.fromkeys(COUNTS, ""), sessions="1", audiences=[], card_ids=[])
        return blank
    values: dict[str, Any] = {
        "kind": row.kind,
        "ward_code": str(row.ward_code),
        "hamlet_id": str(row.hamlet_id or ""),
        "organisation_id": str(row.organisation_id or ""),
        "organiser": row.organiser,
        "organiser_note": row.organiser_note,
        "audiences": list(row.audiences),
        "started_on": ddmmyyyy(row.started_on),
        "ended_on": ddmmyyyy(row.ended_on),
        "card_ids": list(row.card_ids),
        "note": row.note,
    }
    for name in COUNTS:
        value = getattr(row, name)
        values[name] = "" if value is None else str(value)
    return values


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in (*TEXT_FIELDS, *COUNTS)}
    values["audiences"] = [str(v) for v in form.getlist("audiences")]
    values["card_ids"] = [str(v) for v in form.getlist("card_ids")]
    return values


def activity_in(values: dict[str, Any]) -> ActivityIn:
    """The form as storage's input; a missing or unreadable date is refused here, naming the field."""
    started = parse_day(values.get("started_on"))
    if started is None:
        raise CampaignError("date_missing", "started_on")
    ended_text = str(values.get("ended_on") or "").strip()
    ended = parse_day(ended_text) if ended_text else None
    if ended_text and ended is None:
        raise CampaignError("date_missing", "ended_on")
    ward = int_or_none(values.get("ward_code"))
    if ward is None:
        raise CampaignError("ward_unknown", "ward_code")
    counts = {name: count_field(values.get(name)) for name in COUNTS}
    return ActivityIn(
        kind=str(values.get("kind") or ""),
        ward_code=ward,
        started_on=started,
        ended_on=ended,
        hamlet_id=int_or_none(values.get("hamlet_id")),
        organisation_id=int_or_none(values.get("organisation_id")),
        organiser=str(values.get("organiser") or ""),
        organiser_note=str(values.get("organiser_note") or ""),
        audiences=tuple(values.get("audiences") or ()),
        card_ids=tuple(values.get("card_ids") or ()),
        note=str(values.get("note") or ""),
        **counts,
    )


@router.get("/campaign/activities/new")
def activity_new(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        values = _values_of(None)
        ward = request.query_params.get("ward")
        if ward:
            values["ward_code"] = ward
        context = _form_context(session, scope, values, services.library)
    return show(request, "campaign/activity_form.html", {**context, "activity_id": None, "error": ""})


@router.post("/campaign/activities")
async def activity_create(request: Request, officer: Viewer = Depends(checked)) -> Response:
    form = await request.form()
    return _save(request, officer, _form_values(form), None)


@router.get("/campaign/activities/{activity_id}")
def activity_page(request: Request, activity_id: int, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        with refusals("activity", activity_id, "view"):
            row = activities.get_activity(session, scope=scope, activity_id=activity_id)
        context = _form_context(session, scope, _values_of(row), services.library)
    return show(
        request,
        "campaign/activity_form.html",
        {**context, "activity_id": activity_id, "error": "", "row": row},
    )


@router.post("/campaign/activities/{activity_id}")
async def activity_update(request: Request, activity_id: int, officer: Viewer = Depends(checked)) -> Response:
    form = await request.form()
    return _save(request, officer, _form_values(form), activity_id)


def _save(request: Request, officer: Viewer, values: dict[str, Any], activity_id: int | None) -> Response:
    services = services_of(request)
    error = ""
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        try:
            data = activity_in(values)
            with refusals(
                "activity", activity_id or values.get("ward_code", ""), "update" if activity_id else "create"
            ):
                if activity_id is None:
                    row = activities.create_activity(
                        session, scope=scope, data=data, officer_id=officer.officer_id, actor=officer.actor
                    )
                    activity_id = row.id
                    done = "activity_created"
                else:
                    activities.update_activity(
                        session, scope=scope, activity_id=activity_id, data=data, actor=officer.actor
                    )
                    done = "activity_updated"
        except CampaignError as exc:
            error = message(exc)
            session.rollback()
            context = _form_context(session, scope, values, services.library)
    if error:
        return show(
            request,
            "campaign/activity_form.html",
            {**context, "activity_id": activity_id, "error": error},
            status=400,
        )
    return RedirectResponse(f"{BASE}?ok={done}", status_code=303)


@router.post("/campaign/activities/{activity_id}/delete")
def activity_delete(request: Request, activity_id: int, officer: Viewer = Depends(checked)) -> Response:
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        with refusals("activity", activity_id, "delete"):
            activities.delete_activity(
                session,
                scope=scope,
                activity_id=activity_id,
                officer_id=officer.officer_id,
                actor=officer.actor,
            )
    return RedirectResponse(f"{BASE}?ok=activity_deleted", status_code=303)
