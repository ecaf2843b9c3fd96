"""Contributor accounts: non-police bodies bound to one organisation or one commune's People's
Committee («UBND xã»). Province officers (in their province) and administrators create and
deactivate them; every step is audited by `storage.officers` and here."""

from __future__ import annotations

from collections.abc import Sequence

from argon2 import PasswordHasher
from sqlmodel import Session, col, select

from content import places
from storage import audit, officers
from storage.campaign.scope import CampaignError, CampaignScope, NotFound, NotPermitted
from storage.models import Officer, Organisation


def _may_manage(scope: CampaignScope, province_code: int) -> None:
    if scope.is_contributor or not scope.allows_province(province_code):
        raise NotPermitted(f"province {province_code}")


def create_contributor(
    session: Session,
    *,
    scope: CampaignScope,
    hasher: PasswordHasher,
    username: str,
    full_name: str,
    password: str,
    organisation_id: int | None,
    ward_code: int | None,
    actor: str,
) -> Officer:
    """Exactly one binding: an organisation of the register, or a commune (its «UBND xã»)."""
    if (organisation_id is None) == (ward_code is None):
        raise CampaignError("binding_missing", "organisation_id")
    if organisation_id is not None:
        org = session.get(Organisation, organisation_id)
        if org is None:
            raise CampaignError("organisation_unknown", "organisation_id")
        province_code = org.province_code
    else:
        ward = places.ward(ward_code or 0)
        if ward is None:
            raise CampaignError("ward_unknown", "ward_code")
        province_code = ward.province_code
    _may_manage(scope, province_code)
    officer = officers.create_officer(
        session,
        hasher=hasher,
        username=username,
        full_name=full_name,
        password=password,
        role="contributor",
        actor=actor,
    )
    officer.organisation_id = organisation_id
    officer.ward_code = ward_code
    session.add(officer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.contributor_bind",
        target_type="officer",
        target_id=str(officer.id),
        detail={"organisation_id": organisation_id, "ward_code": ward_code},
    )
    return officer


def contributor_province(session: Session, officer: Officer) -> int | None:
    if officer.organisation_id is not None:
        org = session.get(Organisation, officer.organisation_id)
        return org.province_code if org else None
    ward = places.ward(officer.ward_code or 0)
    return ward.province_code if ward else None


def set_contributor_active(
    session: Session, *, scope: CampaignScope, officer_id: int, active: bool, actor: str
) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None or officer.role != "contributor":
        raise NotFound(officer_id)
    province = contributor_province(session, officer)
    if province is None:
        if not scope.everything:
            raise NotPermitted(f"officer {officer_id}")
    else:
        _may_manage(scope, province)
    return officers.set_active(session, officer_id=officer_id, active=active, actor=actor)


def list_contributors(session: Session, *, scope: CampaignScope, province_code: int) -> list[Officer]:
    _may_manage(scope, province_code)
    rows: Sequence[Officer] = session.exec(
        select(Officer).where(Officer.role == "contributor").order_by(col(Officer.username))
    ).all()
    return [o for o in rows if contributor_province(session, o) == province_code]
