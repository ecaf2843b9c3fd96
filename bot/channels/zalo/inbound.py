"""OA webhook events → neutral `IncomingMessage`s.

Button taps (`oa.query.hide`) come back as ordinary `user_send_text` messages whose text
is the button's payload, so our payloads carry a prefix typed text will not have. Our
own messages echo back as `oa_send_*` events and are ignored. Events we do not know are
acknowledged and logged, never processed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from handlers.messages import Attachment, IncomingMessage, Location

log = logging.getLogger(__name__)

CHANNEL = "zalo"
PAYLOAD_PREFIX = "#cg:"
# What a new follower gets: a greeting that offers alerts for their commune (handlers/subscribe.py).
FOLLOW_PAYLOAD = "follow"

MESSAGE_EVENTS = frozenset(
    {
        "user_send_text",
        "user_send_image",
        "user_send_gif",
        "user_send_file",
        "user_send_sticker",
        "user_send_location",
        "user_send_link",
        "user_send_audio",
        "user_send_video",
        "user_send_business_card",
    }
)
HANDLED_EVENTS = MESSAGE_EVENTS | {"follow", "unfollow", "user_submit_info"}
# Receipts and bookkeeping: acknowledged quietly.
QUIET_EVENTS = frozenset({"user_received_message", "user_seen_message", "add_user_to_tag"})

ATTACHMENT_KINDS = {
    "image": "photo",
    "gif": "photo",
    "file": "document",
    "sticker": "sticker",
    "audio": "audio",
    "voice": "audio",
    "video": "video",
    "link": "link",
    "business_card": "contact",
}

EventKind = Literal["handled", "echo", "quiet", "unknown"]


@dataclass(frozen=True)
class Event:
    """What the webhook needs before recording: the kind, the user and a dedupe id."""

    name: str
    kind: EventKind
    user_key: str
    platform_id: str


def encode_payload(payload: str) -> str:
    return PAYLOAD_PREFIX + payload


def classify(data: dict[str, Any]) -> Event:
    name = str(data.get("event_name") or "")
    if name.startswith("oa_send_"):
        kind: EventKind = "echo"
    elif name in HANDLED_EVENTS:
        kind = "handled"
    elif name in QUIET_EVENTS:
        kind = "quiet"
    else:
        kind = "unknown"
    user = _user_id(data)
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    msg_id = str(message.get("msg_id") or "") if isinstance(message, dict) else ""
    platform_id = msg_id or f"{name}:{data.get('timestamp', '')}:{user}"
    return Event(name=name, kind=kind, user_key=user, platform_id=platform_id[:128])


def sanitize(data: dict[str, Any]) -> dict[str, Any]:
    """What is kept of an event: for the info form only the name and phone (collect only what is needed)."""
    if data.get("event_name") != "user_submit_info" or not isinstance(data.get("info"), dict):
        return data
    info = data["info"]
    kept = {key: info[key] for key in ("name", "phone") if isinstance(info.get(key), str)}
    return {**data, "info": kept}


def to_messages(data: dict[str, Any], *, channel: str = CHANNEL) -> list[IncomingMessage]:
    """The messages an event carries; empty for echoes, unfollows and unknown events."""
    event = classify(data)
    if event.kind != "handled" or event.name == "unfollow":
        return []
    if not event.user_key:
        raise ValueError(f"{event.name} without a user id")
    common: dict[str, Any] = {
        "channel": channel,
        "user_key": event.user_key,
        "received_at": event_time(data),
        "platform_id": event.platform_id,
        "extras": {"zalo_event": event.name},
    }
    if event.name == "follow":
        return [IncomingMessage(payload=FOLLOW_PAYLOAD, **common)]
    if event.name == "user_submit_info":
        info = data.get("info") if isinstance(data.get("info"), dict) else {}
        assert isinstance(info, dict)
        return [
            IncomingMessage(
                contact_phone=_phone(info.get("phone")),
                display_name=str(info["name"])[:200] if info.get("name") else None,
                **common,
            )
        ]
    message = data.get("message")
    if not isinstance(message, dict):
        raise ValueError(f"{event.name} without a message")
    text = str(message.get("text") or "")
    if event.name == "user_send_text" and text.startswith(PAYLOAD_PREFIX):
        return [IncomingMessage(payload=text[len(PAYLOAD_PREFIX) :].strip()[:64], **common)]
    attachments, location = _attachments(message)
    if event.name == "user_send_link" and not text:
        # A shared link is exactly what a resident wants checked.
        text = next((a.url for a in attachments if a.kind == "link" and a.url), "")
    return [IncomingMessage(text=text, attachments=tuple(attachments), location=location, **common)]


def _user_id(data: dict[str, Any]) -> str:
    for key in ("sender", "follower", "user"):
        part = data.get(key)
        if isinstance(part, dict) and part.get("id"):
            return str(part["id"])[:128]
    return str(data.get("user_id") or "")[:128]


def event_time(data: dict[str, Any]) -> dt.datetime:
    """The event's own time (ms), never later than now: it sets the user's messaging window and
    orders an unfollow against messages that arrive late."""
    now = dt.datetime.now(dt.UTC)
    try:
        return min(now, dt.datetime.fromtimestamp(int(str(data.get("timestamp"))) / 1000, tz=dt.UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return now


def _phone(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        return None
    if digits.startswith("84"):
        return "+" + digits
    if digits.startswith("0"):
        return "+84" + digits[1:]
    return digits


def _attachments(message: dict[str, Any]) -> tuple[list[Attachment], Location | None]:
    found: list[Attachment] = []
    location = _location(message.get("location"))
    raw = message.get("attachments")
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type") or "")
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        assert isinstance(payload, dict)
        if kind == "location":
            location = location or _location(payload.get("coordinates") or payload)
            continue
        url = payload.get("url") if isinstance(payload.get("url"), str) else None
        size = payload.get("size")
        found.append(
            Attachment(
                kind=ATTACHMENT_KINDS.get(kind, "document"),
                ref=str(payload.get("id") or url or "")[:500],
                name=str(payload["name"])[:200] if payload.get("name") else None,
                size=int(size) if isinstance(size, (int, str)) and str(size).isdigit() else None,
                url=url,
            )
        )
    return found, location


def _location(value: object) -> Location | None:
    """Coordinates as {latitude, longitude} or {lat, long|lng}, strings or numbers."""
    if not isinstance(value, dict):
        return None
    lat = value.get("latitude", value.get("lat"))
    lon = value.get("longitude", value.get("long", value.get("lng")))
    try:
        latitude, longitude = float(str(lat)), float(str(lon))
    except (TypeError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Location(latitude=latitude, longitude=longitude)
