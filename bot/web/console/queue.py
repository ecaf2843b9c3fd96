"""The tip queue: filters, sorting, paging and counts, over the officer's scope only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from bot.web.console import queue_context
from bot.web.console.queue_context import PER_PAGE, QueueQuery
from bot.web.console.security import ConsoleRoute, Viewer, services_of, viewer
from bot.web.console.templates import render
from storage import audit, officers, tips
from storage.db import transaction

router = APIRouter(route_class=ConsoleRoute)


def officer_scope(session: Session, officer: Viewer) -> tips.Scope:
    """The viewer's scope, read fresh each request (a unit change applies at once)."""
    me = officers.get_officer(session, officer.officer_id)
    return tips.scope_for(session, me) if me is not None else tips.Scope()


@router.get("/tips")
def queue(request: Request, officer: Viewer = Depends(viewer)) -> Response:
    services = services_of(request)
    query = QueueQuery.parse(request.query_params, request.query_params.getlist("status"))
    with transaction(services.engine) as session:
        scope = officer_scope(session, officer)
        page = tips.list_tips(
            session,
            scope=scope,
            filters=query.filters(officer.officer_id),
            sort=query.sort,
            page=query.page,
            per_page=PER_PAGE,
        )
        # A list shows no story or contact, but who listed which tips is still worth knowing.
        audit.record(
            session,
            actor=officer.actor,
            action="tip.list",
            target_type="tip",
            detail={"filters": query.active(), "page": query.page, "shown": [t.id for t in page.rows]},
        )
        view = queue_context.queue_page(
            session,
            viewer=officer,
            library=services.library,
            query=query,
            page=page,
        )
    return render(request, "queue.html", {"page": view})
