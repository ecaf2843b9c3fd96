"""The list «Thôn/TDP, tổ chức chưa thực hiện»: every hamlet and organisation short of a target.

Read from the same states as the coverage table, so the list and the percentages agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from content import places
from storage.campaign.coverage import Coverage


@dataclass(frozen=True)
class Gap:
    ward_code: int
    ward_name: str
    level: str  # hamlet or organisation
    key: int
    name: str
    detail: str  # the hamlet's kind or the organisation's category id
    missing: tuple[str, ...]  # indicator ids not yet met
    reached: int | None = None  # households reached (hamlets), for the reader
    households: int | None = None


def gap_list(coverage: Coverage) -> list[Gap]:
    """Hamlets first, then organisations, each by commune and name."""
    out: list[Gap] = []
    for state in coverage.hamlet_states:
        h = state.hamlet
        assert h.id is not None
        missing = []
        if state.sessions == 0:
            missing.append("C1")
        if h.households is None or state.reached < h.households:
            missing.append("C2")
        if h.notice_boards and state.boards_posted < h.notice_boards:
            missing.append("C3")
        if missing:
            out.append(
                Gap(
                    h.ward_code,
                    _ward(h.ward_code),
                    "hamlet",
                    h.id,
                    h.name,
                    h.kind,
                    tuple(missing),
                    state.reached,
                    h.households,
                )
            )
    orgs = []
    for org in coverage.org_states:
        missing = [key for key in org.counted_in() if not org.reached(key)]
        if missing:
            orgs.append(
                Gap(
                    org.ward_code,
                    _ward(org.ward_code),
                    "organisation",
                    org.id,
                    org.name,
                    org.category,
                    tuple(missing),
                )
            )
    # Communes in alphabetical order (folded once each), then names as written.
    ward_order = {code: places.fold(_ward(code)) for code in {g.ward_code for g in out + orgs}}
    out.sort(key=lambda g: (ward_order[g.ward_code], g.name.casefold()))
    orgs.sort(key=lambda g: (ward_order[g.ward_code], g.detail, g.name.casefold()))
    return out + orgs


def _ward(code: int) -> str:
    place = places.ward(code)
    return place.ward_name if place and place.ward_name else str(code)
