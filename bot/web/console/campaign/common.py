"""What the campaign pages share: the viewer's scope, reading form values, the period, refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.web.console import templates
from bot.web.console.campaign import wording
from bot.web.console.security import Forbidden, NotFound, Viewer
from bot.web.console.templates import render
from content import places
from storage import officers
from storage.campaign import scope as campaign_scope
from storage.campaign.activities import vn_today
from storage.campaign.campaigns import Period, default_period
from storage.campaign.scope import CampaignScope


def scope_of(session: Session, officer: Viewer) -> CampaignScope:
    """Read fresh on every request, like the tips' scope."""
    return campaign_scope.scope_for(session, officers.get_officer(session, officer.officer_id))


@contextmanager
def refusals(target_type: str, target_id: object = "", operation: str = "") -> Iterator[None]:
    """Storage's refusals as the console's answers: out of scope → 403 (audited), absent → 404."""
    try:
        yield
    except campaign_scope.NotPermitted:
        raise Forbidden(
            action="campaign.forbidden",
            target_type=target_type,
            target_id=str(target_id),
            detail={"operation": operation},
        ) from None
    except campaign_scope.NotFound:
        raise NotFound() from None


def parse_day(text: str | None) -> dt.date | None:
    """A day typed as dd/mm/yyyy (or the ISO form of older links); None when empty or bad."""
    return templates.parse_day(text or "")


def int_or_none(text: Any) -> int | None:
    value = str(text or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def count_field(text: Any) -> int | None:
    """A count from a form: empty is None; '1.200' is 1200; a minus sign stays, so it is refused."""
    value = str(text or "").strip().replace(".", "").replace(" ", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def ddmmyyyy(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def period_from(
    session: Session, scope: CampaignScope, params: Any, province_code: int | None
) -> tuple[Period, Any]:
    """The period asked for (`from`, `to`), else the current campaign's, else this year to today."""
    today = vn_today()
    default, campaign = default_period(session, province_code, today)
    start = parse_day(params.get("from")) or default.start
    end = parse_day(params.get("to")) or default.end
    if end < start:
        start, end = end, start
    return Period(start, end), campaign


def home_province(scope: CampaignScope, asked: int | None) -> int | None:
    """The province a page is about: the one asked for (when visible), else the viewer's own."""
    if asked is not None and places.province(asked) is not None and scope.allows_province(asked):
        return asked
    if scope.province_codes:
        return min(scope.province_codes)
    if scope.ward_codes:
        ward = places.ward(min(scope.ward_codes))
        return ward.province_code if ward else None
    if scope.everything and asked is None:
        return None
    return None


def ward_choices(scope: CampaignScope, province_code: int | None) -> list[tuple[int, str]]:
    """The communes a viewer may pick: their own, or every commune of the province."""
    if scope.ward_codes and not scope.province_codes and not scope.everything:
        codes = sorted(scope.ward_codes)
        found = [places.ward(c) for c in codes]
        return [(p.ward_code, p.ward_name or "") for p in found if p and p.ward_code]
    if province_code is None:
        return []
    wards = sorted(places.wards_of(province_code), key=lambda p: places.fold(p.ward_name or ""))
    return [(p.ward_code, p.ward_name or "") for p in wards if p.ward_code]


def ward_name(code: int | None) -> str:
    place = places.ward(code) if code else None
    return place.ward_name or "" if place else ""


def show(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """A campaign page; the notice after an action is worded by this area (`?ok=`)."""
    ok = wording.notice(request.query_params.get("ok", ""))
    extra = {"notice": ok} if ok else {}
    return render(request, name, {**extra, **context}, status=status)
