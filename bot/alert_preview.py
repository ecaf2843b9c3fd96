"""An alert as each channel will show it: the console's preview before sending.

The same renderer the channels use (bot.channels.render) splits and formats the
message with each channel's capabilities, so what the officer sees is what goes out:
HTML on Telegram, plain text and at most 2,000 characters per message on Zalo.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.channels.base import Channel
from bot.channels.render import render, to_plain
from content.messages import Reply

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo": "Zalo (OA)",
    "zalo_bot": "Zalo Bot",
    "web": "Trò chuyện trên web",
}


@dataclass(frozen=True)
class ChannelPreview:
    channel: str
    name: str
    formatted: bool
    messages: list[str]  # safe HTML for the console page, one entry per message sent
    buttons: list[str]
    characters: int
    limit: int

    @property
    def single_message(self) -> bool:
        return len(self.messages) == 1


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel)


def preview(replies: list[Reply], channels: Mapping[str, Channel]) -> list[ChannelPreview]:
    """One preview per channel, in the order given."""
    out: list[ChannelPreview] = []
    for name, channel in channels.items():
        caps = channel.capabilities
        messages: list[str] = []
        buttons: list[str] = []
        characters = 0
        for rendered in render(replies, caps):
            for chunk in rendered.chunks:
                characters = max(characters, len(to_plain(chunk) if caps.html else chunk))
                messages.append(_safe(chunk, formatted=caps.html))
            buttons.extend(to_plain(b.label) for row in rendered.buttons for b in row)
        out.append(
            ChannelPreview(
                channel=name,
                name=channel_name(name),
                formatted=caps.html,
                messages=messages,
                buttons=buttons,
                characters=characters,
                limit=caps.max_len,
            )
        )
    return out


def _safe(chunk: str, *, formatted: bool) -> str:
    """HTML for the console: plain channels fully escaped; Telegram's text keeps its simple tags.

    The channel text is restricted HTML whose user values are already escaped, so only the
    tags need deciding: b/i/u/s/code/pre stay, a link shows its text, anything else is escaped.
    """
    if not formatted:
        return html.escape(chunk, quote=False).replace("\n", "<br>")

    def tag(match: re.Match[str]) -> str:
        raw = match.group(0)
        if _SIMPLE_TAG.fullmatch(raw):
            return raw.lower()
        if _LINK_TAG.fullmatch(raw):
            return ""
        return html.escape(raw, quote=False)

    return _ANY_TAG.sub(tag, chunk).replace("\n", "<br>")


_ANY_TAG = re.compile(r"<[^<>]*>")
_SIMPLE_TAG = re.compile(r"</?(b|i|u|s|code|pre)>", re.IGNORECASE)
_LINK_TAG = re.compile(r'<a\s+href="[^"]*"\s*>|</a>', re.IGNORECASE)
