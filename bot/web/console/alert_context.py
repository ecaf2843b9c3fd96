"""View-models of the alert pages: the compose form, the list, one alert with its figures.

Who may send where is decided by storage.alerts (the officer's scope); this module turns
it into choices for the form and flags for the templates, which only word them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.alert_preview import ChannelPreview, channel_name, preview
from bot.channels.base import Channel
from content import places
from content.alerts import AlertTextError, compose_alert
from content.library import Library
from content.messages import Reply, replies_from_payload
from storage import alerts, officers, subscriptions, units
from storage.alerts import Audience, Scope
from storage.models import Alert, Officer

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN = ("draft", "pending_approval", "scheduled", "sending")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool = False
    note: str = ""


@dataclass
class Draft:
    """What the officer typed into the compose form (kept when the page is shown again)."""

    source: str = "card"
    card_id: str = ""
    title: str = ""
    body: str = ""
    province: int | None = None
    wards: list[int] = field(default_factory=list)
    whole_province: bool = False
    channels: list[str] = field(default_factory=list)
    send_at: str = ""  # datetime-local, Vietnam's time

    def audience(self) -> Audience:
        return Audience(self.province or 0, tuple(self.wards), self.whole_province)

    def send_at_utc(self) -> dt.datetime | None:
        """The chosen time in UTC; None for now. A malformed value raises ValueError."""
        if not self.send_at.strip():
            return None
        local = dt.datetime.fromisoformat(self.send_at.strip())
        return local.replace(tzinfo=VN_TZ).astimezone(dt.UTC)


@dataclass(frozen=True)
class ComposePage:
    draft: Draft
    cards: list[Choice]
    provinces: list[Choice]
    wards: list[Choice]
    ward_fixed: str | None  # a commune officer's only commune
    can_whole_province: bool
    channels: list[Choice]
    previews: list[ChannelPreview]
    reach: int | None
    approval: bool
    problem: str = ""


def message_of(draft: Draft, library: Library, sender: str) -> Reply:
    """The resident's message for this draft; AlertTextError when the text cannot go out."""
    card = library.get(draft.card_id) if draft.source == "card" and draft.card_id else None
    if draft.source == "card" and card is None:
        raise AlertTextError("no_card")
    title = card.title if card is not None else draft.title
    if card is None and not title.strip():
        raise AlertTextError("no_title")
    body = "" if card is not None else draft.body
    return compose_alert(title=title, body=body, card=card, sender=sender)


def title_of(draft: Draft, library: Library) -> str:
    card = library.get(draft.card_id) if draft.source == "card" and draft.card_id else None
    return card.title if card is not None else draft.title


def sender_of(session: Session, officer: Officer) -> str:
    """Who the residents see as the sender: the officer's unit."""
    unit = units.get_unit(session, officer.unit_id) if officer.unit_id else None
    return unit.name if unit is not None else ""


def fill_defaults(draft: Draft, scope: Scope) -> None:
    """What the form leaves implicit: a commune officer's commune, a single province."""
    provinces = [] if scope.everywhere else scope.province_codes()
    if draft.province is None and len(provinces) == 1:
        draft.province = provinces[0]
    if not draft.wards and not draft.whole_province and scope.wards and not scope.provinces:
        draft.wards = sorted(scope.wards)


def default_draft(scope: Scope, channels: Mapping[str, Channel], province: int | None) -> Draft:
    provinces = scope.province_codes() if not scope.everywhere else []
    chosen = province if province is not None else (provinces[0] if provinces else None)
    wards = sorted(scope.wards) if not scope.provinces and not scope.everywhere else []
    return Draft(province=chosen, wards=wards, channels=[n for n in channels if n != "web"] or list(channels))


def compose_page(
    session: Session,
    *,
    officer: Officer,
    draft: Draft,
    library: Library,
    channels: Mapping[str, Channel],
    approval: bool,
    with_preview: bool = False,
    problem: str = "",
) -> ComposePage:
    scope = alerts.officer_scope(session, officer)
    province_codes = (
        [p.province_code for p in places.provinces()] if scope.everywhere else scope.province_codes()
    )
    province = draft.province if draft.province in province_codes else None
    commune_only = not scope.everywhere and not scope.provinces
    counts = subscriptions.count_by_ward(session, province_code=province) if province else {}
    wards: list[Choice] = []
    ward_fixed = None
    if commune_only:
        names = [places.ward(c) for c in sorted(scope.wards)]
        ward_fixed = ", ".join(w.full_name for w in names if w is not None)
    elif province:
        for ward in sorted(places.wards_of(province), key=lambda w: places.fold(w.ward_name or "")):
            code = int(ward.ward_code or 0)
            n = counts.get(code, 0)
            wards.append(Choice(str(code), ward.ward_name or "", code in draft.wards, f"{n} người nhận"))
    previews: list[ChannelPreview] = []
    reach: int | None = None
    if with_preview and not problem:
        try:
            reply = message_of(draft, library, sender_of(session, officer))
            chosen = {n: channels[n] for n in draft.channels if n in channels}
            previews = preview([reply], chosen)
        except AlertTextError as exc:
            problem = exc.code
        if draft.province and (draft.whole_province or draft.wards):
            reach = subscriptions.count_active(
                session,
                province_code=draft.province,
                ward_codes=None if draft.whole_province else draft.wards,
                channels=draft.channels,
            )
    return ComposePage(
        draft=draft,
        cards=[Choice(c.id, c.title, c.id == draft.card_id) for c in library.browsing_order()],
        provinces=[Choice(str(code), _province_name(code), code == province) for code in province_codes],
        wards=wards,
        ward_fixed=ward_fixed,
        can_whole_province=scope.everywhere or bool(scope.provinces),
        channels=[Choice(n, channel_name(n), n in draft.channels) for n in channels],
        previews=previews,
        reach=reach,
        approval=approval,
        problem=problem,
    )


@dataclass(frozen=True)
class AlertRow:
    id: int
    title: str
    status: str
    where: str
    channels: str
    created_at: dt.datetime
    send_at: dt.datetime | None
    recipients: int
    sent: int


def list_rows(session: Session, officer: Officer) -> list[AlertRow]:
    rows = alerts.visible_alerts(session, officer, limit=200)
    counts = alerts.delivery_counts(session, [a for a in rows if a.status in ("sending", "done")])
    out: list[AlertRow] = []
    for alert in rows:
        figures = counts.get(int(alert.id or 0))
        out.append(
            AlertRow(
                id=int(alert.id or 0),
                title=alert.title,
                status=alert.status,
                where=where_of(alert),
                channels=", ".join(channel_name(c) for c in alert.channels),
                created_at=alert.created_at,
                send_at=alert.send_at,
                recipients=sum(figures.values()) if figures else 0,
                sent=figures.get("sent", 0) if figures else 0,
            )
        )
    return out


@dataclass(frozen=True)
class AlertPage:
    alert: Alert
    where: str
    channels: str
    created_by: str
    approved_by: str
    cancelled_by: str
    previews: list[ChannelPreview]
    figures: alerts.AlertFigures
    can_cancel: bool
    can_approve: bool
    waiting_for_other: bool
    refresh: bool


def alert_page(
    session: Session, *, officer: Officer, alert: Alert, channels: Mapping[str, Channel]
) -> AlertPage:
    names = officers.officer_names(
        session, [i for i in (alert.created_by, alert.approved_by, alert.cancelled_by) if i is not None]
    )
    shown = {n: channels[n] for n in alert.channels if n in channels}
    own = alert.created_by == officer.id
    return AlertPage(
        alert=alert,
        where=where_of(alert),
        channels=", ".join(channel_name(c) for c in alert.channels),
        created_by=names.get(alert.created_by, ""),
        approved_by=names.get(alert.approved_by or 0, ""),
        cancelled_by=names.get(alert.cancelled_by or 0, ""),
        previews=preview(replies_from_payload(alert.payload), shown),
        figures=alerts.figures(session, int(alert.id or 0)),
        can_cancel=alert.status in OPEN,
        can_approve=alert.status == "pending_approval" and not own,
        waiting_for_other=alert.status == "pending_approval" and own,
        refresh=alert.status in ("scheduled", "sending"),
    )


def where_of(alert: Alert) -> str:
    province = _province_name(alert.province_code)
    if alert.whole_province:
        return f"Cả {province}" if province else ""
    names = [w.ward_name for w in (places.ward(c) for c in alert.ward_codes) if w and w.ward_name]
    return ", ".join(names) + (f" ({province})" if province else "")


def _province_name(code: int | None) -> str:
    place = places.province(code or 0)
    return place.province_name if place else ""
