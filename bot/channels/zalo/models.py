"""Typed requests and responses of the Zalo OA API v3 (shapes from the official SDKs' samples).

IDs and timestamps are strings on the wire (they exceed 2^53), and stay strings here.
Responses ignore fields they do not know, so additions on Zalo's side break nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 2000  # characters per text message (official docs)
MAX_BUTTONS = 5  # per message; the official PHP SDK's cap, Zalo's own limit is unpublished


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, by_alias=True)


# -- requests ---------------------------------------------------------------------------


class ZaloButton(_Request):
    """A template button; `oa.query.hide` sends `payload` back as a message from the user."""

    title: str = Field(max_length=100)
    type: Literal["oa.query.hide", "oa.query.show", "oa.open.url", "oa.open.phone", "oa.open.sms"]
    payload: str | dict[str, str]

    @classmethod
    def query(cls, title: str, payload: str, *, hidden: bool = True) -> ZaloButton:
        return cls(title=title, type="oa.query.hide" if hidden else "oa.query.show", payload=payload)

    @classmethod
    def link(cls, title: str, url: str) -> ZaloButton:
        return cls(title=title, type="oa.open.url", payload={"url": url})

    @classmethod
    def phone(cls, title: str, phone_code: str) -> ZaloButton:
        return cls(title=title, type="oa.open.phone", payload={"phone_code": phone_code})


class Recipient(_Request):
    user_id: str


class MediaElement(_Request):
    media_type: Literal["image", "gif", "sticker"] = "image"
    url: str | None = None
    attachment_id: str | None = None
    width: int | None = None
    height: int | None = None


class InfoElement(_Request):
    title: str = Field(max_length=100)
    subtitle: str = Field(max_length=500)
    image_url: str | None = None


class TemplatePayload(_Request):
    template_type: Literal["media", "request_user_info"] | None = None
    buttons: list[ZaloButton] | None = Field(default=None, max_length=MAX_BUTTONS)
    elements: list[MediaElement | InfoElement] | None = None


class FilePayload(_Request):
    token: str


class MessageAttachment(_Request):
    type: Literal["template", "file"]
    payload: TemplatePayload | FilePayload


class Message(_Request):
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    attachment: MessageAttachment | None = None
    quote_message_id: str | None = None


class ConsultationRequest(_Request):
    """Body of `POST /v3.0/oa/message/cs` (a 'tin tư vấn', bound to the 7-day window)."""

    recipient: Recipient
    message: Message


# -- responses --------------------------------------------------------------------------


class SendResult(_Response):
    message_id: str = ""
    user_id: str | None = None
    sent_time: str | None = None


class UploadResult(_Response):
    attachment_id: str


class FileUploadResult(_Response):
    token: str


class SharedInfo(_Response):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    district: str | None = None


class UserProfile(_Response):
    """`GET /v3.0/oa/user/detail`; personal data: read only what a feature needs, keep nothing else."""

    user_id: str
    user_id_by_app: str | None = None
    display_name: str | None = None
    avatar: str | None = None
    user_is_follower: bool | None = None
    user_last_interaction_date: str | None = None  # "DD/MM/YYYY"
    is_sensitive: bool | None = None
    shared_info: SharedInfo | None = None

    @property
    def last_interaction(self) -> dt.date | None:
        if not self.user_last_interaction_date:
            return None
        try:
            # strptime gives a naive datetime; only the date part is used.
            return dt.datetime.strptime(self.user_last_interaction_date, "%d/%m/%Y").date()  # noqa: DTZ007
        except ValueError:
            return None


class OAInfo(_Response):
    oa_id: str = Field(alias="oaid")
    name: str | None = None
    is_verified: bool | None = None
    package_name: str | None = None
    num_follower: int | None = None


class TokenPair(_Response):
    """OAuth v4 answer; `expires_in` arrives as a string of seconds."""

    access_token: str = Field(repr=False)
    refresh_token: str = Field(repr=False)
    expires_in: int = 90_000
    refresh_token_expires_in: int | None = None
