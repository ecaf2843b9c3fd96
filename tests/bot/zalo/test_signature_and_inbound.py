"""The webhook signature and the translation of OA events, on the fixture files."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.channels.zalo.inbound import classify, sanitize, to_messages
from bot.channels.zalo.signature import VARIANTS, SignatureVerifier, parse_variants
from handlers.messages import Location
from tests.bot.zalo.conftest import DATA
from tests.fakes.zalo import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY

SIGNED = json.loads((DATA / "signatures.json").read_text())
USER = "2468458835296197922"


def load(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((DATA / f"{name}.json").read_bytes())


def verifier(**kwargs: object) -> SignatureVerifier:
    return SignatureVerifier(app_id=APP_ID, oa_secret_key=OA_SECRET_KEY, **kwargs)  # type: ignore[arg-type]


def test_reference_worked_example() -> None:
    body = (DATA / "worked_example.json").read_bytes()
    header = "mac=6880517fff35f17b0b3688c5dcbd635e40907e42c39e0c9584acea13d8cc89b6"
    assert verifier().verify(header, body) == "app_id+oa_secret_key"
    assert verifier().verify(header.removeprefix("mac="), body) == "app_id+oa_secret_key"  # prefix optional
    assert verifier().verify("MAC=" + header[4:].upper(), body) == "app_id+oa_secret_key"


@pytest.mark.parametrize("name", sorted(SIGNED["signatures"]))
def test_fixture_signatures(name: str) -> None:
    assert SIGNED["app_id"] == APP_ID and SIGNED["oa_secret_key"] == OA_SECRET_KEY
    body = (DATA / name).read_bytes()
    assert verifier().verify(SIGNED["signatures"][name], body) == "app_id+oa_secret_key"
    assert (
        SignatureVerifier(app_id=APP_ID, oa_secret_key="other").verify(SIGNED["signatures"][name], body)
        is None
    )


def test_rejects_missing_short_and_reserialised() -> None:
    body = (DATA / "user_send_text.json").read_bytes()
    header = SIGNED["signatures"]["user_send_text.json"]
    assert verifier().verify(None, body) is None
    assert verifier().verify("mac=abc", body) is None
    pretty = json.dumps(json.loads(body), ensure_ascii=False, indent=1).encode()
    assert verifier().verify(header, pretty) is None  # the raw bytes count, not the JSON meaning
    assert verifier().verify(header, b"not json") is None


def test_other_variants_only_when_configured() -> None:
    body = (DATA / "user_send_text.json").read_bytes()
    timestamp = json.loads(body)["timestamp"]
    header = (
        "mac=" + hashlib.sha256(OA_ID.encode() + body + timestamp.encode() + APP_SECRET.encode()).hexdigest()
    )
    assert verifier(app_secret=APP_SECRET, oa_id=OA_ID).verify(header, body) is None
    every = verifier(app_secret=APP_SECRET, oa_id=OA_ID, variants=parse_variants("auto"))
    assert every.verify(header, body) == "oa_id+app_secret"
    assert parse_variants("auto") == tuple(VARIANTS)
    with pytest.raises(ValueError, match="unknown"):
        parse_variants("app_id+nothing")


def test_text_and_button_payload() -> None:
    [typed] = to_messages(load("user_send_text"))
    assert typed.text == "Tôi bị lừa chuyển khoản" and typed.payload is None and typed.user_key == USER
    assert typed.platform_id == "96d3cdf3af150460909" and typed.received_at.year == 2025
    [pressed] = to_messages(load("user_send_text_button"))
    assert pressed.payload == "card:impersonate-authority" and pressed.text == ""


def test_attachments() -> None:
    [image] = to_messages(load("user_send_image"))
    assert image.text == "ảnh chụp tin nhắn"
    assert (
        image.attachments[0].kind == "photo"
        and image.attachments[0].url == "https://photo-zmp3.zadn.vn/e/1.jpg"
    )
    [file] = to_messages(load("user_send_file"))
    assert (file.attachments[0].kind, file.attachments[0].name, file.attachments[0].size) == (
        "document",
        "sao-ke.pdf",
        9999,
    )
    [sticker] = to_messages(load("user_send_sticker"))
    assert sticker.attachments[0].kind == "sticker" and sticker.attachments[0].ref == "bfe458bf64fa8da4d4eb"
    [link] = to_messages(load("user_send_link"))
    assert link.text == "https://vietcombank-xacthuc.top/login"  # a shared link gets checked


@pytest.mark.parametrize(
    "message",
    [
        {
            "attachments": [
                {"type": "location", "payload": {"coordinates": {"latitude": "10.76", "longitude": "106.65"}}}
            ]
        },
        {"attachments": [{"type": "location", "payload": {"coordinates": {"lat": 10.76, "long": 106.65}}}]},
        {"location": {"latitude": 10.76, "longitude": 106.65}},
    ],
)
def test_location_variants(message: dict) -> None:  # type: ignore[type-arg]
    data = load("user_send_location")
    data["message"] = {"msg_id": "x", **message}
    [msg] = to_messages(data)
    assert msg.location == Location(10.76, 106.65)


def test_follow_unfollow_submit_info() -> None:
    [follow] = to_messages(load("follow"))
    assert follow.payload == "follow" and follow.user_key == USER
    assert to_messages(load("unfollow")) == []
    data = load("user_submit_info")
    [info] = to_messages(data)
    assert info.contact_phone == "+84912345678" and info.display_name == "Nguyễn Văn A"
    assert sanitize(data)["info"] == {"name": "Nguyễn Văn A", "phone": "84912345678"}
    assert classify(data).platform_id == f"user_submit_info:1735689800000:{USER}"


def test_echo_and_unknown_give_nothing() -> None:
    assert classify(load("oa_send_text")).kind == "echo" and to_messages(load("oa_send_text")) == []
    assert classify(load("user_reacted_message")).kind == "unknown"
    assert to_messages(load("user_reacted_message")) == []


def test_malformed_message_event_raises() -> None:
    data = load("user_send_text")
    data["message"] = "oops"
    with pytest.raises(ValueError):
        to_messages(data)
