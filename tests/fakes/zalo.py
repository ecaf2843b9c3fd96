"""A local fake of Zalo: the OA API v3, OAuth v4 and the Bot API, on one real HTTP server.

It speaks the wire formats of shared/reference/zalo.md: the bare `access_token` header,
errors as HTTP 200 with `{"error": N, "message": …}`, `data=<json>` query strings, the
form-encoded token endpoint with `secret_key`, rotating single-use refresh tokens, and
the Bot API `{ok, result}` envelope with the token in the path. Every call is recorded;
faults (an error code, an HTTP status, a delay) can be injected per endpoint.

Endpoint names used by `fail()` and `calls()`: "oa/message/cs", "oa/upload/image",
"oa/upload/file", "oa/user/detail", "oa/getoa", "oauth/access_token", "bot/<method>".

Usage:
    with FakeZalo() as fake:
        settings = Settings(zalo_api_url=fake.url, zalo_oauth_url=fake.url, zalo_bot_api_url=fake.url, …)
        fake.fail("oa/message/cs", error=-230)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.zalo_wire import ERROR_MESSAGES, valid_cs

APP_ID = "1234567890123456789"
APP_SECRET = "app-secret-for-tests"
OA_ID = "388613280878808645"
OA_SECRET_KEY = "OA_SECRET_EXAMPLE"
BOT_TOKEN = "1459232241454765289:bot-secret-for-tests"


@dataclass
class Fault:
    error: int | None = None  # OA: envelope error code (HTTP 200); Bot API: error_code
    status: int | None = None  # an HTTP status instead (5xx, 429…)
    delay: float = 0.0
    times: int = 1
    after: int = 0  # calls let through before the fault starts
    expire: bool = False  # every access token expires at this call (then the call goes on)


@dataclass
class Call:
    endpoint: str
    method: str
    body: Any
    query: dict[str, str]
    headers: dict[str, str]
    at: float
    outcome: str = "ok"  # ok, or the error that was answered


@dataclass
class _State:
    access: dict[str, float] = field(default_factory=dict)  # token → expiry (monotonic)
    refresh: set[str] = field(default_factory=set)  # unused refresh tokens
    codes: dict[str, str] = field(default_factory=dict)  # auth code → code challenge
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted OA messages
    bot_sent: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    uploads: int = 0


class FakeZalo:
    def __init__(
        self, *, app_id: str = APP_ID, app_secret: str = APP_SECRET, bot_token: str = BOT_TOKEN
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.bot_token = bot_token
        self.token_lifetime = 90_000.0
        self.profiles: dict[str, dict[str, Any]] = {}
        self._state = _State()
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v4/oa/access_token", self._oauth, methods=["POST"]),
                Route("/v3.0/oa/message/cs", self._message_cs, methods=["POST"]),
                Route("/v2.0/oa/upload/{kind}", self._upload, methods=["POST"]),
                Route("/v3.0/oa/user/detail", self._user_detail, methods=["GET"]),
                Route("/v2.0/oa/getoa", self._getoa, methods=["GET"]),
                Route("/bot{token}/{method}", self._bot, methods=["GET", "POST"]),
            ]
        )
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- serving ------------------------------------------------------------------------

    def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Zalo server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeZalo:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- control ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every token, message, fault and call (one server can serve many tests)."""
        with self._lock:
            self._state = _State()
        self.profiles.clear()
        self.token_lifetime = 90_000.0

    def issue_tokens(self, *, expires_in: float | None = None) -> dict[str, Any]:
        """A valid pair, as the token endpoint would answer (or the API Explorer gives)."""
        with self._lock:
            return self._issue(expires_in)

    def consent(self, challenge: str) -> str:
        """An OA admin opened the consent link with this challenge: the code Zalo redirects with."""
        code = "code-" + secrets.token_hex(8)
        with self._lock:
            self._state.codes[code] = challenge
        return code

    def expire_access_tokens(self, *, after: int | None = None, endpoint: str = "oa/message/cs") -> None:
        """Every access token expires now, or just before the call after `after` more good calls."""
        with self._lock:
            if after is None:
                self._state.access.clear()
            else:
                self._state.faults.setdefault(endpoint, []).append(Fault(after=after, expire=True))

    def fail(
        self,
        endpoint: str,
        *,
        error: int | None = None,
        status: int | None = None,
        delay: float = 0.0,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """After `after` good calls, the next `times` calls of `endpoint` get this fault (queued in order)."""
        with self._lock:
            self._state.faults.setdefault(endpoint, []).append(Fault(error, status, delay, times, after))

    def calls(self, endpoint: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._state.calls if endpoint is None or c.endpoint == endpoint]

    def sent(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """OA messages accepted (the `message` objects), oldest first."""
        with self._lock:
            return [
                m["message"]
                for m in self._state.sent
                if user_id is None or m["recipient"]["user_id"] == user_id
            ]

    def texts(self, user_id: str | None = None) -> list[str]:
        return [m.get("text", "") for m in self.sent(user_id) if m.get("text")]

    def buttons(self, user_id: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for message in self.sent(user_id):
            payload = (message.get("attachment") or {}).get("payload") or {}
            found.extend(payload.get("buttons") or [])
        return found

    def bot_sent(self, chat_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._state.bot_sent if chat_id is None or m.get("chat_id") == chat_id]

    @property
    def webhook(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state.webhook)

    # -- internals ----------------------------------------------------------------------

    def _issue(self, expires_in: float | None) -> dict[str, Any]:
        lifetime = self.token_lifetime if expires_in is None else expires_in
        access, refresh = "at-" + secrets.token_hex(12), "rt-" + secrets.token_hex(12)
        self._state.access[access] = time.monotonic() + lifetime
        self._state.refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(int(lifetime)),
            "refresh_token_expires_in": "7776000",
        }

    async def _begin(self, endpoint: str, request: Request, body: Any) -> tuple[Call, Fault | None]:
        call = Call(
            endpoint=endpoint,
            method=request.method,
            body=body,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            at=time.monotonic(),
        )
        with self._lock:
            self._state.calls.append(call)
            queue = self._state.faults.get(endpoint) or []
            fault = queue[0] if queue else None
            if fault is not None and fault.after > 0:
                fault.after -= 1
                fault = None
            elif fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.expire:
            with self._lock:
                self._state.access.clear()
            fault = None
        return call, fault

    def _oa_error(self, call: Call, code: int) -> JSONResponse:
        call.outcome = str(code)
        return JSONResponse({"error": code, "message": ERROR_MESSAGES.get(code, "Error")})

    def _oa_fault(self, call: Call, fault: Fault | None) -> JSONResponse | None:
        if fault is None:
            return None
        if fault.status is not None:
            call.outcome = f"HTTP {fault.status}"
            return JSONResponse({"message": "server error"}, status_code=fault.status)
        if fault.error is not None:
            return self._oa_error(call, fault.error)
        return None

    def _token_ok(self, call: Call) -> bool:
        token = call.headers.get("access_token", "")
        with self._lock:
            expiry = self._state.access.get(token)
        return expiry is not None and expiry > time.monotonic()

    async def _oauth(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        call, fault = await self._begin("oauth/access_token", request, form)
        if fault is not None and fault.status is not None:
            call.outcome = f"HTTP {fault.status}"
            return JSONResponse({"message": "server error"}, status_code=fault.status)
        if fault is not None and fault.error is not None:
            return self._oauth_error(call, fault.error, "Injected error")
        if call.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return self._oauth_error(call, -14002, "Invalid app_id or secret_key")
        with self._lock:
            if form.get("grant_type") == "authorization_code":
                challenge = self._state.codes.pop(str(form.get("code")), None)
                verifier = str(form.get("code_verifier") or "")
                expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if challenge is None or expected.decode() != challenge:
                    return self._oauth_error(call, -14019, "Invalid code or code_verifier")
                return JSONResponse(self._issue(None))
            if form.get("grant_type") == "refresh_token":
                token = str(form.get("refresh_token"))
                if token not in self._state.refresh:
                    return self._oauth_error(call, -14014, "Invalid refresh token")
                self._state.refresh.discard(token)  # single use
                return JSONResponse(self._issue(None))
        return self._oauth_error(call, -14001, "Invalid grant_type")

    def _oauth_error(self, call: Call, code: int, description: str) -> JSONResponse:
        call.outcome = str(code)
        return JSONResponse(
            {"error": code, "error_name": "Invalid parameter", "error_description": description}
        )

    async def _message_cs(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        call, fault = await self._begin("oa/message/cs", request, body)
        if (answer := self._oa_fault(call, fault)) is not None:
            return answer
        if not self._token_ok(call):
            return self._oa_error(call, -216)
        if not valid_cs(body):
            return self._oa_error(call, -201)
        with self._lock:
            self._state.sent.append(body)
            number = len(self._state.sent)
        data = {"message_id": f"m{number:08d}", "user_id": body["recipient"]["user_id"], "sent_time": "0"}
        return JSONResponse({"error": 0, "message": "Success", "data": data})

    async def _upload(self, request: Request) -> JSONResponse:
        kind = request.path_params["kind"]
        form = await request.form()
        upload = form.get("file")
        size = len(await upload.read()) if upload is not None and not isinstance(upload, str) else 0
        call, fault = await self._begin(f"oa/upload/{kind}", request, {"size": size})
        if (answer := self._oa_fault(call, fault)) is not None:
            return answer
        if not self._token_ok(call):
            return self._oa_error(call, -216)
        if size == 0:
            return self._oa_error(call, -201)
        with self._lock:
            self._state.uploads += 1
            number = self._state.uploads
        data = {"token": f"file-{number}"} if kind == "file" else {"attachment_id": f"att-{number}"}
        return JSONResponse({"error": 0, "message": "Success", "data": data})

    async def _user_detail(self, request: Request) -> JSONResponse:
        query = json.loads(request.query_params.get("data", "{}"))
        call, fault = await self._begin("oa/user/detail", request, query)
        if (answer := self._oa_fault(call, fault)) is not None:
            return answer
        if not self._token_ok(call):
            return self._oa_error(call, -216)
        profile = self.profiles.get(str(query.get("user_id")))
        if profile is None:
            return self._oa_error(call, -213)
        return JSONResponse({"error": 0, "message": "Success", "data": profile})

    async def _getoa(self, request: Request) -> JSONResponse:
        call, fault = await self._begin("oa/getoa", request, None)
        if (answer := self._oa_fault(call, fault)) is not None:
            return answer
        if not self._token_ok(call):
            return self._oa_error(call, -216)
        data = {"oaid": OA_ID, "name": "Cảnh Giác (thử)", "is_verified": True, "num_follower": 3}
        return JSONResponse({"error": 0, "message": "Success", "data": data})

    async def _bot(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        try:
            body = await request.json() if request.method == "POST" else {}
        except ValueError:
            body = {}
        call, fault = await self._begin(f"bot/{method}", request, body)
        if fault is not None and (fault.status or fault.error):
            code = fault.error or fault.status or 500
            call.outcome = str(code)
            return JSONResponse(
                {"ok": False, "error_code": code, "description": "Injected"}, status_code=fault.status or 200
            )
        if request.path_params["token"] != self.bot_token:
            call.outcome = "401"
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        result = self._bot_method(method, body if isinstance(body, dict) else {})
        if isinstance(result, str):
            call.outcome = "400"
            return JSONResponse({"ok": False, "error_code": 400, "description": result}, status_code=400)
        return JSONResponse({"ok": True, "result": result})

    def _bot_method(self, method: str, body: dict[str, Any]) -> Any:
        now = int(time.time() * 1000)
        with self._lock:
            if method == "getMe":
                return {"id": "1459232241454765289", "account_name": "bot.CanhGiac", "account_type": "BASIC"}
            if method == "setWebhook":
                url, secret = str(body.get("url") or ""), str(body.get("secret_token") or "")
                if not url.startswith("https://") or not 8 <= len(secret) <= 256:
                    return "url must be public https and secret_token 8-256 characters"
                self._state.webhook = {"url": url, "secret_token": secret, "updated_at": now}
                return {"url": url, "updated_at": now}
            if method == "deleteWebhook":
                self._state.webhook = {}
                return {"url": "", "updated_at": now}
            if method == "getWebhookInfo":
                return {"url": self._state.webhook.get("url", ""), "updated_at": now}
            if method in ("sendMessage", "sendPhoto"):
                text = str(body.get("text") or body.get("caption") or "")
                if not body.get("chat_id") or len(text) > 2000 or (method == "sendMessage" and not text):
                    return "chat_id and 1-2000 characters of text are required"
                self._state.bot_sent.append({"method": method, **body})
                return {"message_id": f"b{len(self._state.bot_sent):08d}", "date": now}
        return "unknown method"
