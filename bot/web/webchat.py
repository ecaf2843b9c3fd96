"""The local web chat: a page at / and a small JSON API over the same handlers."""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from bot.channels.webchat.channel import WebChatChannel, to_json
from handlers.conversation import apology
from handlers.messages import Attachment, IncomingMessage

log = logging.getLogger(__name__)
router = APIRouter()
COOKIE = "cg_chat"
PAGE = Path(__file__).parent / "templates" / "webchat.html"
STATIC = Path(__file__).parent / "static"


class ChatIn(BaseModel):
    text: str = Field(default="", max_length=100_000)
    payload: str | None = Field(default=None, max_length=64)


def _user_key(request: Request) -> tuple[str, bool]:
    key = request.cookies.get(COOKIE, "")
    if len(key) == 32 and key.isalnum():
        return key, False
    return secrets.token_hex(16), True


def _channel(request: Request) -> WebChatChannel:
    services = request.app.state.services
    channel = services.channels.get("web")
    if not isinstance(channel, WebChatChannel):
        channel = WebChatChannel()
        services.channels["web"] = channel
    services.conversations.fetchers["web"] = channel.fetch
    return channel


@router.get("/", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))


@router.get("/webchat.js", include_in_schema=False)
async def script() -> FileResponse:
    # A file of its own rather than inline, so the page's policy allows scripts from this origin only.
    return FileResponse(STATIC / "webchat.js", media_type="text/javascript")


@router.get("/webchat.css", include_in_schema=False)
async def stylesheet() -> FileResponse:
    return FileResponse(STATIC / "webchat.css", media_type="text/css")


@router.post("/api/chat")
async def chat(body: ChatIn, request: Request, response: Response) -> JSONResponse:
    user_key, fresh = _user_key(request)
    services = request.app.state.services
    channel = _channel(request)
    msg = IncomingMessage(channel="web", user_key=user_key, text=body.text, payload=body.payload)
    try:
        replies = await asyncio.to_thread(services.conversations.handle, msg)
    except Exception:
        log.exception("web chat message failed")
        replies = apology()
    messages: list[dict[str, Any]] = await channel.collect(user_key) + to_json(replies)
    result = JSONResponse({"messages": messages})
    if fresh:
        result.set_cookie(COOKIE, user_key, httponly=True, samesite="lax", max_age=30 * 86400)
    return result


@router.get("/api/chat/updates")
async def updates(request: Request) -> JSONResponse:
    user_key, _ = _user_key(request)
    return JSONResponse({"messages": await _channel(request).collect(user_key)})


@router.post("/api/chat/upload")
async def upload(
    request: Request, file: UploadFile, text: str = Form(default="", max_length=4000)
) -> JSONResponse:
    """A file from the chat page: read up to the evidence limit, handled as an attachment."""
    user_key, fresh = _user_key(request)
    services = request.app.state.services
    channel = _channel(request)
    limit = services.settings.evidence_max_bytes
    data = await file.read(limit + 1)  # never more than one byte past the limit
    await file.close()
    too_large = len(data) > limit
    ref = channel.keep_upload(b"" if too_large else data)
    mime = file.content_type or "application/octet-stream"
    attachment = Attachment(
        kind="photo" if mime.startswith("image/") else "document",
        ref=ref,
        name=(file.filename or "")[:200] or None,
        mime=mime,
        size=len(data) if not too_large else limit + 1,
    )
    msg = IncomingMessage(channel="web", user_key=user_key, text=text, attachments=(attachment,))
    try:
        replies = await asyncio.to_thread(services.conversations.handle, msg)
    except Exception:
        log.exception("web chat upload failed")
        replies = apology()
    finally:
        channel.forget_upload(ref)
    result = JSONResponse({"messages": await channel.collect(user_key) + to_json(replies)})
    if fresh:
        result.set_cookie(COOKIE, user_key, httponly=True, samesite="lax", max_age=30 * 86400)
    return result
