"""The organisation register: schools, cells, companies, shops, agencies, hospitals, public places,
bank points and religious sites of a commune (the denominators of C4–C11).

CSV columns: `ward_code,ten,loai,cap_hoc,thon,so_nguoi`; `loai` is a category's id or
its Vietnamese name, `thon` an optional hamlet name of that commune.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from content import places
from content.campaign_terms import CATEGORIES, SCHOOL_LEVELS
from storage import audit
from storage.campaign.hamlets import ImportResult, hamlets_of_wards
from storage.campaign.registers import (
    add_audited,
    count_or_none,
    describe,
    readable_ward,
    record_change,
    snapshot,
    writable_ward,
)
from storage.campaign.scope import CampaignError, CampaignScope, NotFound, NotPermitted
from storage.models import Hamlet, Organisation, utcnow

FIELDS = ("ward_code", "hamlet_id", "name", "category", "school_level", "staff_or_members", "active")
CATEGORY_WORDS: dict[str, str] = {
    **{places.fold(label): cat for cat, label in CATEGORIES.items()},
    **{places.fold(cat.replace("_", " ")): cat for cat in CATEGORIES},
    "truong": "school",
    "truong hoc": "school",
    "chi doan": "cell",
    "chi hoi": "cell",
    "doanh nghiep san xuat": "production",
    "cong ty": "production",
    "cua hang": "business",
    "doanh nghiep": "business",
    "co quan": "agency",
    "benh vien": "hospital",
    "diem cong cong": "public_place",
    "ngan hang": "bank_point",
    "diem giao dich ngan hang": "bank_point",
    "co so ton giao": "religious",
}
LEVEL_WORDS: dict[str, str] = {
    **{places.fold(label): lvl for lvl, label in SCHOOL_LEVELS.items()},
    **{places.fold(lvl.replace("_", " ")): lvl for lvl in SCHOOL_LEVELS},
    "gdnn dh": "gdnn_dh",
    "dai hoc": "gdnn_dh",
    "gdnn": "gdnn_dh",
}


@dataclass(frozen=True)
class OrganisationIn:
    ward_code: int
    name: str
    category: str
    hamlet_id: int | None = None
    school_level: str | None = None
    staff_or_members: int | None = None
    active: bool = True


def _clean(session: Session, data: OrganisationIn) -> OrganisationIn:
    name = " ".join(data.name.split())[:300]
    if not name:
        raise CampaignError("name_missing", "name")
    if data.category not in CATEGORIES:
        raise CampaignError("category_unknown", "category", detail=data.category[:40])
    level = data.school_level if data.category == "school" else None
    if level is not None and level not in SCHOOL_LEVELS:
        raise CampaignError("school_level_unknown", "school_level", detail=level[:40])
    if data.staff_or_members is not None and data.staff_or_members < 0:
        raise CampaignError("count_invalid", "staff_or_members", detail=str(data.staff_or_members))
    if data.hamlet_id is not None:
        hamlet = session.get(Hamlet, data.hamlet_id)
        if hamlet is None or hamlet.ward_code != data.ward_code:
            raise CampaignError("hamlet_unknown", "hamlet_id", detail=str(data.hamlet_id))
    return OrganisationIn(
        data.ward_code, name, data.category, data.hamlet_id, level, data.staff_or_members, data.active
    )


def create_organisation(
    session: Session, *, scope: CampaignScope, data: OrganisationIn, actor: str
) -> Organisation:
    ward = writable_ward(scope, data.ward_code)
    clean = _clean(session, data)
    row = Organisation(province_code=ward.province_code, **clean.__dict__)
    add_audited(
        session,
        row,
        actor=actor,
        action="campaign.organisation_create",
        target_type="organisation",
        fields=FIELDS,
    )
    return row


def update_organisation(
    session: Session, *, scope: CampaignScope, organisation_id: int, data: OrganisationIn, actor: str
) -> Organisation:
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise NotFound(organisation_id)
    writable_ward(scope, row.ward_code)
    if data.ward_code != row.ward_code:
        raise CampaignError("ward_fixed", "ward_code")
    clean = _clean(session, data)
    before = snapshot(row, FIELDS)
    for name in ("hamlet_id", "name", "category", "school_level", "staff_or_members", "active"):
        setattr(row, name, getattr(clean, name))
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="campaign.organisation_update",
        target_type="organisation",
        target_id=row.id,
        before=before,
        after=snapshot(row, FIELDS),
    )
    return row


def get_organisation(session: Session, *, scope: CampaignScope, organisation_id: int) -> Organisation:
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise NotFound(organisation_id)
    if not scope.allows_place(row.province_code, row.ward_code) or (
        scope.organisation_id is not None and row.id != scope.organisation_id
    ):
        raise NotPermitted(f"organisation {organisation_id}")
    return row


def list_organisations(
    session: Session, *, scope: CampaignScope, ward_code: int, active_only: bool = False
) -> list[Organisation]:
    """A commune's organisations by category and name (a contributor of one sees only its own)."""
    readable_ward(scope, ward_code)
    query = select(Organisation).where(Organisation.ward_code == ward_code)
    if scope.organisation_id is not None:
        query = query.where(Organisation.id == scope.organisation_id)
    if active_only:
        query = query.where(col(Organisation.active).is_(True))
    rows = list(session.exec(query).all())
    order = list(CATEGORIES)
    return sorted(rows, key=lambda o: (order.index(o.category), places.fold(o.name)))


def organisations_of_wards(session: Session, ward_codes: Sequence[int]) -> list[Organisation]:
    if not ward_codes:
        return []
    return list(
        session.exec(select(Organisation).where(col(Organisation.ward_code).in_(list(ward_codes)))).all()
    )


def import_rows(
    session: Session, *, scope: CampaignScope, rows: Iterable[tuple[int, dict[str, str]]], actor: str
) -> ImportResult:
    """Like the hamlet import: bad rows listed with their line, the rest load; an organisation
    already registered under the same commune, name and category is updated."""
    result = ImportResult()
    raw: list[tuple[int, int, dict[str, str]]] = []
    for line, row in rows:
        ward_text = (row.get("ward_code") or "").strip()
        try:
            if not ward_text.isdigit():
                raise CampaignError("ward_unknown", "ward_code", detail=ward_text[:20])
            writable_ward(scope, int(ward_text))
            raw.append((line, int(ward_text), row))
        except CampaignError as exc:
            result.errors.append((line, describe(exc)))
        except NotPermitted:
            result.errors.append((line, f"xã/phường {ward_text} ngoài phạm vi của bạn"))
    wards = sorted({w for _, w, _ in raw})
    hamlet_ids = {(h.ward_code, places.fold(h.name)): h.id for h in hamlets_of_wards(session, wards)}
    existing = {(o.ward_code, o.name, o.category): o for o in organisations_of_wards(session, wards)}
    now = utcnow()
    for line, ward_code, row in raw:
        try:
            data = _parse_row(ward_code, row, hamlet_ids)
        except CampaignError as exc:
            result.errors.append((line, describe(exc)))
            continue
        found = existing.get((data.ward_code, data.name, data.category))
        if found is None:
            ward = places.ward(ward_code)
            assert ward is not None
            created = Organisation(province_code=ward.province_code, **data.__dict__)
            session.add(created)
            existing[(data.ward_code, data.name, data.category)] = created
            result.created += 1
        else:
            found.hamlet_id, found.school_level = data.hamlet_id, data.school_level
            found.staff_or_members, found.active, found.updated_at = data.staff_or_members, True, now
            session.add(found)
            result.updated += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.organisation_import",
        target_type="organisation",
        detail={
            "created": result.created,
            "updated": result.updated,
            "wards": wards[:200],
            "error_lines": [line for line, _ in result.errors][:200],
        },
    )
    return result


def _parse_row(
    ward_code: int, row: dict[str, str], hamlet_ids: dict[tuple[int, str], int | None]
) -> OrganisationIn:
    name = " ".join((row.get("ten") or "").split())[:300]
    if not name:
        raise CampaignError("name_missing", "name")
    category = CATEGORY_WORDS.get(places.fold(row.get("loai") or ""))
    if category is None:
        raise CampaignError("category_unknown", "category", detail=(row.get("loai") or "")[:40])
    level_text = (row.get("cap_hoc") or "").strip()
    level = LEVEL_WORDS.get(places.fold(level_text)) if level_text else None
    if level_text and level is None:
        raise CampaignError("school_level_unknown", "school_level", detail=level_text[:40])
    hamlet_text = (row.get("thon") or "").strip()
    hamlet_id = hamlet_ids.get((ward_code, places.fold(hamlet_text))) if hamlet_text else None
    if hamlet_text and hamlet_id is None:
        raise CampaignError("hamlet_unknown", "hamlet_id", detail=hamlet_text[:60])
    return OrganisationIn(
        ward_code=ward_code,
        name=name,
        category=category,
        hamlet_id=hamlet_id,
        school_level=level if category == "school" else None,
        staff_or_members=count_or_none(row.get("so_nguoi"), "staff_or_members"),
    )
