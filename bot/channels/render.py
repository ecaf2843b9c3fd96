"""Neutral replies → what a channel can show: HTML or plain text, split to length, numbered options."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from bot.channels.base import Capabilities
from content.messages import Button, Reply

_TAG = re.compile(r"<(/?)(b|i|u|s|code|pre|a)(\s+href=\"([^\"]*)\")?\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Rendered:
    """One message to send: text chunks (the last carries the buttons) and its keyboard."""

    chunks: list[str]
    buttons: list[list[Button]]


def to_plain(text: str) -> str:
    """Strip the restricted HTML; links become 'label (url)'; entities are unescaped."""

    def repl(match: re.Match[str]) -> str:
        return ""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        label_plain = html.unescape(_TAG.sub(repl, label))
        return label_plain if label_plain == url else f"{label_plain} ({url})"

    text = re.sub(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', link, text, flags=re.IGNORECASE | re.DOTALL)
    return html.unescape(_TAG.sub(repl, text))


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then sentence, then word boundaries; never mid-tag in HTML."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _best_cut(text: str, limit: int) -> int:
    window = text[:limit]
    for sep in ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "):
        pos = window.rfind(sep)
        if pos > limit // 3:
            cut = pos + len(sep)
            # do not cut inside a tag or an entity
            if window.rfind("<", 0, cut) <= window.rfind(">", 0, cut) and (
                window.rfind("&", 0, cut) <= window.rfind(";", 0, cut)
            ):
                return cut
    return limit


def _balance_tags(chunks: list[str]) -> list[str]:
    """Close tags left open at a chunk's end and reopen them at the start of the next one."""
    balanced: list[str] = []
    carry: list[tuple[str, str]] = []  # (tag name, opening tag as written)
    for chunk in chunks:
        stack = list(carry)
        for m in _TAG.finditer(chunk):
            name = m.group(2).lower()
            if m.group(1) != "/":
                stack.append((name, m.group(0)))
                continue
            for idx in range(len(stack) - 1, -1, -1):
                if stack[idx][0] == name:
                    del stack[idx]
                    break
        prefix = "".join(tag for _, tag in carry)
        suffix = "".join(f"</{name}>" for name, _ in reversed(stack))
        balanced.append(prefix + chunk + suffix)
        carry = stack
    return balanced


def render(replies: list[Reply], caps: Capabilities) -> list[Rendered]:
    """Render a batch; without buttons, options are numbered across the whole batch."""
    out: list[Rendered] = []
    number = 0
    for reply in replies:
        text = unicodedata.normalize("NFC", reply.text)
        buttons = reply.buttons
        if not caps.buttons and reply.buttons:
            lines = []
            for button in reply.flat_buttons():
                if button.url:
                    lines.append(f"• {button.label}: {button.url}")
                else:
                    number += 1
                    lines.append(f"{number}. {html.escape(button.label, quote=False)}")
            text = text + "\n\n" + "\n".join(lines)
            buttons = []
        if caps.html:
            chunks = _balance_tags(split_text(text, caps.max_len - 64))
        else:
            chunks = split_text(to_plain(text), caps.max_len)
        out.append(Rendered(chunks=chunks or [""], buttons=buttons))
    return out
