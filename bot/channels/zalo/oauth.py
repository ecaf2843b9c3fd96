"""OAuth v4 for the OA API: PKCE consent, the stored token pair, single-flight refresh.

The refresh token is single-use and rotates. Spending it twice, or losing the new pair
after spending it, means a human must consent again. So a refresh runs once at a time:
an asyncio lock inside the process and, on PostgreSQL, a row lock (`SELECT … FOR
UPDATE`) across processes, held while the refresh call is in flight; the new pair is
committed before anyone uses it. A waiter that finds the pair already replaced uses the
new one without calling Zalo.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.channels.zalo.errors import NotAuthorized, ServerError
from bot.channels.zalo.models import TokenPair
from storage import zalo_tokens
from storage.db import is_postgres
from storage.models import ZaloToken, utcnow
from storage.models.base import as_utc

log = logging.getLogger(__name__)

# Refresh when less than this is left (the token lives 25 h: about 20 h after issue).
REFRESH_MARGIN = dt.timedelta(hours=5)


class TokenCipher(Protocol):
    """Encryption at rest for the tokens (the app's keys, see bot/channels/zalo/setup.py `TokenBox`)."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


def pkce_pair(verifier: str | None = None) -> tuple[str, str]:
    """(verifier, challenge): 43 base64url chars of 32 random bytes; S256 challenge, no padding."""
    verifier = verifier or base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def consent_url(oauth_url: str, *, app_id: str, redirect_uri: str, challenge: str, state: str) -> str:
    """The link an OA admin opens once to grant the app access to the OA."""
    query = urlencode(
        {"app_id": app_id, "redirect_uri": redirect_uri, "code_challenge": challenge, "state": state}
    )
    return f"{oauth_url.rstrip('/')}/v4/oa/permission?{query}"


class OAuthClient:
    """The token endpoint: `POST /v4/oa/access_token` with the app secret in a header."""

    def __init__(self, http: httpx.AsyncClient, *, oauth_url: str, app_id: str, app_secret: str) -> None:
        self._http = http
        self._url = oauth_url.rstrip("/") + "/v4/oa/access_token"
        self._app_id = app_id
        self._secret = app_secret

    def __repr__(self) -> str:
        return f"OAuthClient(app_id={self._app_id})"

    async def exchange_code(self, code: str, verifier: str) -> TokenPair:
        return await self._token(
            {
                "code": code,
                "app_id": self._app_id,
                "grant_type": "authorization_code",
                "code_verifier": verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        return await self._token(
            {"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"}
        )

    async def _token(self, form: dict[str, str]) -> TokenPair:
        try:
            response = await self._http.post(self._url, data=form, headers={"secret_key": self._secret})
        except httpx.TimeoutException:
            raise ServerError(0, "OAuth timeout") from None
        except httpx.TransportError as exc:
            raise ServerError(0, f"OAuth network error ({type(exc).__name__})") from None
        if response.status_code >= 500:
            raise ServerError(0, f"OAuth HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
            # No refresh-specific codes are documented: any refusal is final.
            code, reason = _oauth_error(body)
            raise NotAuthorized(code, f"OAuth refused ({reason})")
        return TokenPair.model_validate(body)


def _oauth_error(body: object) -> tuple[int, str]:
    if not isinstance(body, dict):
        return 0, "unexpected answer"
    try:
        code = int(body.get("error", 0) or 0)
    except (TypeError, ValueError):
        code = 0
    reason = str(body.get("error_description") or body.get("message") or body.get("error_name") or "")
    return code, reason[:200] or "no token in the answer"


@dataclass(frozen=True)
class Tokens:
    access: str
    access_expires_at: dt.datetime
    version: int

    def __repr__(self) -> str:
        return f"Tokens(version={self.version}, expires={self.access_expires_at.isoformat()})"


class TokenManager:
    """The `TokenSource` of the OA client: the stored pair, refreshed before it expires."""

    def __init__(
        self,
        engine: Engine,
        oauth: OAuthClient,
        box: TokenCipher,
        *,
        app_id: str,
        margin: dt.timedelta = REFRESH_MARGIN,
    ) -> None:
        self.engine = engine
        self.oauth = oauth
        self.box = box
        self.app_id = app_id
        self.margin = margin
        self._current: Tokens | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0  # refresh calls made by this process (figures, tests)
        self._upkeep_alert = ""

    def __repr__(self) -> str:
        return f"TokenManager(app_id={self.app_id})"

    async def store_new_pair(self, pair: TokenPair, *, oa_id: str | None = None) -> None:
        """Save a pair from a fresh consent (`canhgiac zalo authorize`)."""
        await asyncio.to_thread(self._save, pair, oa_id)

    async def access_token(self) -> str:
        tokens = self._current
        if tokens is None:
            tokens = await asyncio.to_thread(self._load)
            self._current = tokens
        if tokens.access_expires_at - utcnow() < self.margin:
            return await self.refresh(tokens.access)
        return tokens.access

    async def refresh(self, stale: str) -> str:
        """Single-flight: only the first caller with `stale` refreshes; the others get its result."""
        async with self._lock:
            current = self._current
            if current is not None and current.access != stale and not self._due(current):
                return current.access
            tokens = await self._refresh_locked(stale)
            self._current = tokens
            return tokens.access

    async def keep_fresh(self, *, interval: float = 600.0) -> None:
        """Background task: refresh ahead of expiry even when nothing is sent, so the pair never lapses."""
        while True:
            try:
                await self.access_token()
            except NotAuthorized as exc:
                if str(exc) != self._upkeep_alert:
                    self._upkeep_alert = str(exc)
                    log.error("ALERT Zalo OA: %s; run `canhgiac zalo authorize`", exc)
            except Exception:
                log.exception("Zalo token upkeep failed; will try again")
            await asyncio.sleep(interval)

    def _due(self, tokens: Tokens) -> bool:
        return tokens.access_expires_at - utcnow() < self.margin

    async def _refresh_locked(self, stale: str) -> Tokens:
        session = Session(self.engine, expire_on_commit=False)
        try:
            row = await asyncio.to_thread(self._lock_row, session)
            stored = self._tokens(row)
            if stored.access != stale and not self._due(stored):
                # Another process refreshed while we waited for the row lock.
                await asyncio.to_thread(session.commit)
                return stored
            refresh_token = self._decrypt(row.refresh_token)
            self.refreshes += 1
            try:
                pair = await self.oauth.refresh(refresh_token)
            except NotAuthorized as exc:
                await asyncio.to_thread(self._fail, session, str(exc))
                raise
            tokens = await asyncio.to_thread(self._write, session, pair)
            log.info("Zalo access token refreshed (pair version %d)", tokens.version)
            return tokens
        except BaseException:
            await asyncio.to_thread(session.rollback)
            raise
        finally:
            await asyncio.to_thread(session.close)

    # -- database work, run in a thread ----------------------------------------------------

    def _lock_row(self, session: Session) -> ZaloToken:
        row = zalo_tokens.get_tokens(session, app_id=self.app_id, for_update=is_postgres(self.engine))
        if row is None:
            raise NotAuthorized(0, "no Zalo token pair stored")
        if row.failed_at is not None:
            raise NotAuthorized(0, "the stored refresh token was refused; consent again")
        return row

    def _fail(self, session: Session, reason: str) -> None:
        zalo_tokens.record_failure(session, app_id=self.app_id, reason=reason)
        session.commit()

    def _write(self, session: Session, pair: TokenPair) -> Tokens:
        row = self._persist(session, pair, None)
        session.commit()  # the new pair is durable before anyone uses it
        return self._tokens(row)

    def _save(self, pair: TokenPair, oa_id: str | None) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            self._persist(session, pair, oa_id)
            session.commit()
        self._current = None

    def _persist(self, session: Session, pair: TokenPair, oa_id: str | None) -> ZaloToken:
        now = utcnow()
        refresh_expiry = (
            now + dt.timedelta(seconds=pair.refresh_token_expires_in)
            if pair.refresh_token_expires_in
            else None
        )
        return zalo_tokens.save_tokens(
            session,
            app_id=self.app_id,
            access_token=self.box.encrypt(pair.access_token),
            refresh_token=self.box.encrypt(pair.refresh_token),
            access_expires_at=now + dt.timedelta(seconds=pair.expires_in),
            refresh_expires_at=refresh_expiry,
            oa_id=oa_id,
        )

    def _load(self) -> Tokens:
        with Session(self.engine, expire_on_commit=False) as session:
            row = zalo_tokens.get_tokens(session, app_id=self.app_id)
            if row is None:
                raise NotAuthorized(0, "no Zalo token pair stored")
            if row.failed_at is not None:
                raise NotAuthorized(0, "the stored refresh token was refused; consent again")
            return self._tokens(row)

    def _tokens(self, row: ZaloToken) -> Tokens:
        expires = as_utc(row.access_expires_at)
        assert expires is not None
        return Tokens(access=self._decrypt(row.access_token), access_expires_at=expires, version=row.version)

    def _decrypt(self, value: str) -> str:
        try:
            return self.box.decrypt(value)
        except Exception:  # whatever the cipher raises; its text is not passed on
            raise NotAuthorized(
                0, "stored Zalo tokens cannot be decrypted with CANHGIAC_SECRET_KEYS"
            ) from None

    def status(self) -> dict[str, Any]:
        """What an admin may see: expiry, version, failure; never a token."""
        with Session(self.engine) as session:
            row = zalo_tokens.get_tokens(session, app_id=self.app_id)
            if row is None:
                return {"authorized": False}
            return {
                "authorized": row.failed_at is None,
                "oa_id": row.oa_id,
                "version": row.version,
                "access_expires_at": as_utc(row.access_expires_at),
                "refresh_expires_at": as_utc(row.refresh_expires_at),
                "failed_at": as_utc(row.failed_at),
                "failure": row.failure,
            }
