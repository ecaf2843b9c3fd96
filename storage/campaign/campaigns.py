"""Campaign records (a name, a start, an end, a province): they set the default period of coverage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from content import places
from storage.campaign.registers import add_audited
from storage.campaign.scope import CampaignError, CampaignScope, NotPermitted
from storage.models import Campaign

FIELDS = ("province_code", "name", "starts_on", "ends_on")


@dataclass(frozen=True)
class Period:
    """Inclusive days, Vietnam time."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def create_campaign(
    session: Session,
    *,
    scope: CampaignScope,
    province_code: int,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    officer_id: int,
    actor: str,
) -> Campaign:
    """Only province officers (of that province) and administrators set a province's campaigns."""
    if places.province(province_code) is None:
        raise CampaignError("province_unknown", "province_code")
    if scope.is_contributor or not scope.allows_province(province_code):
        raise NotPermitted(f"province {province_code}")
    clean = " ".join(name.split())[:300]
    if not clean:
        raise CampaignError("name_missing", "name")
    if ends_on < starts_on:
        raise CampaignError("date_order", "ends_on")
    row = Campaign(
        province_code=province_code, name=clean, starts_on=starts_on, ends_on=ends_on, created_by=officer_id
    )
    add_audited(
        session, row, actor=actor, action="campaign.campaign_create", target_type="campaign", fields=FIELDS
    )
    return row


def campaigns_of(session: Session, province_code: int) -> list[Campaign]:
    """Newest first."""
    return list(
        session.exec(
            select(Campaign)
            .where(Campaign.province_code == province_code)
            .order_by(col(Campaign.starts_on).desc(), col(Campaign.id).desc())
        ).all()
    )


def current_campaign(session: Session, province_code: int, today: dt.date) -> Campaign | None:
    """The campaign running today, else the one that started last (before today)."""
    rows = campaigns_of(session, province_code)
    running = [c for c in rows if c.starts_on <= today <= c.ends_on]
    if running:
        return running[0]
    started = [c for c in rows if c.starts_on <= today]
    return started[0] if started else None


def default_period(
    session: Session, province_code: int | None, today: dt.date
) -> tuple[Period, Campaign | None]:
    """The current campaign's period; without one, from 1 January to today."""
    campaign = current_campaign(session, province_code, today) if province_code is not None else None
    if campaign is not None:
        return Period(campaign.starts_on, campaign.ends_on), campaign
    return Period(dt.date(today.year, 1, 1), today), None
