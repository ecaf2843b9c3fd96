"""Progress over a campaign's weeks: hamlets that held a session (C1), cumulative, and the
activities logged each week. Weeks start on the period's first day. (Households reached per
week would need a per-hamlet running cap over every day's sums: too slow for the page at a
province's scale, so the chart keeps to C1.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.campaign.coverage import Coverage
from storage.models import CampaignActivity


@dataclass(frozen=True)
class Week:
    start: dt.date
    end: dt.date
    activities: int
    hamlets_done: int  # cumulative
    hamlets: int


def weekly(session: Session, coverage: Coverage, *, today: dt.date) -> list[Week]:
    """One entry per week from the period's start to its end (or today, if sooner)."""
    period = coverage.period
    last = min(period.end, max(today, period.start))
    starts = []
    day = period.start
    while day <= last:
        starts.append(day)
        day += dt.timedelta(days=7)
    if not starts:
        return []
    hamlets = {s.hamlet.id: s.hamlet for s in coverage.hamlet_states if s.hamlet.id is not None}
    a = CampaignActivity
    base: list[Any] = [
        col(a.deleted_at).is_(None),
        col(a.started_on) >= period.start,
        col(a.started_on) <= period.end,
    ]
    if coverage.ward_code is not None:
        base.append(col(a.ward_code) == coverage.ward_code)
    else:
        base.append(col(a.province_code) == coverage.province_code)
    per_day: dict[dt.date, int] = dict(
        session.exec(select(col(a.started_on), func.count()).where(*base).group_by(col(a.started_on))).all()
    )
    first_session: dict[int | None, dt.date] = dict(
        session.exec(
            select(col(a.hamlet_id), func.min(col(a.started_on)))
            .where(*base, a.kind == "hamlet_session", col(a.hamlet_id).is_not(None))
            .group_by(col(a.hamlet_id))
        ).all()
    )

    def week_of(day: dt.date) -> int:
        return min((day - period.start).days // 7, len(starts) - 1)

    activities = [0] * len(starts)
    for day, n in per_day.items():
        if day <= last:
            activities[week_of(day)] += int(n)
    done = [0] * len(starts)
    for hamlet_id, day in first_session.items():
        if hamlet_id in hamlets and day <= last:
            done[week_of(day)] += 1
    total_hamlets = len(hamlets)
    out = []
    cum_done = 0
    for i, start in enumerate(starts):
        cum_done += done[i]
        end = min(start + dt.timedelta(days=6), period.end)
        out.append(Week(start, end, activities[i], cum_done, total_hamlets))
    return out
