"""Encryption at rest for personal data (tips' stories and contacts, notes, evidence files).

A `Cipher` wraps `cryptography`'s MultiFernet: the first key encrypts, every key
decrypts, so a key is rotated by putting a new one first and re-encrypting
(`canhgiac secrets rotate`, see docs/personal-data.md). It is built once in
`bot/app.py` from `CANHGIAC_SECRET_KEYS` and passed down, never kept in a global.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every Fernet token starts with the version byte 0x80, which base64 writes as "gAAAAA".
TOKEN_PREFIX = "gAAAAA"


class CipherError(Exception):
    """A token no configured key can open (wrong or missing key, or damaged data)."""


class Cipher:
    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        try:
            self._fernets = [Fernet(k.encode() if isinstance(k, str) else k) for k in keys]
        except (ValueError, TypeError) as exc:
            # The message must not echo the key itself.
            raise ValueError("a secret key is not a valid Fernet key (32 url-safe base64 bytes)") from exc
        self._multi = MultiFernet(self._fernets)
        first = keys[0]
        self._first = base64.urlsafe_b64decode(first.encode() if isinstance(first, str) else first)

    @classmethod
    def from_setting(cls, value: str) -> Cipher:
        """Keys from a comma-separated setting; the first is the current one."""
        return cls([k.strip() for k in value.split(",") if k.strip()])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    @property
    def key_count(self) -> int:
        return len(self._fernets)

    def derive(self, purpose: str) -> bytes:
        """A key for another use (e.g. naming users in logs by a keyed hash), from the current key;
        it changes when the keys are rotated."""
        return hmac.new(self._first, b"canhgiac:" + purpose.encode(), hashlib.sha256).digest()

    def encrypt(self, text: str | None) -> str | None:
        """Encrypt text; None stays None so optional fields keep their meaning."""
        if text is None:
            return None
        return self._multi.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise CipherError("cannot decrypt a stored value with the configured keys") from exc

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._multi.encrypt(data)

    def decrypt_bytes(self, data: bytes) -> bytes:
        try:
            return self._multi.decrypt(data)
        except InvalidToken as exc:
            raise CipherError("cannot decrypt a stored file with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token with the current (first) key."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise CipherError("cannot rotate a stored value with the configured keys") from exc

    def rotate_bytes(self, data: bytes) -> bytes:
        try:
            return self._multi.rotate(data)
        except InvalidToken as exc:
            raise CipherError("cannot rotate a stored file with the configured keys") from exc


def rotate_json(cipher: Cipher, value: Any) -> tuple[Any, int]:
    """Rotate every token inside a JSON value (drafts keep encrypted fields); returns (value, count)."""
    if isinstance(value, str):
        if value.startswith(TOKEN_PREFIX):
            try:
                return cipher.rotate(value), 1
            except CipherError:
                return value, 0
        return value, 0
    if isinstance(value, list):
        out_list, total = [], 0
        for item in value:
            new, n = rotate_json(cipher, item)
            out_list.append(new)
            total += n
        return out_list, total
    if isinstance(value, dict):
        out_dict, total = {}, 0
        for key, item in value.items():
            new, n = rotate_json(cipher, item)
            out_dict[key] = new
            total += n
        return out_dict, total
    return value, 0
