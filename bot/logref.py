"""Who a log line is about, without naming them.

A chat id is personal data, and a log line outlives the tip it came from. Logs name a user
by a keyed hash of their channel and id instead: the same user reads the same in every
process that shares the secret keys (so one user's lines can be followed), and an id cannot
be recovered from it, nor guessed by hashing candidate ids, without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class UserRef:
    """`ref("telegram", "777004")` → "u-3f9c0a1b2d4e"; built from `Cipher.derive("log user ref")`."""

    def __init__(self, key: bytes | None = None) -> None:
        # Without a key (tests, tools), a per-process one: stable within the process only.
        self._key = key or secrets.token_bytes(32)

    def __call__(self, channel: str, user_key: str) -> str:
        digest = hmac.new(self._key, f"{channel}:{user_key}".encode(), hashlib.sha256).hexdigest()
        return "u-" + digest[:12]


# For callers given no configured reference (one per process, never the raw id).
ANONYMOUS = UserRef()
