"""Where reporters' evidence files live: a small interface, a local folder by default.

Keys are opaque and carry nothing of the reporter (no file name, no user id); the file
name, type, size and checksum are kept with the tip in the database. Files are
encrypted with the same `Cipher` as the database fields, so a copied folder reveals
nothing either. Another backend (S3-compatible object storage) implements the same
three methods.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from storage.crypto import Cipher

_KEY = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}$")


class EvidenceNotFound(Exception):
    pass


class EvidenceStore(Protocol):
    def put(self, data: bytes, *, name: str, mime: str) -> str:
        """Store the bytes; returns the key to keep with the tip."""
        ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the file; a missing one is not an error (erasure may run twice)."""
        ...


class LocalEvidenceStore:
    """Files under `folder/YYYY/MM/<random>`, mode 0600, encrypted when a cipher is given."""

    def __init__(self, folder: Path, cipher: Cipher | None = None) -> None:
        self.folder = folder
        self.cipher = cipher

    def put(self, data: bytes, *, name: str, mime: str) -> str:
        now = dt.datetime.now(dt.UTC)
        key = f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = self.cipher.encrypt_bytes(data) if self.cipher else data
        tmp = path.with_suffix(".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            payload = path.read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceNotFound(key) from exc
        return self.cipher.decrypt_bytes(payload) if self.cipher else payload

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def keys(self) -> Iterator[str]:
        for path in sorted(self.folder.glob("*/*/*")):
            key = path.relative_to(self.folder).as_posix()
            if _KEY.match(key):
                yield key

    def rotate(self, cipher: Cipher) -> int:
        """Re-encrypt every file with the current key (part of `canhgiac secrets rotate`)."""
        count = 0
        for key in self.keys():
            path = self._path(key)
            rotated = cipher.rotate_bytes(path.read_bytes())
            tmp = path.with_suffix(".part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(rotated)
            os.replace(tmp, path)
            count += 1
        return count

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # never let a stored key walk out of the folder
            raise EvidenceNotFound(key)
        return self.folder / key
