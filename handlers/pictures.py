"""Check a picture: what a screenshot says (its text, its QR codes) is checked as text.

Residents rarely copy a suspicious message; they send a screenshot of it. The channel's
fetcher downloads the picture, a `ReadPicture` the composition root registers (see
bot/pictures) reads it, and the text is checked by the same engine as typed text. The
resident first sees what was read, so a misreading shows. The picture is never stored:
its bytes live only while it is read; the check keeps the verdict and entities, as for text.
"""

from __future__ import annotations

import logging

from content import replies
from content.messages import Button, Reply
from handlers import check
from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.context import HandlerContext
from handlers.messages import Attachment, IncomingMessage
from handlers.reading import PictureRefused, PictureText

log = logging.getLogger(__name__)

MAX_PICTURES = 10  # read per message (an album or a burst of screenshots)
SHOWN_CHARS = 280  # of the read text repeated to the resident


def is_picture(attachment: Attachment) -> bool:
    """A photo or a file that may be one; the reader decides by its bytes, not by its name."""
    return attachment.kind in ("photo", "document")


def wants(msg: IncomingMessage, ctx: HandlerContext) -> bool:
    """Whether this message is a picture to check (a reader is configured and a picture came)."""
    return ctx.read_picture is not None and any(is_picture(a) for a in msg.attachments)


def on_check_step(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    """The resident pressed "check" and then sent a screenshot rather than text."""
    if wants(msg, ctx):
        ctx.state.goto(None)
        return check_pictures(ctx, msg)
    return check.on_step(ctx, msg)


def check_pictures(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    """Read every picture of the message in order, then check the caption and the read text as one."""
    pictures = [a for a in msg.attachments if is_picture(a)][:MAX_PICTURES]
    read: list[str] = []
    refused: str | None = None
    for attachment in pictures:
        try:
            text = _read(ctx, attachment).joined
        except PictureRefused as exc:
            refused = refused or exc.reason
            log.info("picture not read: %s", exc.reason)
            continue
        if text:
            read.append(text)
    caption = msg.text.strip()
    if not read:
        if caption:
            return check.check_text(ctx, caption)
        text = replies.render(
            "picture_unread",
            reason=refused or "no_text",
            max_mb=max(1, ctx.report.evidence_max_bytes // 1_000_000),
        )
        return [Reply(text, buttons=[[Button(replies.label("help"), "help")], [check.menu_button()]])]
    shown = _shorten(" ".join(" ".join(read).split()))
    preface = Reply(
        replies.render("picture_read", text=shown, pictures=len(read), skipped=refused is not None)
    )
    return [preface, *check.check_text(ctx, "\n\n".join([caption, *read]) if caption else "\n\n".join(read))]


def _read(ctx: HandlerContext, attachment: Attachment) -> PictureText:
    assert ctx.read_picture is not None
    limit = ctx.report.evidence_max_bytes
    if attachment.size is not None and attachment.size > limit:
        raise PictureRefused("too_large")
    if ctx.fetch_attachment is None:
        raise PictureRefused("unavailable")
    try:
        data = ctx.fetch_attachment(attachment, limit)
    except AttachmentTooLarge as exc:
        raise PictureRefused("too_large") from exc
    except AttachmentUnavailable as exc:
        raise PictureRefused("unavailable") from exc
    return ctx.read_picture(data)


def _shorten(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    cut = text[:SHOWN_CHARS].rsplit(" ", 1)[0]
    return cut + " …"
