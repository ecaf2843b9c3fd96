"""Tracking codes: short, read aloud over the phone without confusion, not guessable.

Eight symbols from an alphabet without look-alikes (no 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, U/V):
about 5·10¹⁰ codes, drawn with `secrets`. A code alone never reveals a tip: the status
is shown only to the chat account that submitted it.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACDEFGHJKMNPRTWXY34679"
LENGTH = 8
_NOT_CODE = re.compile(r"[^A-Z0-9]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    """How a resident sees it: two groups of four, e.g. `K7HM-WX4T`."""
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code


def normalize_code(text: str) -> str | None:
    """What the resident typed (any case, spaces, dashes, a `#`) → the stored code, or None."""
    cleaned = _NOT_CODE.sub("", text.upper())
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned
