"""The hamlet register («thôn, tổ dân phố, khu dân cư», also ấp, bản, khóm): households and notice boards.

Edited one by one in the console or imported from CSV (`ward_code,ten,loai,so_ho,so_bang_tin`):
a bad row is reported with its line number and the others load. A row naming a hamlet the
commune already has updates it, so a corrected file can be imported again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from content import places
from content.campaign_terms import HAMLET_KINDS
from storage import audit
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
from storage.models import Hamlet, utcnow

FIELDS = ("ward_code", "name", "kind", "households", "notice_boards", "active")
# What residents and officers write in the `loai` column, folded, to the stored kind.
KIND_WORDS: dict[str, str] = {
    **{places.fold(label): kind for kind, label in HAMLET_KINDS.items()},
    **{places.fold(kind.replace("_", " ")): kind for kind in HAMLET_KINDS},
    "tdp": "to_dan_pho",
    "to": "to_dan_pho",
    "kdc": "khu_dan_cu",
    "kp": "khu_pho",
    "thon xom": "thon",
}


@dataclass(frozen=True)
class HamletIn:
    ward_code: int
    name: str
    kind: str
    households: int | None = None
    notice_boards: int | None = None
    active: bool = True


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_kind(text: str) -> str:
    kind = KIND_WORDS.get(places.fold(text))
    if kind is None:
        raise CampaignError("hamlet_kind_unknown", "kind", detail=text[:40])
    return kind


def _clean(data: HamletIn) -> HamletIn:
    name = " ".join(data.name.split())[:200]
    if not name:
        raise CampaignError("name_missing", "name")
    if data.kind not in HAMLET_KINDS:
        raise CampaignError("hamlet_kind_unknown", "kind", detail=data.kind[:40])
    for value, name_ in ((data.households, "households"), (data.notice_boards, "notice_boards")):
        if value is not None and value < 0:
            raise CampaignError("count_invalid", name_, detail=str(value))
    return HamletIn(data.ward_code, name, data.kind, data.households, data.notice_boards, data.active)


def create_hamlet(session: Session, *, scope: CampaignScope, data: HamletIn, actor: str) -> Hamlet:
    ward = writable_ward(scope, data.ward_code)
    clean = _clean(data)
    if _by_name(session, clean.ward_code, clean.name) is not None:
        raise CampaignError("hamlet_exists", "name", detail=clean.name)
    row = Hamlet(province_code=ward.province_code, **clean.__dict__)
    add_audited(
        session, row, actor=actor, action="campaign.hamlet_create", target_type="hamlet", fields=FIELDS
    )
    return row


def update_hamlet(
    session: Session, *, scope: CampaignScope, hamlet_id: int, data: HamletIn, actor: str
) -> Hamlet:
    row = session.get(Hamlet, hamlet_id)
    if row is None:
        raise NotFound(hamlet_id)
    writable_ward(scope, row.ward_code)
    if data.ward_code != row.ward_code:
        raise CampaignError("ward_fixed", "ward_code")
    clean = _clean(data)
    other = _by_name(session, row.ward_code, clean.name)
    if other is not None and other.id != row.id:
        raise CampaignError("hamlet_exists", "name", detail=clean.name)
    before = snapshot(row, FIELDS)
    for name in ("name", "kind", "households", "notice_boards", "active"):
        setattr(row, name, getattr(clean, name))
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="campaign.hamlet_update",
        target_type="hamlet",
        target_id=row.id,
        before=before,
        after=snapshot(row, FIELDS),
    )
    return row


def _by_name(session: Session, ward_code: int, name: str) -> Hamlet | None:
    return session.exec(select(Hamlet).where(Hamlet.ward_code == ward_code, Hamlet.name == name)).first()


def get_hamlet(session: Session, *, scope: CampaignScope, hamlet_id: int) -> Hamlet:
    row = session.get(Hamlet, hamlet_id)
    if row is None:
        raise NotFound(hamlet_id)
    if not scope.allows_place(row.province_code, row.ward_code):
        raise NotPermitted(f"hamlet {hamlet_id}")
    return row


def list_hamlets(
    session: Session, *, scope: CampaignScope, ward_code: int, active_only: bool = False
) -> list[Hamlet]:
    """A commune's hamlets by name (the commune must be in scope)."""
    readable_ward(scope, ward_code)
    query = select(Hamlet).where(Hamlet.ward_code == ward_code)
    if active_only:
        query = query.where(col(Hamlet.active).is_(True))
    rows = list(session.exec(query).all())
    return sorted(rows, key=lambda h: places.fold(h.name))


def hamlets_of_wards(session: Session, ward_codes: Sequence[int]) -> list[Hamlet]:
    """Every hamlet of these communes (callers have checked the scope)."""
    if not ward_codes:
        return []
    return list(session.exec(select(Hamlet).where(col(Hamlet.ward_code).in_(list(ward_codes)))).all())


def import_rows(
    session: Session, *, scope: CampaignScope, rows: Iterable[tuple[int, dict[str, str]]], actor: str
) -> ImportResult:
    """Load CSV rows (line number, columns by lower-case name); bad rows are listed, the rest load.

    One query reads the hamlets already registered in the communes named, so a 3,000-row
    file costs a few statements, not one per row.
    """
    result = ImportResult()
    parsed: list[tuple[int, HamletIn]] = []
    for line, row in rows:
        try:
            parsed.append((line, _parse_row(scope, row)))
        except CampaignError as exc:
            result.errors.append((line, describe(exc)))
        except NotPermitted:
            result.errors.append((line, f"xã/phường {row.get('ward_code', '')} ngoài phạm vi của bạn"))
    wards = sorted({h.ward_code for _, h in parsed})
    existing = {(h.ward_code, h.name): h for h in hamlets_of_wards(session, wards)}
    seen: dict[tuple[int, str], int] = {}
    now = utcnow()
    for line, data in parsed:
        key = (data.ward_code, data.name)
        if key in seen:
            result.errors.append((line, f"trùng với dòng {seen[key]}: {data.name}"))
            continue
        seen[key] = line
        row_ = existing.get(key)
        if row_ is None:
            ward = places.ward(data.ward_code)
            assert ward is not None
            session.add(Hamlet(province_code=ward.province_code, **data.__dict__))
            result.created += 1
        else:
            row_.kind, row_.households, row_.notice_boards = data.kind, data.households, data.notice_boards
            row_.active, row_.updated_at = True, now
            session.add(row_)
            result.updated += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.hamlet_import",
        target_type="hamlet",
        detail={
            "created": result.created,
            "updated": result.updated,
            "wards": wards[:200],
            "error_lines": [line for line, _ in result.errors][:200],
        },
    )
    return result


def _parse_row(scope: CampaignScope, row: dict[str, str]) -> HamletIn:
    ward_text = (row.get("ward_code") or "").strip()
    if not ward_text.isdigit():
        raise CampaignError("ward_unknown", "ward_code", detail=ward_text[:20])
    ward_code = int(ward_text)
    writable_ward(scope, ward_code)
    return _clean(
        HamletIn(
            ward_code=ward_code,
            name=row.get("ten") or "",
            kind=parse_kind(row.get("loai") or ""),
            households=count_or_none(row.get("so_ho"), "households"),
            notice_boards=count_or_none(row.get("so_bang_tin"), "notice_boards"),
        )
    )


def public_hamlets(session: Session, ward_code: int) -> list[Hamlet]:
    """A commune's active hamlets for residents choosing theirs when subscribing (names only
    are shown; the register is not personal data)."""
    rows = session.exec(
        select(Hamlet).where(Hamlet.ward_code == ward_code, col(Hamlet.active).is_(True))
    ).all()
    return sorted(rows, key=lambda h: places.fold(h.name))
