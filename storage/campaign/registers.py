"""What the two registers share: parsing counts and kinds, the audit record, the scope check."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from content import places
from storage import audit
from storage.campaign.scope import CampaignError, CampaignScope, NotPermitted

MAX_COUNT = 10_000_000


def count_or_none(value: Any, field: str) -> int | None:
    """An optional count: empty is None; anything else must be a whole number ≥ 0."""
    if value is None:
        return None
    text = str(value).strip().replace(".", "").replace(",", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_COUNT:
        raise CampaignError("count_invalid", field, detail=str(value)[:40])
    return int(text)


def writable_ward(scope: CampaignScope, ward_code: int) -> places.Place:
    """The commune, when it exists and the caller may change its registers."""
    ward = places.ward(ward_code)
    if ward is None:
        raise CampaignError("ward_unknown", "ward_code", detail=str(ward_code))
    if not scope.can_edit_registers or not scope.allows_place(ward.province_code, ward_code):
        raise NotPermitted(f"ward {ward_code}")
    return ward


def readable_ward(scope: CampaignScope, ward_code: int) -> places.Place:
    ward = places.ward(ward_code)
    if ward is None:
        raise CampaignError("ward_unknown", "ward_code", detail=str(ward_code))
    if not scope.allows_place(ward.province_code, ward_code):
        raise NotPermitted(f"ward {ward_code}")
    return ward


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        detail={"before": before, "after": after},
    )


def add_audited(
    session: Session, row: Any, *, actor: str, action: str, target_type: str, fields: tuple[str, ...]
) -> None:
    """Insert a row and audit its creation with its values (the `before` of a creation is None)."""
    session.add(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=row.id,
        before=None,
        after=snapshot(row, fields),
    )


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited values of a row (dates as ISO text, so the JSON column takes them)."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


# Wording of a refused row in an import report (the console words form errors itself).
_ROW_PROBLEMS = {
    "ward_unknown": "mã xã/phường không có trong danh mục: {detail}",
    "name_missing": "thiếu tên (cột ten)",
    "hamlet_kind_unknown": "loại không hợp lệ: {detail} (thôn, xóm, tổ dân phố, khu dân cư, ấp, bản, khóm)",
    "count_invalid": "số phải là số nguyên không âm: {detail}",
    "category_unknown": "loại tổ chức không hợp lệ: {detail}",
    "school_level_unknown": "cấp học không hợp lệ: {detail}",
    "hamlet_unknown": "không có thôn/TDP này trong xã: {detail}",
}


def describe(exc: CampaignError) -> str:
    return _ROW_PROBLEMS.get(exc.code, exc.code).format(detail=exc.detail)
