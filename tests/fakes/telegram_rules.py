"""What the Bot API checks in what we send, and the errors it answers (for the fake server).

Telegram parses HTML with a small set of tags, counts length in UTF-16 units after parsing,
and limits callback_data to 64 bytes; our bugs there must show up in tests as they would
in production: as the same 400 answers.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

# Tags Telegram's HTML parse mode accepts (Bot API "HTML style").
_ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def check_text(text: str, parse_mode: Any, *, limit: int, what: str, empty_ok: bool = False) -> str:
    """Parse as Telegram does; returns the text without markup, or raises the 400 Telegram gives."""
    plain = html_to_plain(text) if str(parse_mode or "").upper() == "HTML" else text
    if not plain.strip() and not empty_ok:
        raise ApiError(400, f"Bad Request: {what} is empty")
    if len(plain.encode("utf-16-le")) // 2 > limit:
        raise ApiError(
            400, "Bad Request: message is too long" if limit == 4096 else "Bad Request: caption is too long"
        )
    return plain


def html_to_plain(text: str) -> str:
    """Telegram's HTML parse mode: only known tags, properly nested, every other < escaped."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    for match in _TAG.finditer(text):
        _check_plain(text[pos : match.start()], pos)
        out.append(text[pos : match.start()])
        pos = match.end()
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _ALLOWED_TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"')
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"')
    _check_plain(text[pos:], pos)
    out.append(text[pos:])
    if stack:
        raise ApiError(
            400, f"Bad Request: can't parse entities: Can't find end tag corresponding to \"{stack[-1]}\""
        )
    return unescape("".join(out))


def _check_plain(segment: str, offset: int) -> None:
    if "<" in segment or ">" in segment:
        raise ApiError(
            400, f"Bad Request: can't parse entities: Unexpected character at byte offset {offset}"
        )
    for index, char in enumerate(segment):
        if char == "&" and not _ENTITY.match(segment, index):
            raise ApiError(
                400,
                "Bad Request: can't parse entities: "
                f"Character '&' is reserved at byte offset {offset + index}",
            )


def check_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
