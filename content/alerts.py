"""What an alert looks like to a resident: one short message, from a library card or an officer's text.

Kept short enough to fit one message on every channel (Zalo allows 2,000 characters),
so each recipient costs one API call against the platform's rate limit.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from content import replies
from content.messages import Button, Reply
from content.schema import Card

MAX_TITLE = 120
MAX_BODY = 1200
MAX_POINTS = 3
# *bold* and _italic_, as officers type them in chat apps: a marker pair around text that
# neither starts nor ends with a space, on one line ("5 * 3 * 2" and snake_case stay as typed).
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")


def officer_markup(text: str) -> Markup:
    """The officer's text as the restricted HTML replies use: escaped, with *bold* and _italic_.

    Each channel then shows it as it can (bold on Telegram and the web chat, plain on Zalo,
    markers removed either way), and the console's preview renders it the same way.
    """
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return Markup(_ITALIC.sub(r"<i>\1</i>", escaped))


class AlertTextError(ValueError):
    """The officer's text cannot be sent as it is; `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def compose_alert(*, title: str, body: str = "", card: Card | None = None, sender: str = "") -> Reply:
    """The neutral reply every recipient gets; user text is escaped by the template."""
    title = " ".join(title.split())
    body = body.strip()
    if card is None and not body:
        raise AlertTextError("empty_body")
    if len(title) > MAX_TITLE:
        raise AlertTextError("title_too_long")
    if len(body) > MAX_BODY:
        raise AlertTextError("body_too_long")
    text = replies.render(
        "alert_broadcast",
        sender=sender,
        title=title or (card.title if card else ""),
        body=officer_markup(body),
        card=card,
        signs=card.warning_signs[:MAX_POINTS] if card else [],
        advice=card.what_to_do[:MAX_POINTS] if card else [],
    )
    rows: list[list[Button]] = []
    if card is not None:
        rows.append([Button(replies.label("alert_detail"), f"card:{card.id}")])
    rows.append([Button(replies.label("check"), "check")])
    rows.append([Button(replies.label("sub_stop"), "unsub")])
    return Reply(text, buttons=rows)
