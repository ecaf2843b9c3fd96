"""Alert pages: compose with a preview per channel, the list, one alert with live figures, cancel, approve.

Every change goes through storage.alerts, which checks the audience against the
officer's units and writes the audit entries; an alert outside the officer's units
answers 403 (audited by the route class).
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from bot.web.console import alert_context
from bot.web.console.alert_context import Draft
from bot.web.console.security import (
    PREFIX,
    ConsoleRoute,
    Forbidden,
    NotFound,
    Viewer,
    checked,
    services_of,
    viewer,
)
from bot.web.console.templates import render
from content.alerts import AlertTextError
from storage import alerts, officers
from storage.alerts import AlertError
from storage.db import transaction
from storage.models import Alert, Officer

router = APIRouter(route_class=ConsoleRoute)


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _me(session: Session, officer: Viewer) -> Officer:
    me = officers.get_officer(session, officer.officer_id)
    if me is None:
        raise Forbidden(detail={"reason": "officer_missing"})
    return me


def _alert(session: Session, me: Officer, alert_id: int) -> Alert:
    alert = alerts.get_alert(session, alert_id)
    if alert is None:
        raise NotFound()
    if not alerts.officer_scope(session, me).allows(alerts.audience_of(alert)):
        raise Forbidden(action="alert.forbidden", target_type="alert", target_id=str(alert_id))
    return alert


@router.get("/alerts")
def alert_list(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    with transaction(services_of(request).engine) as session:
        rows = alert_context.list_rows(session, _me(session, officer))
    return render(request, "alerts.html", {"rows": rows})


@router.get("/alerts/new")
def compose_form(
    request: Request, province: int | None = None, officer: Viewer = Depends(viewer)
) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        me = _me(session, officer)
        scope = alerts.officer_scope(session, me)
        draft = alert_context.default_draft(scope, services.channels, province)
        page = alert_context.compose_page(
            session,
            officer=me,
            draft=draft,
            library=services.library,
            channels=services.channels,
            approval=services.settings.alert_approval,
        )
    return render(request, "alert_new.html", {"page": page})


@router.post("/alerts/new")
def compose(
    request: Request,
    action: str = Form("preview"),
    source: str = Form("card"),
    card_id: str = Form("", max_length=80),
    title: str = Form("", max_length=300),
    body: str = Form("", max_length=5000),
    province: str = Form(""),
    ward: list[int] = Form([]),
    whole_province: str = Form(""),
    channel: list[str] = Form([]),
    send_at: str = Form("", max_length=40),
    officer: Viewer = Depends(checked),
) -> Response:
    services = services_of(request)
    draft = Draft(
        source="text" if source == "text" else "card",
        card_id=card_id,
        title=title.strip(),
        body=body.strip(),
        province=int(province) if province.isdigit() else None,
        wards=sorted(set(ward)),
        whole_province=bool(whole_province),
        channels=[c for c in dict.fromkeys(channel) if c in services.channels],
        send_at=send_at,
    )
    problem = ""
    if action == "send":
        try:
            alert_id, status = _create(request, officer, draft)
        except _Refused as exc:
            problem = exc.code
        else:
            return RedirectResponse(f"{PREFIX}/alerts/{alert_id}?ok=alert_{status}", status_code=303)
    with transaction(services.engine) as session:
        me = _me(session, officer)
        alert_context.fill_defaults(draft, alerts.officer_scope(session, me))
        page = alert_context.compose_page(
            session,
            officer=me,
            draft=draft,
            library=services.library,
            channels=services.channels,
            approval=services.settings.alert_approval,
            with_preview=True,
            problem=problem,
        )
    return render(request, "alert_new.html", {"page": page}, status=422 if problem else 200)


def _create(request: Request, officer: Viewer, draft: Draft) -> tuple[int, str]:
    """Create and submit in one transaction; a refusal leaves nothing behind."""
    services = services_of(request)
    try:
        with transaction(services.engine) as session:
            me = _me(session, officer)
            alert_context.fill_defaults(draft, alerts.officer_scope(session, me))
            try:
                when = draft.send_at_utc()
            except ValueError:
                raise _Refused("bad_time") from None
            reply = alert_context.message_of(draft, services.library, alert_context.sender_of(session, me))
            card_id = draft.card_id if draft.source == "card" else None
            alert = alerts.create_alert(
                session,
                officer=me,
                title=alert_context.title_of(draft, services.library),
                replies=[reply],
                audience=draft.audience(),
                channels=draft.channels,
                card_id=card_id,
                body=draft.body if card_id is None else "",
                send_at=when,
            )
            alerts.submit_alert(
                session,
                alert_id=int(alert.id or 0),
                officer=me,
                require_approval=services.settings.alert_approval,
            )
            status = "pending" if alert.status == "pending_approval" else "scheduled"
            return int(alert.id or 0), status
    except (AlertError, AlertTextError) as exc:
        raise _Refused(exc.code) from None


@router.get("/alerts/{alert_id}")
def alert_detail(request: Request, alert_id: int, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        me = _me(session, officer)
        page = alert_context.alert_page(
            session, officer=me, alert=_alert(session, me, alert_id), channels=services.channels
        )
    return render(request, "alert.html", {"page": page})


@router.post("/alerts/{alert_id}/cancel")
def cancel(request: Request, alert_id: int, officer: Viewer = Depends(checked)) -> Response:
    return _act(request, officer, alert_id, "cancelled", alerts.cancel_alert)


@router.post("/alerts/{alert_id}/approve")
def approve(request: Request, alert_id: int, officer: Viewer = Depends(checked)) -> Response:
    return _act(request, officer, alert_id, "approved", alerts.approve_alert)


class _Operation(Protocol):
    def __call__(self, session: Session, *, alert_id: int, officer: Officer) -> Alert: ...


def _act(request: Request, officer: Viewer, alert_id: int, done: str, operation: _Operation) -> Response:
    try:
        with transaction(services_of(request).engine) as session:
            me = _me(session, officer)
            _alert(session, me, alert_id)
            operation(session, alert_id=alert_id, officer=me)
    except AlertError as exc:
        return RedirectResponse(f"{PREFIX}/alerts/{alert_id}?err=alert_{exc.code}", status_code=303)
    return RedirectResponse(f"{PREFIX}/alerts/{alert_id}?ok=alert_{done}", status_code=303)
