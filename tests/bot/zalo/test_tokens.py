"""OAuth v4 with PKCE, the encrypted token pair, and the single-flight refresh."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.zalo.client import ZaloOAClient
from bot.channels.zalo.errors import NotAuthorized
from bot.channels.zalo.models import TokenPair
from bot.channels.zalo.oauth import TokenManager, consent_url, pkce_pair
from bot.channels.zalo.setup import token_manager
from content.messages import Reply
from storage.crypto import Cipher
from storage.db import make_engine
from storage.models import ZaloToken
from tests.bot.zalo.conftest import ZaloHarness, make_settings
from tests.fakes.zalo import APP_ID, FakeZalo

USER = "2468458835296197922"


def test_pkce_matches_rfc_7636_example() -> None:
    verifier, challenge = pkce_pair("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh, fresh_challenge = pkce_pair()
    assert len(fresh) == 43 and "=" not in fresh_challenge and fresh != verifier


def test_consent_url_carries_app_redirect_challenge_and_state() -> None:
    url = consent_url(
        "https://oauth.zaloapp.com/",
        app_id=APP_ID,
        redirect_uri="https://x.vn/cb",
        challenge="abc",
        state="s1",
    )
    parts = urlsplit(url)
    assert parts.netloc == "oauth.zaloapp.com" and parts.path == "/v4/oa/permission"
    assert parse_qs(parts.query) == {
        "app_id": [APP_ID],
        "redirect_uri": ["https://x.vn/cb"],
        "code_challenge": ["abc"],
        "state": ["s1"],
    }


async def test_code_exchange_stores_the_pair_encrypted(zalo: ZaloHarness) -> None:
    verifier, challenge = pkce_pair()
    code = zalo.fake.consent(challenge)
    pair = await zalo.tokens.oauth.exchange_code(code, verifier)
    await zalo.tokens.store_new_pair(pair)
    with Session(zalo.services.engine) as session:
        row = session.exec(select(ZaloToken)).one()
    assert pair.access_token not in row.access_token and pair.refresh_token not in row.refresh_token
    assert await zalo.tokens.access_token() == pair.access_token
    call = zalo.fake.calls("oauth/access_token")[0]
    assert call.body["grant_type"] == "authorization_code" and call.body["code_verifier"] == verifier
    assert call.headers["secret_key"] == zalo.services.settings.zalo_app_secret.get_secret_value()  # type: ignore[union-attr]


async def test_wrong_verifier_is_refused(zalo: ZaloHarness) -> None:
    _, challenge = pkce_pair()
    code = zalo.fake.consent(challenge)
    with pytest.raises(NotAuthorized):
        await zalo.tokens.oauth.exchange_code(code, pkce_pair()[0])


async def test_token_expiring_mid_send_refreshes_once_and_sends_once(zalo: ZaloHarness) -> None:
    first = await zalo.authorize()
    await zalo.oa.client.send_text(USER, "một")
    zalo.fake.expire_access_tokens()  # Zalo drops the token between two calls
    await zalo.oa.client.send_text(USER, "hai")
    assert zalo.fake.texts(USER) == ["một", "hai"]
    assert len(zalo.fake.calls("oauth/access_token")) == 1
    refused = [c for c in zalo.fake.calls("oa/message/cs") if c.outcome == "-216"]
    assert len(refused) == 1
    # The rotated pair is what the database holds now; the old refresh token is spent.
    assert await zalo.tokens.access_token() != first["access_token"]
    with Session(zalo.services.engine) as session:
        assert session.exec(select(ZaloToken)).one().version == 2


async def test_token_expiring_in_the_middle_of_a_long_reply(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    await zalo.say(USER, "menu")  # the user writes: the window is open
    zalo.fake.expire_access_tokens(after=1)  # the first part goes out, then the token dies
    parts = ["Phần đầu. " + "x " * 995, "Phần sau. " + "y " * 500]
    await zalo.oa.send(USER, [Reply("\n\n".join(parts))])
    sent = zalo.fake.texts(USER)[-2:]
    assert sent[0].startswith("Phần đầu.") and sent[1].startswith("Phần sau.")
    assert sum(t.startswith("Phần") for t in zalo.fake.texts(USER)) == 2  # each part exactly once
    assert len(zalo.fake.calls("oauth/access_token")) == 1


async def test_two_concurrent_sends_with_an_expired_token_refresh_once(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    await zalo.tokens.access_token()  # cached, then invalidated on Zalo's side
    zalo.fake.expire_access_tokens()
    zalo.fake.fail("oauth/access_token", delay=0.2, times=1)  # a slow refresh: the other send must wait
    await asyncio.gather(zalo.oa.client.send_text(USER, "a"), zalo.oa.client.send_text(USER, "b"))
    assert sorted(zalo.fake.texts(USER)) == ["a", "b"]
    assert len(zalo.fake.calls("oauth/access_token")) == 1


async def test_token_near_expiry_is_refreshed_before_use(zalo: ZaloHarness) -> None:
    await zalo.authorize(expires_in=3600)  # inside the 5-hour margin
    await asyncio.gather(*(zalo.oa.client.send_text(USER, str(i)) for i in range(5)))
    assert len(zalo.fake.calls("oauth/access_token")) == 1
    assert not [c for c in zalo.fake.calls("oa/message/cs") if c.outcome != "ok"]


async def test_refused_refresh_is_recorded_and_not_retried(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    zalo.fake.expire_access_tokens()
    zalo.fake.fail("oauth/access_token", error=-14014)
    with pytest.raises(NotAuthorized):
        await zalo.oa.client.send_text(USER, "x")
    status = await asyncio.to_thread(zalo.tokens.status)
    assert status["authorized"] is False and status["failed_at"] is not None
    fresh = token_manager(zalo.services.settings, zalo.services.engine, httpx.AsyncClient())
    with pytest.raises(NotAuthorized):
        await fresh.access_token()
    assert len(zalo.fake.calls("oauth/access_token")) == 1


async def test_no_pair_means_not_authorized(zalo: ZaloHarness) -> None:
    with pytest.raises(NotAuthorized):
        await zalo.oa.client.send_text(USER, "x")
    assert zalo.fake.calls("oa/message/cs") == []


async def test_another_secret_key_cannot_read_the_tokens(
    zalo: ZaloHarness, tmp_path: Path, db_url: str, fake: FakeZalo
) -> None:
    await zalo.authorize()
    other = make_settings(tmp_path, db_url, fake, secret_keys=Cipher.generate_key())
    async with httpx.AsyncClient() as http:
        manager = token_manager(other, zalo.services.engine, http)
        with pytest.raises(NotAuthorized, match="decrypted"):
            await manager.access_token()


async def test_two_processes_share_one_refresh(zalo: ZaloHarness, db_url: str) -> None:
    """Two token managers on separate engines (as two processes): the row lock serialises them."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the cross-process row lock is PostgreSQL's SELECT … FOR UPDATE")
    await zalo.authorize()
    stale = await zalo.tokens.access_token()
    other_engine: Engine = make_engine(db_url)
    try:
        async with httpx.AsyncClient() as http:
            other: TokenManager = token_manager(zalo.services.settings, other_engine, http)
            zalo.fake.fail("oauth/access_token", delay=0.3)
            one, two = await asyncio.gather(zalo.tokens.refresh(stale), other.refresh(stale))
    finally:
        other_engine.dispose()
    assert one == two != stale
    assert len(zalo.fake.calls("oauth/access_token")) == 1


async def test_user_profile_is_read_with_the_data_query(zalo: ZaloHarness) -> None:
    await zalo.authorize()
    zalo.fake.profiles[USER] = {
        "user_id": USER,
        "display_name": "Nguyễn Văn A",
        "user_is_follower": True,
        "user_last_interaction_date": "20/11/2026",
        "shared_info": {"phone": "84912345678"},
    }
    profile = await zalo.oa.client.get_user_profile(USER)
    assert profile.display_name == "Nguyễn Văn A"
    assert profile.last_interaction == dt.date(2026, 11, 20)
    assert zalo.fake.calls("oa/user/detail")[0].query == {"data": f'{{"user_id":"{USER}"}}'}
    info = await zalo.oa.client.get_oa_info()
    assert info.oa_id and info.is_verified


def test_token_pair_hides_tokens_in_repr() -> None:
    pair = TokenPair(access_token="AT-SECRET", refresh_token="RT-SECRET", expires_in="90000")  # type: ignore[arg-type]
    assert pair.expires_in == 90000
    assert "SECRET" not in repr(pair)


def test_client_repr_has_no_token() -> None:
    class Tokens:
        async def access_token(self) -> str:
            return "AT-SECRET"

        async def refresh(self, stale: str) -> str:
            return "AT-SECRET"

    assert "SECRET" not in repr(ZaloOAClient(httpx.AsyncClient(), Tokens()))
