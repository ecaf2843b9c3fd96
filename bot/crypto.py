"""Encryption of secrets at rest (platform tokens, later personal data) with a key from settings.

One passphrase (`CANHGIAC_SECRET_KEY`) yields an independent Fernet key per purpose
through HKDF, so a leak of one derived key does not expose the others and the
purposes can be rotated separately later.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptError(Exception):
    """A stored secret cannot be read with this key (wrong or rotated CANHGIAC_SECRET_KEY)."""


class SecretBox:
    """Authenticated encryption of short strings for one purpose (e.g. 'zalo-tokens')."""

    def __init__(self, secret: str, purpose: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"canhgiac",
            info=purpose.encode("utf-8"),
        ).derive(secret.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            # Never echo the ciphertext: it is still a secret.
            raise DecryptError("stored secret cannot be decrypted with CANHGIAC_SECRET_KEY") from None

    def __repr__(self) -> str:
        return "SecretBox(***)"
