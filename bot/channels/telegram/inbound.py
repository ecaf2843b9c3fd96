"""Telegram updates → neutral incoming messages.

The payload is the update's JSON exactly as Telegram sent it (stored in the inbox); it is
parsed with aiogram's own types, so a valid update here is what the Bot API calls valid.
The user key is the private chat's id as text. Other chats (groups, channels) are not
conversations with a resident and are ignored.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import Message, MessageOriginChannel, MessageOriginChat, MessageOriginUser, Update

from bot.channels.telegram import CHANNEL
from handlers.messages import Attachment, IncomingMessage, Location


def parse_update(payload: Any) -> Update:
    """Validate a Telegram update; raises ValueError (pydantic's ValidationError) when it is not one."""
    if not isinstance(payload, dict):
        raise ValueError("an update is a JSON object")
    return Update.model_validate(payload)


def user_key_of(update: Update) -> str | None:
    """The private chat this update belongs to, or None when the bot has nothing to do with it."""
    if update.message is not None:
        return _private_chat(update.message)
    if update.callback_query is not None:
        message = update.callback_query.message
        if message is None or message.chat.type != "private":
            return None
        return str(message.chat.id)
    if update.my_chat_member is not None:
        chat = update.my_chat_member.chat
        return str(chat.id) if chat.type == "private" else None
    return None  # edited messages, inline queries, channel posts…: not asked for, not acted on


def _private_chat(message: Message) -> str | None:
    return str(message.chat.id) if message.chat.type == "private" else None


def blocked_by_user(update: Update) -> str | None:
    """The chat whose user just blocked the bot (my_chat_member → kicked), else None."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return None
    return str(change.chat.id) if change.new_chat_member.status == "kicked" else None


def to_messages(payload: dict[str, Any]) -> list[IncomingMessage]:
    """What the resident did, in neutral terms; empty when there is nothing to answer."""
    update = parse_update(payload)
    user_key = user_key_of(update)
    if user_key is None:
        return []
    platform_id = str(update.update_id)
    if update.message is not None:
        return [_from_message(update.message, user_key, platform_id)]
    query = update.callback_query
    if query is not None and query.data:
        extras: dict[str, Any] = {"callback_query_id": query.id}
        if query.message is not None:
            extras["message_id"] = query.message.message_id
        return [
            IncomingMessage(
                channel=CHANNEL,
                user_key=user_key,
                payload=query.data,
                display_name=query.from_user.full_name,
                platform_id=platform_id,
                extras=extras,
            )
        ]
    return []  # my_chat_member: handled as a platform chore, not a message


def _from_message(message: Message, user_key: str, platform_id: str) -> IncomingMessage:
    text = message.text or message.caption or ""
    contact_phone: str | None = None
    if message.contact is not None:
        sender = message.from_user.id if message.from_user else None
        if message.contact.user_id is not None and message.contact.user_id == sender:
            contact_phone = message.contact.phone_number  # the resident shared their own number
        else:
            # Someone else's contact card (often the scammer's): check it like a pasted number.
            name = " ".join(p for p in (message.contact.first_name, message.contact.last_name) if p)
            text = f"{text}\n{name} {message.contact.phone_number}".strip()
    extras: dict[str, Any] = {"message_id": message.message_id}
    if message.media_group_id:
        extras["media_group_id"] = message.media_group_id
    origin = _forward_origin(message)
    if origin:
        extras["forward_origin"] = origin
    location = None
    if message.location is not None:
        location = Location(latitude=message.location.latitude, longitude=message.location.longitude)
    return IncomingMessage(
        channel=CHANNEL,
        user_key=user_key,
        text=text,
        forwarded=message.forward_origin is not None,
        attachments=_attachments(message),
        contact_phone=contact_phone,
        location=location,
        display_name=message.from_user.full_name if message.from_user else None,
        received_at=message.date,
        platform_id=platform_id,
        extras=extras,
    )


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        best = max(message.photo, key=lambda p: p.width * p.height)
        found.append(Attachment(kind="photo", ref=best.file_id, mime="image/jpeg", size=best.file_size))
    if message.document is not None:
        doc = message.document
        found.append(
            Attachment(
                kind="document",
                ref=doc.file_id,
                name=doc.file_name,
                mime=doc.mime_type,
                size=doc.file_size,
            )
        )
    for kind, media in (
        ("video", message.video),
        ("video", message.video_note),
        ("video", message.animation),
        ("audio", message.audio),
        ("audio", message.voice),
        ("sticker", message.sticker),
    ):
        if media is not None:
            found.append(Attachment(kind=kind, ref=media.file_id, size=media.file_size))
    return tuple(found)


def _forward_origin(message: Message) -> dict[str, Any] | None:
    """Who wrote a forwarded message, as far as Telegram tells (a scammer's account is evidence)."""
    origin = message.forward_origin
    if origin is None:
        return None
    info: dict[str, Any] = {"type": origin.type}
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        info.update(id=user.id, name=user.full_name, username=user.username)
    elif isinstance(origin, MessageOriginChat):
        info.update(id=origin.sender_chat.id, name=origin.sender_chat.title)
    elif isinstance(origin, MessageOriginChannel):
        info.update(id=origin.chat.id, name=origin.chat.title, username=origin.chat.username)
    else:
        info["name"] = getattr(origin, "sender_user_name", None)
    return {k: v for k, v in info.items() if v is not None}
