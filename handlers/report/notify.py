"""Wording of the messages a tip causes outside the dialog: the unit's announcement, the
reporter's status updates, the reminder of an unfinished report.

The storage operations take these as callables (`notify=`, `notify_reporter=`); the
console passes the same ones, so chat and console word things the same way. Officers'
group chats get no personal data: no story, no contact, only what triage needs first.
"""

from __future__ import annotations

from content import places, replies
from content.library import Library
from content.messages import Button, Reply
from storage.models import Tip, Unit
from storage.tips import OfficerNotify, format_code


def status_label(status: str) -> str:
    return replies.label(f"tip_status_{status}")


def modus_title(library: Library, modus_id: str | None) -> str:
    card = library.get(modus_id) if modus_id and modus_id != "other" else None
    return card.title if card is not None else replies.label("modus_other")


def place_name(province_code: int | None, ward_code: int | None) -> str:
    place = places.ward(ward_code) if ward_code else None
    if place is None and province_code:
        place = places.province(province_code)
    return place.full_name if place else ""


def officer_new_tip(library: Library, console_url: str | None = None) -> OfficerNotify:
    """The announcement in the unit's officers' chat."""

    def render(tip: Tip, unit: Unit | None) -> list[Reply]:
        text = replies.render(
            "tip_officer_new",
            code=format_code(tip.code),
            modus=modus_title(library, tip.modus_id),
            place=place_name(tip.province_code, tip.ward_code),
            unit=unit.name if unit else None,
            amount=tip.amount_lost,
            occurred_on=tip.occurred_on,
            anonymous=tip.anonymous,
            link=f"{console_url.rstrip('/')}/console/tips/{tip.id}" if console_url else None,
        )
        return [Reply(text)]

    return render


def reporter_status(tip: Tip, status: str) -> list[Reply]:
    """What the reporter is told when an officer moves their tip."""
    text = replies.render(
        "tip_status_update", code=format_code(tip.code), status=status, status_label=status_label(status)
    )
    buttons = [
        [Button(replies.label("status"), f"status:{tip.code}")],
        [Button(replies.label("menu"), "menu")],
    ]
    return [Reply(text, buttons=buttons)]


def draft_reminder(expire_days: int) -> list[Reply]:
    """The one reminder of an unfinished report."""
    text = replies.render("report_reminder", expire_days=expire_days)
    buttons = [
        [Button(replies.label("report_continue"), "report:continue")],
        [Button(replies.label("report_discard"), "report:discard")],
    ]
    return [Reply(text, buttons=buttons)]
