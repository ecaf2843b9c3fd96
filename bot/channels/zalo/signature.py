"""The OA webhook signature: `X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + key)`.

Plain SHA-256 (not HMAC), lowercase hex, over the raw body exactly as received and the
`timestamp` field from that body (official Java SDK `MacUtils.buildMac`). Sources
disagree on the first term (app id or OA id) and the key (OA secret key or app secret),
so the accepted variants are a setting; the one that matched is logged once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot import safe_json

log = logging.getLogger(__name__)

# name → (first term, key)
VARIANTS: dict[str, tuple[str, str]] = {
    "app_id+oa_secret_key": ("app_id", "oa_secret_key"),
    "app_id+app_secret": ("app_id", "app_secret"),
    "oa_id+oa_secret_key": ("oa_id", "oa_secret_key"),
    "oa_id+app_secret": ("oa_id", "app_secret"),
}
DEFAULT_VARIANTS = ("app_id+oa_secret_key",)


def parse_variants(setting: str) -> tuple[str, ...]:
    """'auto' → every variant (documented one first); else the comma-separated names, checked."""
    if setting.strip().lower() == "auto":
        return tuple(VARIANTS)
    names = tuple(name.strip() for name in setting.split(",") if name.strip())
    unknown = [name for name in names if name not in VARIANTS]
    if unknown or not names:
        raise ValueError(
            f"unknown Zalo signature variant {', '.join(unknown) or '(none)'}; "
            f"use 'auto' or some of: {', '.join(VARIANTS)}"
        )
    return names


def compute_mac(first: str, body: bytes, timestamp: str, key: str) -> str:
    digest = hashlib.sha256()
    digest.update(first.encode("utf-8"))
    digest.update(body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(key.encode("utf-8"))
    return digest.hexdigest()


def body_timestamp(body: bytes) -> str | None:
    """The `timestamp` field of the body as sent (a string; a number is taken as written)."""
    try:
        data = safe_json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("timestamp")
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, (str, int)) else None


@dataclass(frozen=True)
class SignatureVerifier:
    app_id: str
    oa_secret_key: str
    app_secret: str | None = None
    oa_id: str | None = None
    variants: tuple[str, ...] = DEFAULT_VARIANTS

    def __repr__(self) -> str:
        return f"SignatureVerifier(app_id={self.app_id}, variants={self.variants})"

    def verify(self, header: str | None, body: bytes) -> str | None:
        """The name of the variant that matches, or None; compares in constant time."""
        if not header:
            return None
        given = header.strip()
        if given.lower().startswith("mac="):
            given = given[4:].strip()
        given = given.lower()
        timestamp = body_timestamp(body)
        if timestamp is None or len(given) != 64:
            return None
        matched: str | None = None
        for name, expected in self._candidates(body, timestamp):
            # Check every candidate, so the time taken does not tell which one nearly matched.
            if hmac.compare_digest(expected, given) and matched is None:
                matched = name
        return matched

    def _candidates(self, body: bytes, timestamp: str) -> Iterable[tuple[str, str]]:
        terms = {"app_id": self.app_id, "oa_id": self.oa_id}
        keys = {"oa_secret_key": self.oa_secret_key, "app_secret": self.app_secret}
        for name in self.variants:
            first_name, key_name = VARIANTS[name]
            first, key = terms[first_name], keys[key_name]
            if first and key:
                yield name, compute_mac(first, body, timestamp, key)
