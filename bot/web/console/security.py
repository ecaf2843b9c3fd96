"""Who is asking: the session cookie, CSRF tokens, roles, and the pages for refusals.

Sessions live in the database (`storage.console_sessions`); the cookie holds only a
random token. Every POST carries the session's CSRF token; the login form, which has
no session yet, uses a double-submit cookie. A refusal (403) is audited in its own
transaction, so the record survives the rollback of the refused request.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError

from bot.app import Services
from bot.web.headers import SECURITY_HEADERS
from storage import audit
from storage.console_sessions import resolve_session
from storage.db import transaction

log = logging.getLogger(__name__)

PREFIX = "/console"
COOKIE = "cg_console"
LOGIN_COOKIE = "cg_login"
HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Viewer:
    """The logged-in officer as the console needs them for one request."""

    officer_id: int
    username: str
    full_name: str
    role: str
    unit_id: int | None
    csrf_token: str

    @property
    def actor(self) -> str:
        return f"officer:{self.officer_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_contributor(self) -> bool:
        return self.role == "contributor"


class ConsoleProblem(Exception):
    """Raised by a route; `ConsoleRoute` turns it into a redirect or an error page."""


class LoginRequired(ConsoleProblem):
    def __init__(self, next_url: str = "") -> None:
        super().__init__("login required")
        self.next_url = next_url


class Forbidden(ConsoleProblem):
    """403; the attempt goes into the audit log with what was asked for."""

    def __init__(
        self,
        *,
        action: str = "console.forbidden",
        target_type: str = "",
        target_id: str = "",
        detail: dict[str, Any] | None = None,
        reason: str = "forbidden",
    ) -> None:
        super().__init__(reason)
        self.action = action
        self.target_type = target_type
        self.target_id = target_id
        self.detail = detail or {}
        self.reason = reason


class NotFound(ConsoleProblem):
    pass


class BadInput(ConsoleProblem):
    """400: a value no form of ours sends (a NUL byte)."""


MAX_ID = 2**31 - 1  # the database's integer ids end here


async def _odd_input(request: Request) -> ConsoleProblem | None:
    """An id past the database's range cannot exist (404); a NUL byte in a filter or a form
    field is never typed by an officer (400). Checked before the route touches the database."""
    for value in request.path_params.values():
        if isinstance(value, str) and value.isdigit() and int(value) > MAX_ID:
            return NotFound()
    values: list[str] = [*request.query_params.values()]
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        values += [v for v in (await request.form()).values() if isinstance(v, str)]
    if any("\x00" in value for value in values):
        return BadInput()
    return None


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def cookie_secure(request: Request) -> bool:
    """Secure cookies when the console is reached over HTTPS (directly or per the public address)."""
    public = services_of(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def safe_next(url: str | None) -> str:
    """Only a path inside the console; anything else (another site, `//host`) goes to the queue."""
    if url and url.startswith(PREFIX + "/") and not url.startswith("//") and "\\" not in url:
        return url
    return PREFIX + "/tips"


def _current(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    services = services_of(request)
    idle = dt.timedelta(minutes=services.settings.console_idle_minutes)
    with transaction(services.engine) as session:
        found = resolve_session(session, token=token, idle=idle)
        if found is None:
            return None
        row, officer = found
        assert officer.id is not None
        return Viewer(
            officer_id=officer.id,
            username=officer.username,
            full_name=officer.full_name,
            role=officer.role,
            unit_id=officer.unit_id,
            csrf_token=row.csrf_token,
        )


# What a contributor (a non-police body) may open: its own account and the campaign pages
# meant for it. Everything else (tips, reporters, evidence, subscribers, the registry, alerts,
# units, accounts, the audit log) answers 403 and is audited, whatever is added later.
CONTRIBUTOR_PATHS = (
    f"{PREFIX}/me",
    f"{PREFIX}/logout",
    f"{PREFIX}/campaign/activities",
    f"{PREFIX}/campaign/coverage",
)


def contributor_may_open(path: str) -> bool:
    if path in (f"{PREFIX}/", f"{PREFIX}/campaign", f"{PREFIX}/campaign/gaps.xlsx"):
        return True
    return any(path == allowed or path.startswith(allowed + "/") for allowed in CONTRIBUTOR_PATHS) or (
        path.startswith(f"{PREFIX}/campaign/activities")
    )


def viewer(request: Request) -> Viewer:
    """Dependency: the logged-in officer, or a redirect to the login page."""
    found = _current(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "")
    request.state.viewer = found
    if found.is_contributor and not contributor_may_open(request.url.path):
        raise Forbidden(detail={"path": request.url.path, "needs": "officer"})
    return found


def checked(request: Request, csrf_token: str = Form(""), officer: Viewer = Depends(viewer)) -> Viewer:
    """Dependency for every form: the officer, and the form's CSRF token must be theirs."""
    sent = csrf_token or request.headers.get("x-csrf-token", "")
    if not sent or not secrets.compare_digest(sent.encode(), officer.csrf_token.encode()):
        raise Forbidden(action="console.csrf_rejected", detail={"path": request.url.path}, reason="csrf")
    return officer


def _require_admin(request: Request, officer: Viewer) -> Viewer:
    if not officer.is_admin:
        raise Forbidden(detail={"path": request.url.path, "needs": "admin"})
    return officer


def admin(request: Request, officer: Viewer = Depends(viewer)) -> Viewer:
    return _require_admin(request, officer)


def admin_checked(request: Request, officer: Viewer = Depends(checked)) -> Viewer:
    return _require_admin(request, officer)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def login_token_ok(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    return bool(cookie) and bool(sent) and secrets.compare_digest(cookie.encode(), sent.encode())


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="lax", secure=cookie_secure(request))


def _audit_refusal(request: Request, problem: Forbidden) -> None:
    found: Viewer | None = getattr(request.state, "viewer", None)
    detail = {"path": request.url.path, "method": request.method, **problem.detail}
    try:
        with transaction(services_of(request).engine) as session:
            audit.record(
                session,
                actor=found.actor if found else "anonymous",
                action=problem.action,
                target_type=problem.target_type,
                target_id=problem.target_id,
                detail=detail,
            )
    except Exception:
        log.exception("could not audit a refused console request")


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    """Console routes: problems become redirects or pages, and every answer gets the security headers."""

    def get_route_handler(self) -> Handler:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            from bot.web.console.templates import render

            try:
                odd = await _odd_input(request)
                if odd is not None:
                    raise odd
                response = await inner(request)
            except BadInput:
                response = render(request, "error.html", {"kind": "bad_input"}, status=400)
            except (DataError, OverflowError) as exc:
                # Input the database cannot hold (a number past its range, a NUL byte): the
                # request's transaction was rolled back; it is the request that is wrong.
                log.warning(
                    "console %s %s: input refused by the database: %s",
                    request.method,
                    request.url.path,
                    type(exc).__name__,
                )
                response = render(request, "error.html", {"kind": "bad_input"}, status=400)
            except LoginRequired as problem:
                where = f"{PREFIX}/login"
                if problem.next_url:
                    where += "?next=" + quote(problem.next_url, safe="")
                response = RedirectResponse(where, status_code=303)
            except Forbidden as problem:
                _audit_refusal(request, problem)
                response = render(request, "error.html", {"kind": problem.reason}, status=403)
            except NotFound:
                response = render(request, "error.html", {"kind": "not_found"}, status=404)
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return handler
