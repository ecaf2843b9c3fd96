"""Neutral outgoing messages, shared by handlers, the outbox and every channel.

`Reply.text` is restricted HTML: only <b>, <i>, <u>, <s>, <code>, <pre>, <a href>, with
every user-supplied value already escaped (the reply templates autoescape). Telegram
sends it as HTML; plain channels strip it when rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A choice; `payload` is a short id the handlers understand, never free text."""

    label: str
    payload: str
    url: str | None = None


@dataclass(frozen=True)
class Media:
    """A picture or file: a URL, or a local path the channel uploads."""

    kind: str  # "photo" or "document"
    url: str | None = None
    path: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    request_contact: bool = False

    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [[_button_dict(b) for b in row] for row in self.buttons],
        }
        if self.media:
            data["media"] = [
                {"kind": m.kind, "url": m.url, "path": m.path, "caption": m.caption} for m in self.media
            ]
        if self.request_contact:
            data["request_contact"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=str(data.get("text", "")),
            buttons=[
                [Button(b["label"], b["payload"], b.get("url")) for b in row]
                for row in data.get("buttons", [])
            ],
            media=[Media(**m) for m in data.get("media", [])],
            request_contact=bool(data.get("request_contact", False)),
        )


def _button_dict(button: Button) -> dict[str, Any]:
    data: dict[str, Any] = {"label": button.label, "payload": button.payload}
    if button.url:
        data["url"] = button.url
    return data


def replies_to_payload(replies: list[Reply]) -> dict[str, Any]:
    return {"replies": [r.to_dict() for r in replies]}


def replies_from_payload(payload: dict[str, Any]) -> list[Reply]:
    return [Reply.from_dict(r) for r in payload.get("replies", [])]
