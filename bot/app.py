"""The composition root: the only place that builds long-lived objects."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import APIRouter
from sqlalchemy.engine import Engine

from bot.channels.base import Channel
from bot.dispatch import Dispatcher
from bot.hash_gate import HashGate
from bot.keys import load_cipher
from bot.logref import UserRef
from bot.settings import ConfigError, Settings
from content.check import Checker
from content.library import Library, load_library
from handlers.context import Features, ReportConfig
from handlers.conversation import Conversations
from handlers.reading import ReadPicture
from storage.crypto import Cipher
from storage.db import make_engine
from storage.evidence import EvidenceStore, LocalEvidenceStore
from storage.registry import RegistryReader

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    library: Library
    checker: Checker
    conversations: Conversations
    dispatcher: Dispatcher
    cipher: Cipher
    evidence: EvidenceStore
    channels: dict[str, Channel] = field(default_factory=dict)
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    routers: list[APIRouter] = field(default_factory=list)
    # (method, path) → endpoint for platform webhooks, served ahead of the routers (bot.web.direct)
    direct_routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    redis: Any = None  # a redis.asyncio client when CANHGIAC_REDIS_URL is set (see bot.runtime)
    # argon2id with the library's defaults (RFC 9106 low-memory profile); tests may pass a cheaper one.
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    # How many console password checks may run at once (64 MiB each with the default hasher).
    login_gate: HashGate = field(default_factory=lambda: HashGate(1))


def load_checked_library(path: Path | None = None) -> Library:
    """The library, or a ConfigError naming each bad file, field and reason."""
    try:
        return load_library(path)
    except Exception as exc:  # LibraryError lists every problem in its message
        raise ConfigError(f"thư viện nội dung không hợp lệ:\n{exc}") from exc


def build_evidence_store(settings: Settings, cipher: Cipher) -> EvidenceStore:
    """Object storage when configured, else the local folder; both encrypt with `cipher`."""
    if settings.evidence_s3_url:
        from bot.evidence_s3 import S3EvidenceStore

        assert settings.evidence_s3_bucket and settings.evidence_s3_access_key  # checked by Settings
        assert settings.evidence_s3_secret_key is not None
        return S3EvidenceStore(
            url=settings.evidence_s3_url,
            bucket=settings.evidence_s3_bucket,
            region=settings.evidence_s3_region,
            access_key=settings.evidence_s3_access_key,
            secret_key=settings.evidence_s3_secret_key.get_secret_value(),
            cipher=cipher,
        )
    return LocalEvidenceStore(settings.effective_evidence_dir, cipher)


def build_picture_reader(settings: Settings) -> ReadPicture | None:
    """Tesseract with Vietnamese when installed and wanted; else pictures get the old answer."""
    if not settings.read_pictures:
        return None
    from bot.pictures.reader import PictureReader

    return PictureReader.installed(workers=settings.picture_readers, max_bytes=settings.evidence_max_bytes)


def build_services(settings: Settings, *, library: Library | None = None) -> Services:
    engine = make_engine(settings.effective_database_url)
    library = library or load_checked_library(settings.library_dir)
    checker = Checker(library)
    cipher = load_cipher(settings)
    evidence = build_evidence_store(settings, cipher)
    conversations = Conversations(
        engine=engine,
        library=library,
        checker=checker,
        lookup=RegistryReader(engine),
        features=Features(report=True, status=True),
        cipher=cipher,
        evidence=evidence,
        report=ReportConfig(
            evidence_max_bytes=settings.evidence_max_bytes,
            evidence_max_files=settings.evidence_max_files,
            retention_days=settings.retention_days,
            draft_expire_days=settings.draft_expire_days,
            console_url=settings.public_url,
        ),
        read_picture=build_picture_reader(settings),
    )
    dispatcher = Dispatcher(
        engine,
        conversations,
        burst_seconds=settings.burst_seconds,
        user_ref=UserRef(cipher.derive("log user ref")),
        lease=settings.inbox_lease,
    )
    return Services(
        settings=settings,
        engine=engine,
        library=library,
        checker=checker,
        conversations=conversations,
        dispatcher=dispatcher,
        cipher=cipher,
        evidence=evidence,
        login_gate=HashGate(settings.console_login_hashes),
    )
