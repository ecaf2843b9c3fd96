"""Outside probes of the public routes: byte caps on streamed bodies, and the security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.channels.telegram import webhook as telegram_webhook
from bot.channels.webchat.channel import WebChatChannel
from bot.channels.zalo import webhook as zalo_webhook
from bot.channels.zalo.signature import SignatureVerifier
from bot.web.app import create_app

CHUNK = 64 * 1024
TELEGRAM_SECRET = "s3cr3t_Webhook-token"


@dataclass
class Sent:
    """A chunked body of `total` bytes; `pulled` counts what the server actually read."""

    total: int
    pulled: int = 0
    head: bytes = b""

    async def stream(self) -> AsyncIterator[bytes]:
        if self.head:
            yield self.head
        chunk = b"x" * CHUNK
        while self.pulled < self.total:
            self.pulled += CHUNK
            yield chunk


@pytest.fixture
async def client(services) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    services.channels["web"] = WebChatChannel()
    services.direct_routes[("POST", telegram_webhook.PATH)] = telegram_webhook.make_endpoint(
        services.dispatcher, secret=TELEGRAM_SECRET
    )
    services.direct_routes[("POST", zalo_webhook.OA_PATH)] = zalo_webhook.oa_endpoint(
        services.dispatcher, SignatureVerifier(app_id="1", oa_secret_key="k")
    )
    app = create_app(services, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


# The opening of a multipart upload whose file then goes on and on.
UPLOAD_HEAD = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
)
CAPPED = [
    ("/webhooks/zalo", {"content-type": "application/json"}, 1_000_000),
    (
        "/webhooks/telegram",
        {"content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        1_000_000,
    ),
    ("/api/chat", {"content-type": "application/json"}, 1_000_000),
    ("/api/chat/upload", {"content-type": "multipart/form-data; boundary=b"}, 10_064_000),
]


@pytest.mark.parametrize(("path", "headers", "cap"), CAPPED)
async def test_a_chunked_body_past_the_cap_is_refused_as_it_streams(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], cap: int
) -> None:
    body = Sent(total=200_000_000, head=UPLOAD_HEAD if "upload" in path else b"")
    response = await client.post(path, content=body.stream(), headers=headers)
    assert response.status_code == 413
    # Refused the moment the cap was passed: the rest of the 200 MB was never read.
    assert body.pulled <= cap + 2 * CHUNK


@pytest.mark.parametrize(("path", "headers", "cap"), CAPPED)
async def test_a_declared_length_past_the_cap_is_refused_unread(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], cap: int
) -> None:
    body = Sent(total=cap + CHUNK)
    response = await client.post(
        path, content=body.stream(), headers={**headers, "content-length": str(cap + CHUNK)}
    )
    assert response.status_code == 413 and body.pulled <= CHUNK


async def test_a_body_under_the_cap_still_works(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/chat", json={"text": "xin chào " * 10_000})
    assert response.status_code == 200 and response.json()["messages"]


def _pages() -> Iterator[tuple[str, str]]:
    yield "GET", "/"
    yield "GET", "/webchat.js"
    yield "GET", "/healthz"
    yield "GET", "/api/chat/updates"
    yield "POST", "/api/chat"  # 422: no body
    yield "GET", "/no-such-page"
    yield "GET", "/console/no-such-page"


@pytest.mark.parametrize(("method", "path"), list(_pages()))
async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # plain HTTP, no HTTPS address


async def test_the_webhooks_and_a_413_carry_them_too(client: httpx.AsyncClient) -> None:
    for response in (
        await client.post("/webhooks/zalo", content=b"{}"),
        await client.post("/api/chat", content=b"x" * 2_000_000),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_server_error_page_carries_them(services) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter

    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise RuntimeError("a bug")

    services.routers.append(broken)
    app = create_app(services, background=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        response = await c.get("/broken")
    assert response.status_code == 500 and "a bug" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_hsts_behind_https(client: httpx.AsyncClient) -> None:
    response = await client.get("https://test/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_local_web_chat_is_off_on_a_public_server_unless_asked_for(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import Settings

    local = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    public = Settings(data_dir=tmp_path, public_url="https://canhgiac.example.vn", _env_file=None)  # type: ignore[call-arg]
    asked = Settings(
        data_dir=tmp_path, public_url="https://canhgiac.example.vn", webchat=True, _env_file=None
    )  # type: ignore[call-arg]
    assert local.webchat_enabled and not public.webchat_enabled and asked.webchat_enabled


async def test_a_public_server_does_not_serve_the_chat_by_default(services, settings) -> None:  # type: ignore[no-untyped-def]
    services.settings = settings.model_copy(update={"public_url": "https://canhgiac.example.vn"})
    app = create_app(services, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/")).status_code == 404
        assert (await c.post("/api/chat", json={"text": "x"})).status_code == 404


async def test_the_chat_page_has_no_inline_script_and_builds_no_html_from_strings(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text
    assert '<script src="/webchat.js"></script>' in page and "<style>" not in page
    script = (await client.get("/webchat.js")).text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "createTextNode" in script
