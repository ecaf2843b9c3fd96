"""A local fake Telegram Bot API that the real aiogram client talks to over HTTP.

It speaks the wire format: `POST /bot<token>/<method>` with form data (urlencoded or
multipart, nested objects as JSON strings) or a JSON body, answers `{"ok": true, "result":
…}` or `{"ok": false, "error_code", "description", "parameters"}` with the same HTTP status,
and checks what Telegram checks that we could get wrong (HTML entities, 4096 characters,
64-byte callback_data). Every call is recorded with its parsed parameters.

    async with FakeTelegram() as fake:                  # in a test's event loop
        settings = Settings(telegram_api_url=fake.url, telegram_token=fake.token, …)
        fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        fake.block("1001")                               # that user blocked the bot
        fake.push_update({...})                          # served by getUpdates
        await fake.wait_for("sendMessage", count=2)

    with FakeTelegram().in_thread() as fake: ...        # for sync code (click commands, benchmarks)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.telegram_rules import ApiError, check_markup, check_text

DEFAULT_TOKEN = "42:TEST-token_for-the-fake"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"


@dataclass
class Call:
    """One request as the fake received it; `error` is the status it answered with, if any."""

    method: str
    params: dict[str, Any]
    at: float
    error: int | None = None

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]


@dataclass
class Failure:
    method: str  # exact method name (case-insensitive) or "*"
    status: int
    description: str
    retry_after: int | None = None
    chat_id: str | None = None
    times: int | None = 1  # None: every time
    skip: int = 0  # let this many matching calls through first

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == self.chat_id


@dataclass
class FakeTelegram:
    token: str = DEFAULT_TOKEN
    username: str = "canhgiac_test_bot"
    max_poll_wait: float = 0.2  # cap on getUpdates' long poll, to keep tests quick
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    file_delay: float = 0.0  # seconds before a file download is answered (a slow link)
    call_delay: dict[str, float] = field(default_factory=dict)  # method (lower case) → seconds (slow API)

    def __post_init__(self) -> None:
        self.bot_id = int(self.token.split(":", 1)[0])
        self._message_ids = itertools.count(1)
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        self._loop = asyncio.get_running_loop()
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextmanager
    def in_thread(self) -> Iterator[FakeTelegram]:
        """Serve from a background thread with its own event loop (for sync callers)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-telegram", daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # scripting

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        chat_id: str | int | None = None,
        times: int | None = 1,
        skip: int = 0,
    ) -> None:
        """Answer `times` matching calls (None: until cleared) with this error, after `skip` good ones."""
        chat = None if chat_id is None else str(chat_id)
        with self._lock:
            self.failures.append(Failure(method, status, description, retry_after, chat, times, skip))

    def block(self, chat_id: str | int) -> None:
        """This user blocked the bot: every send to them gets 403 from now on."""
        self.fail("*", 403, BLOCKED, chat_id=chat_id, times=None)

    def clear_failures(self) -> None:
        with self._lock:
            self.failures.clear()

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; an `update_id` is assigned when missing."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        with self._lock:
            self._updates.append(update)
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    # inspecting

    def sent(self, method: str = "sendMessage", *, chat_id: str | int | None = None) -> list[Call]:
        """Successful calls of `method` (optionally to one chat), in order."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method.lower() == method.lower()
            and c.error is None
            and (chat_id is None or c.chat_id == str(chat_id))
        ]

    def count(self, method: str = "sendMessage") -> int:
        """How many successful calls of `method` so far (cheap; for benchmarks)."""
        return self._counts.get(method.lower(), 0)

    def attempts(self, method: str = "sendMessage") -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(
        self,
        method: str = "sendMessage",
        *,
        count: int = 1,
        chat_id: str | int | None = None,
        timeout: float = 5,
    ) -> list[Call]:
        """Wait until `count` successful calls of `method` arrived; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while len(found := self.sent(method, chat_id=chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} calls, got {len(found)}: {found}")
            await asyncio.sleep(0.005)
        return found

    def wait_for_sync(
        self, method: str = "sendMessage", *, count: int = 1, timeout: float = 30
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(found := self.sent(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} calls, got {len(found)}")
            time.sleep(0.002)
        return found

    # the protocol

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        delay = self.call_delay.get(method.lower(), 0.0)
        if delay:
            await asyncio.sleep(delay)
        call = Call(method=method, params=params, at=time.monotonic())
        try:
            failure = self._take_failure(method, params)
            if failure is not None:
                raise ApiError(failure.status, failure.description, failure.retry_after)
            result = await self._result(method, params)
        except ApiError as exc:
            call.error = exc.status
            with self._lock:
                self.calls.append(call)
            return _error(exc.status, exc.description, exc.retry_after)
        with self._lock:
            self.calls.append(call)
            self._counts[method.lower()] = self._counts.get(method.lower(), 0) + 1
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if failure.matches(method, params):
                    if failure.skip > 0:
                        failure.skip -= 1
                        return None
                    if failure.times is not None:
                        failure.times -= 1
                        if failure.times <= 0:
                            self.failures.remove(failure)
                    return failure
        return None

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        name = method.lower()
        if name == "getme":
            return self._me()
        if name == "sendmessage":
            text = str(params.get("text") or "")
            plain = check_text(text, params.get("parse_mode"), limit=4096, what="message text")
            check_markup(params.get("reply_markup"))
            return self._message(params, text=plain)
        if name in ("sendphoto", "senddocument"):
            caption = str(params.get("caption") or "")
            plain = check_text(caption, params.get("parse_mode"), limit=1024, what="caption", empty_ok=True)
            check_markup(params.get("reply_markup"))
            message = self._message(params, caption=plain or None)
            file = {"file_id": f"F{message['message_id']}", "file_unique_id": f"U{message['message_id']}"}
            if name == "sendphoto":
                message["photo"] = [{**file, "width": 800, "height": 600}]
            else:
                message["document"] = file
            return message
        if name == "copymessage":
            return {"message_id": next(self._message_ids)}
        if name == "getupdates":
            return await self._get_updates(params)
        if name == "setwebhook":
            self.webhook = dict(params)
            return True
        if name == "deletewebhook":
            self.webhook = {}
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                with self._lock:
                    self._updates.clear()
            return True
        if name == "getwebhookinfo":
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            return info
        if name == "setmycommands":
            self.commands = list(params.get("commands") or [])
            return True
        if name == "getmycommands":
            return self.commands
        if name == "getfile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                raise ApiError(400, "Bad Request: invalid file_id")
            size = len(self.files[file_id])
            return {"file_id": file_id, "file_unique_id": file_id, "file_size": size, "file_path": file_id}
        if name in ("answercallbackquery", "deletemycommands", "sendchataction", "editmessagereplymarkup"):
            return True
        raise ApiError(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook first"
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if offset:
                    self.confirmed_offset = max(self.confirmed_offset, offset)
                    while self._updates and self._updates[0]["update_id"] < offset:
                        self._updates.popleft()  # confirmed: Telegram forgets them
                batch = list(itertools.islice(self._updates, limit))
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                return batch
            assert self._new_update is not None
            self._new_update.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=remaining)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        await asyncio.sleep(self.file_delay)
        data = self.files.get(request.match_info["path"])
        return web.Response(status=404) if data is None else web.Response(body=data)

    def _me(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Cảnh Giác", "username": self.username}

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat: dict[str, Any] = {"id": int(chat_id), "type": "private", "first_name": "Test"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._me(),
        }
        message.update({k: v for k, v in content.items() if v is not None})
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message


async def _params(request: web.Request) -> dict[str, Any]:
    """Form fields (nested objects arrive as JSON strings) or a JSON body, as one dict."""
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "size": len(value.file.read())}
            else:
                params[key] = _maybe_json(str(value))
    for key, value in list(params.items()):  # uploads are referenced as "attach://<field>"
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


def _maybe_json(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


@asynccontextmanager
async def running(**kwargs: Any) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(**kwargs) as fake:
        yield fake
