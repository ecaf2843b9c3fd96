"""Evidence files: fetched through the channel, checked by content (not by the name the
platform reports), stored through the evidence store, recorded in the draft.

Accepted: pictures (JPEG, PNG, WebP, GIF, HEIC), PDF, short videos (MP4, MOV) and voice
recordings (MP3, M4A, OGG, AMR), up to the configured size. Anything else — archives,
programs, office files — is refused with a message and nothing is stored.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from handlers.attachments import AttachmentTooLarge, AttachmentUnavailable
from handlers.context import HandlerContext
from handlers.messages import Attachment
from handlers.report.draft import Draft

log = logging.getLogger(__name__)
_FTYP_IMAGE = {b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc", b"avif"}
_FTYP_AUDIO = {b"M4A ", b"M4B "}
_FTYP_MOV = {b"qt  "}
_SAFE_NAME = re.compile(r"[^\w.\- ]+")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/amr": "amr",
}


def sniff(data: bytes) -> str | None:
    """The file's real type from its first bytes; None when it is not one we accept."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE:
            return "image/heic"
        if brand in _FTYP_AUDIO:
            return "audio/mp4"
        if brand in _FTYP_MOV:
            return "video/quicktime"
        return "video/mp4"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    return None


def kind_of(mime: str) -> str:
    major = mime.split("/", 1)[0]
    return {"image": "photo", "video": "video", "audio": "audio"}.get(major, "document")


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: stored, or refused and why (too_large, wrong_type, …)."""

    result: str  # stored, duplicate, too_large, wrong_type, unavailable, too_many
    name: str


def accept(ctx: HandlerContext, draft: Draft, attachments: tuple[Attachment, ...]) -> list[Outcome]:
    """Store each acceptable file; a refused file leaves no trace."""
    outcomes: list[Outcome] = []
    limit = ctx.report.evidence_max_bytes
    for index, att in enumerate(attachments):
        shown = _display_name(att, index)
        if len(draft["evidence"]) >= ctx.report.evidence_max_files:
            outcomes.append(Outcome("too_many", shown))
            continue
        if att.kind in ("sticker", "link", "location"):
            outcomes.append(Outcome("wrong_type", shown))
            continue
        if att.size is not None and att.size > limit:
            outcomes.append(Outcome("too_large", shown))
            continue
        if ctx.fetch_attachment is None or ctx.evidence is None:
            outcomes.append(Outcome("unavailable", shown))
            continue
        try:
            data = ctx.fetch_attachment(att, limit)
        except AttachmentTooLarge:
            outcomes.append(Outcome("too_large", shown))
            continue
        except AttachmentUnavailable:
            outcomes.append(Outcome("unavailable", shown))
            continue
        if len(data) > limit:
            outcomes.append(Outcome("too_large", shown))
            continue
        mime = sniff(data)
        if mime is None or not data:
            outcomes.append(Outcome("wrong_type", shown))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if any(item["sha256"] == digest for item in draft["evidence"]):
            outcomes.append(Outcome("duplicate", shown))
            continue
        filename = _file_name(att, mime, len(draft["evidence"]) + 1)
        try:
            key = ctx.evidence.put(data, name=filename, mime=mime)
        except Exception:  # storage down or full: the resident may send it again later
            log.exception("could not store an evidence file")
            outcomes.append(Outcome("unavailable", shown))
            continue
        draft["evidence"].append(
            {
                "kind": kind_of(mime),
                "filename": filename,
                "mime": mime,
                "size": len(data),
                "sha256": digest,
                "key": key,
            }
        )
        outcomes.append(Outcome("stored", filename))
    return outcomes


def _display_name(att: Attachment, index: int) -> str:
    return (_clean(att.name) if att.name else "") or f"tệp {index + 1}"


def _clean(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _SAFE_NAME.sub("_", base).strip(" ._")[:100]


def _file_name(att: Attachment, mime: str, number: int) -> str:
    ext = EXTENSIONS.get(mime, "bin")
    name = _clean(att.name) if att.name else ""
    if not name:
        return f"bang-chung-{number}.{ext}"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:90]}.{ext}"  # the extension follows the real content
