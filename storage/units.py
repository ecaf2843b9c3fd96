"""Police units from the official list of provinces and communes, and their officers' group chats.

An admin creates a province's unit, then the commune units under it (one, or all at
once). Units are deactivated, never deleted: tips and the audit log point at them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from content import places
from storage import audit
from storage.models import Unit, UnitChat

CHAT_CHANNELS = ("telegram", "zalo")


class UnitError(ValueError):
    """A request the caller should show to the admin; `code` picks the wording."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def province_unit_name(place: places.Place) -> str:
    """ "Công an tỉnh An Giang", "Công an Thành phố Hà Nội"."""
    name = place.province_name
    return f"Công an {name}" if name.lower().startswith("thành phố") else f"Công an tỉnh {name}"


def commune_unit_name(place: places.Place) -> str:
    """ "Công an xã Mỹ Hòa Hưng", "Công an phường Long Xuyên"."""
    name = place.ward_name or place.name
    prefix = place.division_type
    if prefix and name.lower().startswith(prefix):
        name = prefix + name[len(prefix) :]
    return f"Công an {name}"


def province_unit(session: Session, province_code: int) -> Unit | None:
    return session.exec(
        select(Unit)
        .where(Unit.kind == "province", Unit.province_code == province_code)
        .order_by(col(Unit.id))
    ).first()


def create_province_unit(session: Session, *, province_code: int, actor: str) -> Unit:
    place = places.province(province_code)
    if place is None:
        raise UnitError("province_unknown")
    if province_unit(session, province_code) is not None:
        raise UnitError("unit_exists")
    unit = Unit(kind="province", name=province_unit_name(place), province_code=province_code)
    session.add(unit)
    session.flush()
    _audit(session, actor, "unit.create", unit)
    return unit


def create_commune_unit(session: Session, *, ward_code: int, actor: str) -> Unit:
    """A commune's unit under its province's unit (which must exist first)."""
    place = places.ward(ward_code)
    if place is None:
        raise UnitError("ward_unknown")
    parent = province_unit(session, place.province_code)
    if parent is None:
        raise UnitError("province_unit_missing")
    if session.exec(select(Unit).where(Unit.ward_code == ward_code)).first() is not None:
        raise UnitError("unit_exists")
    unit = _commune(place, parent)
    session.add(unit)
    session.flush()
    _audit(session, actor, "unit.create", unit)
    return unit


def create_all_commune_units(session: Session, *, province_unit_id: int, actor: str) -> int:
    """A unit for every commune of the province that has none yet; returns how many were made."""
    parent = session.get(Unit, province_unit_id)
    if parent is None or parent.kind != "province":
        raise UnitError("province_unit_missing")
    existing = set(
        session.exec(
            select(Unit.ward_code).where(Unit.province_code == parent.province_code, Unit.kind == "commune")
        ).all()
    )
    made = 0
    for place in sorted(places.wards_of(parent.province_code), key=lambda p: places.fold(p.name)):
        if place.ward_code in existing:
            continue
        session.add(_commune(place, parent))
        made += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.create_all",
        target_type="unit",
        target_id=str(parent.id),
        detail={"created": made},
    )
    return made


def _commune(place: places.Place, parent: Unit) -> Unit:
    return Unit(
        kind="commune",
        name=commune_unit_name(place),
        province_code=place.province_code,
        ward_code=place.ward_code,
        parent_id=parent.id,
    )


def get_unit(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def list_units(session: Session, *, province_code: int | None = None, kind: str | None = None) -> list[Unit]:
    """Units ordered province first, then its communes by name."""
    query = select(Unit)
    if province_code is not None:
        query = query.where(Unit.province_code == province_code)
    if kind is not None:
        query = query.where(Unit.kind == kind)
    rows = list(session.exec(query).all())
    return sorted(rows, key=lambda u: (u.province_code, u.kind != "province", places.fold(u.name)))


# Unit names per database, filled as ids are asked for. A unit's name is set when it is
# created and never changes, and units are never deleted, so an entry never goes stale.
_NAMES: WeakKeyDictionary[Engine, dict[int, str]] = WeakKeyDictionary()


def unit_names(session: Session, unit_ids: Iterable[int | None]) -> dict[int, str]:
    """Names of these units, for listing rows: one small query for ids not seen before."""
    bind = session.get_bind()
    known = _NAMES.setdefault(bind if isinstance(bind, Engine) else bind.engine, {})
    wanted = {i for i in unit_ids if i is not None}
    missing = sorted(wanted - known.keys())
    if missing:
        found = session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(missing))).all()
        known.update({int(i): name for i, name in found if i is not None})
    return {i: known[i] for i in wanted if i in known}


def units_by_id(session: Session, unit_ids: Sequence[int]) -> dict[int, Unit]:
    if not unit_ids:
        return {}
    rows = session.exec(select(Unit).where(col(Unit.id).in_(list(set(unit_ids))))).all()
    return {u.id: u for u in rows if u.id is not None}


def set_unit_active(session: Session, *, unit_id: int, active: bool, actor: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise UnitError("unit_unknown")
    unit.active = active
    session.add(unit)
    session.flush()
    _audit(session, actor, "unit.activate" if active else "unit.deactivate", unit)
    return unit


def add_unit_chat(session: Session, *, unit_id: int, channel: str, chat_key: str, actor: str) -> UnitChat:
    """Announce the unit's new tips in this group chat (Telegram chat id, Zalo group id)."""
    key = chat_key.strip()
    if channel not in CHAT_CHANNELS:
        raise UnitError("channel_unknown")
    if not key or len(key) > 128 or any(ch.isspace() for ch in key):
        raise UnitError("chat_key_invalid")
    if session.get(Unit, unit_id) is None:
        raise UnitError("unit_unknown")
    duplicate = session.exec(
        select(UnitChat).where(
            UnitChat.unit_id == unit_id, UnitChat.channel == channel, UnitChat.chat_key == key
        )
    ).first()
    if duplicate is not None:
        raise UnitError("chat_exists")
    chat = UnitChat(unit_id=unit_id, channel=channel, chat_key=key)
    session.add(chat)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.chat_add",
        target_type="unit",
        target_id=str(unit_id),
        detail={"channel": channel, "chat_key": key},
    )
    return chat


def remove_unit_chat(session: Session, *, chat_id: int, actor: str) -> bool:
    chat = session.get(UnitChat, chat_id)
    if chat is None:
        return False
    session.delete(chat)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.chat_remove",
        target_type="unit",
        target_id=str(chat.unit_id),
        detail={"channel": chat.channel, "chat_key": chat.chat_key},
    )
    return True


def chats_of(session: Session, unit_ids: Sequence[int]) -> list[UnitChat]:
    if not unit_ids:
        return []
    return list(
        session.exec(
            select(UnitChat).where(col(UnitChat.unit_id).in_(list(unit_ids))).order_by(col(UnitChat.id))
        ).all()
    )


def _audit(session: Session, actor: str, action: str, unit: Unit) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="unit",
        target_id=str(unit.id),
        detail={"name": unit.name, "kind": unit.kind},
    )
