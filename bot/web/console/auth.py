"""Login, logout and the officer's own account (password, linked chat accounts)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.console import context
from bot.web.console.security import (
    COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    ConsoleRoute,
    Forbidden,
    NotFound,
    Viewer,
    checked,
    clear_cookie,
    client_ip,
    login_token_ok,
    new_login_token,
    safe_next,
    services_of,
    set_cookie,
    viewer,
)
from bot.web.console.templates import render
from storage import console_sessions, officer_links, officers, tip_notices
from storage.db import transaction

router = APIRouter(route_class=ConsoleRoute)


def _login_page(
    request: Request,
    *,
    next_url: str = "",
    message: str = "",
    username: str = "",
    status: int = 200,
    **extra: object,
) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or new_login_token()
    response = render(
        request,
        "login.html",
        {"login_token": token, "next": next_url, "message": message, "username": username, **extra},
        status=status,
    )
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get("/")
def home(officer: Viewer = Depends(viewer)) -> RedirectResponse:
    """The tip queue for officers; the campaign pages for contributors, who never see tips."""
    return RedirectResponse(
        f"{PREFIX}/campaign" if officer.is_contributor else f"{PREFIX}/tips", status_code=303
    )


@router.get("/login")
def login_form(request: Request, next: str = "", ok: str = "") -> Response:
    return _login_page(request, next_url=safe_next(next) if next else "", message=ok)


@router.post("/login")
def login(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1024),
    csrf_token: str = Form(""),
    next: str = Form(""),
) -> Response:
    if not login_token_ok(request, csrf_token):
        raise Forbidden(action="console.csrf_rejected", detail={"path": request.url.path}, reason="csrf")
    services = services_of(request)
    lifetime = dt.timedelta(hours=services.settings.console_session_hours)
    result = officers.attempt_login(
        services.engine,
        hasher=services.hasher,
        username=username,
        password=password,
        ip=client_ip(request),
        gate=services.login_gate,
    )
    if not result.ok or result.officer is None or result.officer.id is None:
        # Unknown name, wrong password, locked here, deactivated: one answer (no account probing).
        shown = result.status if result.status in ("throttled", "busy") else "invalid"
        return _login_page(
            request,
            next_url=safe_next(next) if next else "",
            message=shown,
            username=username.replace("\x00", "")[:64],
            locked_until=result.locked_until if shown == "throttled" else None,
            status=429 if shown in ("throttled", "busy") else 401,
        )
    with transaction(services.engine) as session:
        console_sessions.purge_expired(session)  # housekeeping, cheap: one indexed delete
        token, _ = console_sessions.open_session(
            session,
            officer_id=result.officer.id,
            lifetime=lifetime,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    contributor = result.officer is not None and result.officer.role == "contributor"
    landing = safe_next(next) if next or not contributor else f"{PREFIX}/campaign"
    response = RedirectResponse(landing, status_code=303)
    set_cookie(request, response, COOKIE, token, max_age=int(lifetime.total_seconds()))
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, officer: Viewer = Depends(checked)) -> Response:
    with transaction(services_of(request).engine) as session:
        console_sessions.close_session(session, token=request.cookies.get(COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/login?ok=logged_out", status_code=303)
    clear_cookie(request, response, COOKIE)
    return response


@router.get("/me")
def me(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    with transaction(services_of(request).engine) as session:
        page = context.me_page(session, officer.officer_id, self_service=True)
    return render(request, "me.html", {"page": page})


@router.post("/me/link-code")
def my_link_code(request: Request, officer: Viewer = Depends(checked)) -> Response:
    with transaction(services_of(request).engine) as session:
        code, expires = officer_links.issue_link_code(
            session, officer_id=officer.officer_id, actor=officer.actor
        )
        page = context.me_page(session, officer.officer_id, self_service=True, code=(code, expires))
    return render(request, "me.html", {"page": page})


@router.post("/me/links/{link_id}/remove")
def my_unlink(request: Request, link_id: int, officer: Viewer = Depends(checked)) -> Response:
    with transaction(services_of(request).engine) as session:
        if not officer_links.remove_link(
            session, link_id=link_id, officer_id=officer.officer_id, actor=officer.actor
        ):
            raise NotFound()  # not one of this officer's links
    return RedirectResponse(f"{PREFIX}/me?ok=unlinked", status_code=303)


@router.post("/me/tip-notices")
def my_tip_notices(
    request: Request, choice: str = Form("", max_length=16), officer: Viewer = Depends(checked)
) -> Response:
    with transaction(services_of(request).engine) as session:
        try:
            tip_notices.set_choice(session, officer_id=officer.officer_id, choice=choice, actor=officer.actor)
        except officers.OfficerError as exc:
            return RedirectResponse(f"{PREFIX}/me?err={exc.code}", status_code=303)
    return RedirectResponse(f"{PREFIX}/me?ok=tip_notices", status_code=303)


@router.post("/me/password")
def my_password(
    request: Request,
    current: str = Form("", max_length=1024),
    password: str = Form("", max_length=1024),
    again: str = Form("", max_length=1024),
    officer: Viewer = Depends(checked),
) -> Response:
    services = services_of(request)
    if password != again:
        return RedirectResponse(f"{PREFIX}/me?err=password_mismatch", status_code=303)
    with transaction(services.engine) as session:
        if not officers.check_own_password(
            session, hasher=services.hasher, officer_id=officer.officer_id, password=current
        ):
            return RedirectResponse(f"{PREFIX}/me?err=password_wrong", status_code=303)
        try:
            officers.set_password(
                session,
                hasher=services.hasher,
                officer_id=officer.officer_id,
                password=password,
                actor=officer.actor,
            )
        except officers.OfficerError as exc:
            return RedirectResponse(f"{PREFIX}/me?err={exc.code}", status_code=303)
    # The password change ended every session, this one too: log in again with the new password.
    response = RedirectResponse(f"{PREFIX}/login?ok=password", status_code=303)
    clear_cookie(request, response, COOKIE)
    return response
