"""Progress over a campaign's weeks: hamlets reached (C1) and households reached (C2), cumulative,
and the activities logged each week. Weeks start on the period's first day."""

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
    households_reached: int  # cumulative, each hamlet capped at its households
    hamlets: int
    households: int


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
    reached_rows = session.exec(
        select(col(a.hamlet_id), col(a.started_on), func.sum(col(a.households_reached)))
        .where(*base, col(a.hamlet_id).is_not(None), col(a.households_reached).is_not(None))
        .group_by(col(a.hamlet_id), col(a.started_on))
    ).all()

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
    reached_by_hamlet_week: dict[tuple[int, int], int] = {}
    for row_hamlet, row_day, amount in reached_rows:
        if row_hamlet is None or row_hamlet not in hamlets or row_day > last:
            continue
        if hamlets[row_hamlet].households is not None:
            key = (row_hamlet, week_of(row_day))
            reached_by_hamlet_week[key] = reached_by_hamlet_week.get(key, 0) + int(amount or 0)
    # Each hamlet counts at most its households, so the curve ends at C2's numerator.
    reached = [0] * len(starts)
    running: dict[int, int] = {}
    for (hamlet, week), n in sorted(reached_by_hamlet_week.items(), key=lambda item: item[0][1]):
        cap = hamlets[hamlet].households or 0
        before = min(running.get(hamlet, 0), cap)
        running[hamlet] = running.get(hamlet, 0) + n
        reached[week] += min(running[hamlet], cap) - before
    total_hamlets = len(hamlets)
    total_households = sum(h.households or 0 for h in hamlets.values())
    out = []
    cum_done = cum_reached = 0
    for i, start in enumerate(starts):
        cum_done += done[i]
        cum_reached += reached[i]
        end = min(start + dt.timedelta(days=6), period.end)
        out.append(Week(start, end, activities[i], cum_done, cum_reached, total_hamlets, total_households))
    return out
