"""Zalo's error envelope turned into exceptions, one class per client action.

Zalo answers HTTP 200 with `{"error": N, "message": …}` for failures, so every call is
checked and the code decides what the caller does: refresh the token, back off, stop
writing to the user, or stop sending altogether and alert a human. Texts carry the code
and Zalo's message only: never a token, a secret, a URL or a user's message.
"""

from __future__ import annotations


class ZaloError(Exception):
    """A Zalo call failed; `code` is Zalo's error code (0 for transport failures)."""

    def __init__(self, code: int, message: str = "") -> None:
        self.code = code
        self.zalo_message = message[:200]
        super().__init__(f"Zalo error {code}: {self.zalo_message}" if code else self.zalo_message)

    def named(self, service: str) -> str:
        """For a log line that names the service once: "Zalo Bot API error 429: …", "Zalo timeout"."""
        return (
            f"{service} error {self.code}: {self.zalo_message}"
            if self.code
            else f"{service} {self.zalo_message}"
        )


class TokenInvalid(ZaloError):
    """-216/-220 (-124 on the ZNS host): refresh the access token once and retry once."""


class RateLimited(ZaloError):
    """-32: the app or the OA is over its rate limit; back off with jitter."""

    def __init__(self, code: int, message: str = "", retry_after: float = 1.0) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class ServerError(ZaloError):
    """5xx, a timeout, a network error or -200 'send failed': worth retrying with backoff."""


class WindowClosedError(ZaloError):
    """-230/-232: the user has not interacted within 7 days; do not retry."""


class UserUnreachable(ZaloError):
    """-213/-217/-227/-244: not a follower, banned, inactive, or blocked us; do not retry."""


class AttachmentExpired(ZaloError):
    """-100: an uploaded attachment id expired (7 days); upload again."""


class QuotaExceeded(ZaloError):
    """-211/-218/-234: a quota or a night ban; send later, not now."""

    def __init__(self, code: int, message: str = "", retry_after: float = 3600.0) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class BadRequest(ZaloError):
    """-201/-210/-233/-248 and unknown codes: our request is wrong; retrying will not help."""


class ConfigurationError(ZaloError):
    """The app, the OA or its permissions are not set up, or the tokens are dead: stop and alert."""


class NotAuthorized(ConfigurationError):
    """No token pair stored, or the refresh was refused: an admin must run `canhgiac zalo authorize`."""


TOKEN_CODES = frozenset({-216, -220, -124})
RATE_CODES = frozenset({-32})
RETRY_CODES = frozenset({-200})
WINDOW_CODES = frozenset({-230, -232})
UNREACHABLE_CODES = frozenset({-213, -217, -227, -244})
QUOTA_CODES = frozenset({-211, -218, -234})
BAD_REQUEST_CODES = frozenset({-201, -210, -233, -248})
CONFIG_CODES = frozenset({-204, -205, -209, -212, -219, -221, -223, -224, -235, -240, -242, -320, -321})


def error_for(code: int, message: str) -> ZaloError:
    """The exception for a non-zero envelope code; unknown codes are treated as our bug."""
    if code in TOKEN_CODES:
        return TokenInvalid(code, message)
    if code in RATE_CODES:
        return RateLimited(code, message)
    if code in RETRY_CODES:
        return ServerError(code, message)
    if code in WINDOW_CODES:
        return WindowClosedError(code, message)
    if code in UNREACHABLE_CODES:
        return UserUnreachable(code, message)
    if code == -100:
        return AttachmentExpired(code, message)
    if code in QUOTA_CODES:
        return QuotaExceeded(code, message)
    if code in CONFIG_CODES:
        return ConfigurationError(code, message)
    return BadRequest(code, message)
