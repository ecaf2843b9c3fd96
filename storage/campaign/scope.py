"""Who may read and change which campaign records: the tips' rule, plus contributors.

An administrator: everything. A province officer: their province. A commune officer:
their commune. A contributor (a non-police body): its commune, only the activities it
logged itself, and the coverage of its organisation (or of its commune when it is the
commune's People's Committee); it never edits the registers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage.models import Officer, Organisation, Unit


class CampaignError(ValueError):
    """Input the caller should show back; `code` picks the wording, `field` names the form field."""

    def __init__(self, code: str, field: str = "", *, detail: str = "") -> None:
        super().__init__(f"{code}:{field}:{detail}")
        self.code = code
        self.field = field
        self.detail = detail


class NotPermitted(PermissionError):
    """Outside the caller's scope; the console answers 403 and audits the attempt."""


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class CampaignScope:
    everything: bool = False
    province_codes: frozenset[int] = frozenset()
    ward_codes: frozenset[int] = frozenset()
    # Contributors: only what this account logged, and (when set) this organisation's row.
    own_officer_id: int | None = None
    organisation_id: int | None = None
    can_edit_registers: bool = False

    @property
    def is_contributor(self) -> bool:
        return self.own_officer_id is not None

    @property
    def empty(self) -> bool:
        return not (self.everything or self.province_codes or self.ward_codes)

    def allows_place(self, province_code: int, ward_code: int | None) -> bool:
        if self.everything or province_code in self.province_codes:
            return True
        return ward_code is not None and ward_code in self.ward_codes

    def allows_province(self, province_code: int) -> bool:
        """The whole province is visible (admin, or an officer of that province)."""
        return self.everything or province_code in self.province_codes

    def home_province(self) -> int | None:
        if self.province_codes:
            return min(self.province_codes)
        return None


def scope_for(session: Session, officer: Officer | None) -> CampaignScope:
    """The officer's scope, read fresh on every request (a deactivation applies at once)."""
    if officer is None or not officer.active:
        return CampaignScope()
    if officer.role == "admin":
        return CampaignScope(everything=True, can_edit_registers=True)
    if officer.role == "contributor":
        return _contributor_scope(session, officer)
    unit = session.get(Unit, officer.unit_id) if officer.unit_id is not None else None
    if unit is None or not unit.active:
        return CampaignScope()
    if officer.role == "province":
        return CampaignScope(province_codes=frozenset({unit.province_code}), can_edit_registers=True)
    if unit.ward_code is None:
        return CampaignScope()
    return CampaignScope(ward_codes=frozenset({unit.ward_code}), can_edit_registers=True)


def _contributor_scope(session: Session, officer: Officer) -> CampaignScope:
    assert officer.id is not None
    if officer.organisation_id is not None:
        org = session.get(Organisation, officer.organisation_id)
        if org is None or not org.active:
            return CampaignScope()
        return CampaignScope(
            ward_codes=frozenset({org.ward_code}), own_officer_id=officer.id, organisation_id=org.id
        )
    if officer.ward_code is not None:
        return CampaignScope(ward_codes=frozenset({officer.ward_code}), own_officer_id=officer.id)
    return CampaignScope()
