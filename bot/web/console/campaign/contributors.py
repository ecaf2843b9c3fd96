"""Contributor accounts in the console: a province officer or an administrator creates one bound
to an organisation of the register or to a commune's People's Committee, and deactivates it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from bot.web.console import labels
from bot.web.console.campaign.common import home_province, int_or_none, refusals, scope_of, show, ward_choices
from bot.web.console.campaign.wording import message
from bot.web.console.security import PREFIX, ConsoleRoute, Forbidden, Viewer, checked, services_of, viewer
from content import places
from content.campaign_terms import CATEGORIES
from storage import officers
from storage.campaign import contributors
from storage.campaign.scope import CampaignError, CampaignScope
from storage.db import transaction
from storage.models import Organisation

router = APIRouter(route_class=ConsoleRoute)
BASE = f"{PREFIX}/campaign/contributors"


def _page(
    request: Request,
    session: Session,
    scope: CampaignScope,
    province: int,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    with refusals("officer", province, "contributors"):
        rows = contributors.list_contributors(session, scope=scope, province_code=province)
    orgs = session.exec(
        select(Organisation)
        .where(Organisation.province_code == province, col(Organisation.active).is_(True))
        .order_by(col(Organisation.ward_code), col(Organisation.name))
        .limit(5000)
    ).all()
    org_names = {o.id: o for o in orgs}
    bound = {}
    for o in rows:
        if o.organisation_id is not None:
            org = org_names.get(o.organisation_id) or session.get(Organisation, o.organisation_id)
            bound[o.id] = org.name if org else "?"
        else:
            ward = places.ward(o.ward_code or 0)
            bound[o.id] = f"UBND {ward.ward_name}" if ward and ward.ward_name else "?"
    context = {
        "rows": rows,
        "bound": bound,
        "organisations": [
            (o.id, o.name, CATEGORIES.get(o.category, ""), places.ward(o.ward_code)) for o in orgs
        ],
        "ward_choices": ward_choices(scope, province),
        "province": province,
        "error": error,
    }
    return show(request, "campaign/contributors.html", context, status=status)


def _province(request: Request, scope: CampaignScope) -> int:
    province = home_province(scope, int_or_none(request.query_params.get("province")))
    if province is None or scope.is_contributor or not scope.allows_province(province):
        raise Forbidden(action="campaign.forbidden", detail={"operation": "contributors"})
    return province


@router.get("/campaign/contributors")
def contributor_list(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        return _page(request, session, scope, _province(request, scope))


@router.post("/campaign/contributors")
def contributor_create(
    request: Request,
    username: str = Form("", max_length=200),
    full_name: str = Form("", max_length=200),
    password: str = Form("", max_length=1024),
    binding: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    """`binding` is `org:<id>` or `ward:<code>`."""
    services = services_of(request)
    kind, _, value = binding.partition(":")
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        province = _province(request, scope)
        try:
            with refusals("officer", binding, "create_contributor"):
                contributors.create_contributor(
                    session,
                    scope=scope,
                    hasher=services.hasher,
                    username=username,
                    full_name=full_name,
                    password=password,
                    organisation_id=int_or_none(value) if kind == "org" else None,
                    ward_code=int_or_none(value) if kind == "ward" else None,
                    actor=officer.actor,
                )
        except CampaignError as exc:
            session.rollback()
            return _page(request, session, scope, province, error=message(exc), status=400)
        except officers.OfficerError as exc:
            session.rollback()
            return _page(request, session, scope, province, error=labels.problem(exc.code), status=400)
    return RedirectResponse(f"{BASE}?province={province}&ok=contributor_created", status_code=303)


@router.post("/campaign/contributors/{officer_id}/active")
def contributor_active(
    request: Request, officer_id: int, active: str = Form("0"), officer: Viewer = Depends(checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        with refusals("officer", officer_id, "contributor_active"):
            contributors.set_contributor_active(
                session, scope=scope, officer_id=officer_id, active=active == "1", actor=officer.actor
            )
    return RedirectResponse(f"{BASE}?ok=contributor_updated", status_code=303)
