"""The coverage page (province → commune → hamlet), its weekly progress chart, the gap list
as XLSX, and the campaign records that set the default period."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.console.campaign import xlsx
from bot.web.console.campaign.common import (
    ddmmyyyy,
    home_province,
    int_or_none,
    parse_day,
    period_from,
    refusals,
    scope_of,
    show,
)
from bot.web.console.campaign.wording import message
from bot.web.console.security import PREFIX, ConsoleRoute, Forbidden, Viewer, checked, services_of, viewer
from bot.web.console.templates import vn_datetime
from content import places
from content.campaign_terms import CATEGORIES, HAMLET_KINDS, INDICATORS
from storage import audit
from storage.campaign import campaigns, coverage, gaps, progress
from storage.campaign.activities import vn_today
from storage.campaign.scope import CampaignError, CampaignScope
from storage.db import transaction
from storage.models import utcnow

router = APIRouter(route_class=ConsoleRoute)
GAPS_SHOWN = 200
HAMLET_IDS = ("C1", "C2", "C3", "C12")


@dataclass(frozen=True)
class Bar:
    """One week of the chart, in the SVG's coordinates (0–100 high)."""

    x: float
    label: str
    c1: float | None
    activities: int


def chart(weeks: list[progress.Week]) -> list[Bar]:
    width = 100 / max(len(weeks), 1)
    out = []
    for i, w in enumerate(weeks):
        c1 = w.hamlets_done / w.hamlets * 100 if w.hamlets else None
        out.append(Bar(i * width, w.start.strftime("%d/%m"), c1, w.activities))
    return out


def _where(request: Request, scope: CampaignScope) -> tuple[int | None, int | None]:
    params = request.query_params
    ward = int_or_none(params.get("ward"))
    province = home_province(scope, int_or_none(params.get("province")))
    if ward is not None:
        place = places.ward(ward)
        province = place.province_code if place else province
    return province, ward


@router.get("/campaign/coverage")
def coverage_page(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        province, ward = _where(request, scope)
        if province is None:
            if scope.everything:
                return show(request, "campaign/coverage_pick.html", {"provinces": places.provinces()})
            raise Forbidden(action="campaign.forbidden", detail={"operation": "coverage"})
        period, campaign = period_from(session, scope, request.query_params, province)
        with refusals("coverage", ward or province, "view"):
            result = coverage.compute(
                session, scope=scope, period=period, province_code=province, ward_code=ward
            )
        weeks = progress.weekly(session, result, today=vn_today()) if scope.organisation_id is None else []
        gap_rows = gaps.gap_list(result)
        campaign_rows = campaigns.campaigns_of(session, result.province_code)
    context = {
        "cov": result,
        "indicators": INDICATORS,
        "hamlet_ids": HAMLET_IDS,
        "period_from": ddmmyyyy(period.start),
        "period_to": ddmmyyyy(period.end),
        "campaign": campaign,
        "campaigns": campaign_rows,
        "bars": chart(weeks),
        "weeks": weeks,
        "gaps": gap_rows[:GAPS_SHOWN],
        "gap_total": len(gap_rows),
        "hamlet_kinds": HAMLET_KINDS,
        "categories": CATEGORIES,
        "can_drill": result.ward_code is None,
        "can_set_campaign": not scope.is_contributor and scope.allows_province(result.province_code),
        "params": {
            "province": str(result.province_code),
            "ward": str(result.ward_code or ""),
            "from": ddmmyyyy(period.start),
            "to": ddmmyyyy(period.end),
        },
    }
    return show(request, "campaign/coverage.html", context)


@router.get("/campaign/gaps.xlsx")
def gaps_export(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        scope = scope_of(session, officer)
        province, ward = _where(request, scope)
        if province is None:
            raise Forbidden(action="campaign.forbidden", detail={"operation": "gaps"})
        period, _ = period_from(session, scope, request.query_params, province)
        with refusals("coverage", ward or province, "gaps"):
            result = coverage.compute(
                session, scope=scope, period=period, province_code=province, ward_code=ward
            )
        rows = gaps.gap_list(result)
        audit.record(
            session,
            actor=officer.actor,
            action="campaign.gaps_export",
            target_type="coverage",
            target_id=str(result.ward_code or result.province_code),
            detail={"from": period.start.isoformat(), "to": period.end.isoformat(), "count": len(rows)},
        )
    title = (
        f"Thôn/TDP, tổ chức chưa thực hiện — {result.total.name} — "
        f"từ {ddmmyyyy(period.start)} đến {ddmmyyyy(period.end)}"
    )
    stamp = vn_datetime(utcnow(), "%Y%m%d-%H%M")
    return Response(
        xlsx.gaps_book(rows, title),
        media_type=xlsx.MIME,
        headers={"Content-Disposition": f'attachment; filename="chua-thuc-hien-{stamp}.xlsx"'},
    )


@router.post("/campaign/campaigns")
def campaign_create(
    request: Request,
    province: str = Form(""),
    name: str = Form("", max_length=300),
    starts_on: str = Form(""),
    ends_on: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    province_code = int_or_none(province) or 0
    start, end = parse_day(starts_on), parse_day(ends_on)
    with transaction(services_of(request).engine) as session:
        scope = scope_of(session, officer)
        try:
            if start is None or end is None:
                raise CampaignError("date_missing", "started_on" if start is None else "ended_on")
            with refusals("campaign", province_code, "create"):
                campaigns.create_campaign(
                    session,
                    scope=scope,
                    province_code=province_code,
                    name=name,
                    starts_on=start,
                    ends_on=end,
                    officer_id=officer.officer_id,
                    actor=officer.actor,
                )
        except CampaignError as exc:
            session.rollback()
            return show(request, "campaign/problem.html", {"error": message(exc)}, status=400)
    return RedirectResponse(
        f"{PREFIX}/campaign/coverage?province={province_code}&ok=campaign_created", status_code=303
    )
