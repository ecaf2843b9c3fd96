"""One tip: the page (story, identifiers with registry counts, evidence, history) and its actions.

Every read and change goes through `storage.tips`, which writes the history and the
audit entries; a tip outside the officer's scope answers 403 and is audited here. Forms
carry the tip's version, so acting on a page someone else has since changed is refused
instead of silently overwriting their change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from bot.app import Services
from bot.web.console import tip_context
from bot.web.console.queue import officer_scope
from bot.web.console.queue_context import short_title
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
from content import replies
from content.messages import Reply
from handlers.report.notify import modus_title, place_name, reporter_status
from storage import audit, officer_links, tip_lookups, tip_routing, tips
from storage.db import transaction
from storage.evidence import EvidenceNotFound
from storage.models import Tip

log = logging.getLogger(__name__)
router = APIRouter(route_class=ConsoleRoute)


def _refuse_or_missing(session: Session, tip_id: int, operation: str) -> Exception:
    """Out of scope → 403 (audited by the route class); absent → 404."""
    if tip_lookups.tip_exists(session, tip_id):
        return Forbidden(
            action="tip.forbidden", target_type="tip", target_id=str(tip_id), detail={"operation": operation}
        )
    return NotFound()


def _detail(session: Session, request: Request, officer: Viewer, tip_id: int) -> tips.TipDetail:
    try:
        return tips.get_tip_detail(
            session, tip_id=tip_id, officer_id=officer.officer_id, cipher=services_of(request).cipher
        )
    except (tips.TipNotFound, tips.NotPermitted):
        raise _refuse_or_missing(session, tip_id, "view") from None


@router.get("/tips/{tip_id}")
def tip_page(request: Request, tip_id: int, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        detail = _detail(session, request, officer, tip_id)  # audited as tip.view
        view = tip_context.tip_view(
            session,
            viewer=officer,
            detail=detail,
            library=services.library,
            scope=officer_scope(session, officer),
        )
    return render(request, "tip.html", {"page": view})


@router.get("/tips/{tip_id}/evidence/{evidence_id}")
def evidence_file(
    request: Request, tip_id: int, evidence_id: int, officer: Viewer = Depends(viewer)
) -> Response:
    services = services_of(request)
    with transaction(services.engine) as session:
        detail = _detail(session, request, officer, tip_id)
        item = next((e for e in detail.evidence if e.id == evidence_id), None)
        if item is None or item.storage_key is None:
            raise NotFound()
        audit.record(
            session,
            actor=officer.actor,
            action="tip.evidence_view",
            target_type="tip",
            target_id=str(tip_id),
            detail={"evidence_id": evidence_id},
        )
        key, mime = item.storage_key, item.mime
    try:
        data = services.evidence.get(key)
    except EvidenceNotFound:
        raise NotFound() from None
    # Only plain images are shown inline; anything else downloads as bytes, never rendered here.
    inline = mime in tip_context.INLINE_IMAGES
    headers = {
        "Content-Disposition": "inline" if inline else f'attachment; filename="bang-chung-{evidence_id}"',
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    }
    return Response(data, media_type=mime if inline else "application/octet-stream", headers=headers)


Action = Callable[[Session], str]


class Problem(Exception):
    """A refusal to show on the tip page (`?err=code`), not a 403."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _act(request: Request, officer: Viewer, tip_id: int, operation: str, action: Action) -> Response:
    """Run one change in one transaction; known refusals go back to the tip page with a message."""
    try:
        with transaction(services_of(request).engine) as session:
            if not tip_lookups.tip_in_scope(session, tip_id=tip_id, scope=officer_scope(session, officer)):
                raise _refuse_or_missing(session, tip_id, operation)
            ok = action(session)
    except Problem as exc:
        return _back(tip_id, err=exc.code)
    except tips.StaleTip:
        return _back(tip_id, err="stale")
    except tips.TransitionNotAllowed:
        return _back(tip_id, err="transition")
    except tips.NotPermitted:
        return _back(tip_id, err="not_permitted")
    except tips.TipNotFound:
        return _back(tip_id, err="original_missing" if operation == "duplicate" else "stale")
    except ValueError as exc:
        text = str(exc)
        return _back(
            tip_id,
            err="self_duplicate" if "itself" in text else "empty_note" if "note" in text else "bad_input",
        )
    return _back(tip_id, ok=ok)


def _back(tip_id: int, *, ok: str = "", err: str = "") -> RedirectResponse:
    suffix = f"err={err}" if err else f"ok={ok}"
    return RedirectResponse(f"{PREFIX}/tips/{tip_id}?{suffix}", status_code=303)


def _version(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.post("/tips/{tip_id}/status")
def tip_status(
    request: Request,
    tip_id: int,
    to_status: str = Form(""),
    note: str = Form("", max_length=4000),
    version: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    cipher = services_of(request).cipher

    def run(session: Session) -> str:
        if to_status not in tips.ALLOWED:
            raise Problem("transition")
        tips.change_status(
            session,
            tip_id=tip_id,
            actor_officer_id=officer.officer_id,
            to_status=to_status,
            cipher=cipher,
            note=note.strip() or None,
            expected_version=_version(version),
            notify_reporter=reporter_status,
        )
        return "status"

    return _act(request, officer, tip_id, "status", run)


@router.post("/tips/{tip_id}/assign")
def tip_assign(
    request: Request,
    tip_id: int,
    assignee: str = Form(""),
    version: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    chosen = officer.officer_id if assignee == "me" else (int(assignee) if assignee.isdigit() else None)

    services = services_of(request)

    def run(session: Session) -> str:
        tip = tips.assign(
            session,
            tip_id=tip_id,
            actor_officer_id=officer.officer_id,
            assignee_id=chosen,
            expected_version=_version(version),
        )
        if chosen is not None and chosen != officer.officer_id:
            _tell_assignee(session, services, officer, tip, chosen)
        return "assigned" if chosen else "unassigned"

    return _act(request, officer, tip_id, "assign", run)


def _tell_assignee(session: Session, services: Services, officer: Viewer, tip: Tip, assignee: int) -> None:
    """The assignee hears of it in the chat accounts they linked (no personal data in chat)."""
    public = services.settings.public_url
    text = replies.render(
        "officer_assigned",
        by=officer.full_name,
        code=tips.format_code(tip.code),
        modus=short_title(modus_title(services.library, tip.modus_id)),
        place=place_name(tip.province_code, tip.ward_code),
        link=f"{public.rstrip('/')}{PREFIX}/tips/{tip.id}" if public else None,
    )
    officer_links.notify_officer(
        session,
        officer_id=assignee,
        replies=[Reply(text)],
        kind="officer_assign",
        dedupe_key=f"tip:{tip.id}:assign:v{tip.version}",
    )


@router.post("/tips/{tip_id}/unit")
def tip_unit(
    request: Request,
    tip_id: int,
    unit: str = Form(""),
    version: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    """An administrator or provincial officer hands the tip to another unit; its status stays."""

    def run(session: Session) -> str:
        if not unit.isdigit():
            raise Problem("unit_unknown")
        try:
            tip_routing.move_tip(
                session,
                tip_id=tip_id,
                actor_officer_id=officer.officer_id,
                unit_id=int(unit),
                expected_version=_version(version),
            )
        except tips.NotPermitted:
            raise Problem("unit_not_movable") from None
        return "moved"

    return _act(request, officer, tip_id, "unit", run)


@router.post("/tips/{tip_id}/note")
def tip_note(
    request: Request,
    tip_id: int,
    note: str = Form("", max_length=4000),
    officer: Viewer = Depends(checked),
) -> Response:
    cipher = services_of(request).cipher

    def run(session: Session) -> str:
        if not note.strip():
            raise Problem("empty_note")
        tips.add_note(session, tip_id=tip_id, actor_officer_id=officer.officer_id, note=note, cipher=cipher)
        return "note"

    return _act(request, officer, tip_id, "note", run)


@router.post("/tips/{tip_id}/duplicate")
def tip_duplicate(
    request: Request,
    tip_id: int,
    original: str = Form("", max_length=32),
    note: str = Form("", max_length=4000),
    version: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    cipher = services_of(request).cipher

    def run(session: Session) -> str:
        original_id = _original_id(session, officer, original)
        if original_id is None:
            raise Problem("original_missing")
        tips.link_duplicate(
            session,
            tip_id=tip_id,
            actor_officer_id=officer.officer_id,
            original_id=original_id,
            cipher=cipher,
            note=note.strip() or None,
            expected_version=_version(version),
            notify_reporter=reporter_status,
        )
        return "duplicate"

    return _act(request, officer, tip_id, "duplicate", run)


def _original_id(session: Session, officer: Viewer, text: str) -> int | None:
    """The original as its id (from a suggestion) or its tracking code (typed)."""
    text = text.strip().lstrip("#")
    if text.isdigit() and len(text) < 10:
        return int(text)
    code = tips.normalize_code(text)
    if code is None:
        return None
    page = tips.list_tips(
        session, scope=officer_scope(session, officer), filters=tips.TipFilters(code=code), per_page=1
    )
    return page.rows[0].id if page.rows else None


@router.post("/tips/{tip_id}/confirm")
def tip_confirm(
    request: Request,
    tip_id: int,
    entity: list[str] = Form([]),
    version: str = Form(""),
    officer: Viewer = Depends(checked),
) -> Response:
    if not tip_context.can_confirm_entities(officer):
        raise Forbidden(
            action="tip.forbidden", target_type="tip", target_id=str(tip_id), detail={"operation": "confirm"}
        )
    entity_ids = [int(v) for v in entity if v.isdigit() and len(v) < 10]

    def run(session: Session) -> str:
        if not entity_ids:
            return "nothing_confirmed"
        done = tips.confirm_entities(
            session,
            tip_id=tip_id,
            actor_officer_id=officer.officer_id,
            entity_ids=entity_ids,
            expected_version=_version(version),
        )
        return "confirmed" if done else "nothing_confirmed"

    return _act(request, officer, tip_id, "confirm", run)
