"""Logins probed from outside: concurrent hashing is bounded, every failure reads and costs the
same, and odd input (NUL bytes, huge ids) is a 400 or 404, never a 500."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import Services
from bot.hash_gate import HashGate
from bot.web.app import create_app
from storage import audit, officers
from storage.db import transaction
from tests.bot.console.conftest import PASSWORD, World, console_services, csrf_of, login


@pytest.fixture
def console(db_url: str, tmp_path: Any, test_library: Any) -> Iterator[Services]:
    """The console on SQLite and on PostgreSQL (NUL bytes and integer ranges are PostgreSQL's)."""
    services = console_services(db_url, tmp_path, test_library)
    yield services
    services.engine.dispose()


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting its checks and how many ran at once."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks = 0
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.checks += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            threading.Event().wait(0.02)  # long enough for concurrent requests to overlap
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def hasher(console: Services) -> CountingHasher:
    counting = CountingHasher()
    console.hasher = counting
    return counting


def _form(client: TestClient, username: str, password: str) -> dict[str, str]:
    return {
        "username": username,
        "password": password,
        "csrf_token": csrf_of(client.get("/console/login").text),
    }


def test_every_failure_reads_the_same_and_checks_one_hash(
    app_client: TestClient, console: Services, world: World, hasher: CountingHasher
) -> None:
    admin = TestClient(app_client.app, follow_redirects=False)
    login(admin, "quantri")
    page = admin.get(f"/console/admin/officers/{world.other_commune_officer}")
    admin.post(
        f"/console/admin/officers/{world.other_commune_officer}/active",
        data={"active": "0", "csrf_token": csrf_of(page.text)},
    )
    for _ in range(officers.MAX_FAILURES):  # lock xa1 for this address
        app_client.post("/console/login", data=_form(app_client, "xa1", "doan-mo"))
    answers = {}
    for case, (username, password) in {
        "unknown": ("ai-do", PASSWORD),
        "wrong": ("tinh", "doan-mo"),
        "locked": ("xa1", PASSWORD),
        "deactivated": ("xa2", PASSWORD),
    }.items():
        form = _form(app_client, username, password)
        before = hasher.checks
        response = app_client.post("/console/login", data=form)
        assert hasher.checks - before == 1, case  # the same work, so the same time, for each
        body = response.text.replace(f'value="{username}"', "").replace(form["csrf_token"], "")
        answers[case] = (response.status_code, body)
    assert len(set(answers.values())) == 1, {case: a[0] for case, a in answers.items()}
    assert answers["unknown"][0] == 401


def test_a_stranger_cannot_lock_an_officer_out_from_elsewhere(console: Services, world: World) -> None:
    app = create_app(console, background=False)
    stranger = TestClient(app, follow_redirects=False, client=("203.0.113.50", 5000))
    officer = TestClient(app, follow_redirects=False, client=("198.51.100.7", 5000))
    for _ in range(officers.MAX_FAILURES + 2):
        stranger.post("/console/login", data=_form(stranger, "xa1", "doan-mo"))
    assert stranger.post("/console/login", data=_form(stranger, "xa1", PASSWORD)).status_code == 401
    login(officer, "xa1")


def test_concurrent_logins_hash_a_few_at_a_time_and_the_rest_get_429(
    console: Services, world: World, hasher: CountingHasher
) -> None:
    console.login_gate = HashGate(2, wait=0.05)
    app = create_app(console, background=False)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.8", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/console/login")
            form = {"username": "xa1", "password": "doan-mo", "csrf_token": csrf_of(page.text)}
            answers = await asyncio.gather(*(client.post("/console/login", data=form) for _ in range(30)))
        return [a.status_code for a in answers]

    statuses = asyncio.run(burst())
    assert hasher.most <= 2
    assert 429 in statuses and set(statuses) <= {401, 429}
    assert hasher.checks == statuses.count(401)


def test_while_every_slot_is_taken_a_login_is_asked_to_try_again(
    app_client: TestClient, console: Services, world: World
) -> None:
    console.login_gate = HashGate(1, wait=0.01)
    form = _form(app_client, "xa1", PASSWORD)
    with console.login_gate():
        busy = app_client.post("/console/login", data=form)
    assert busy.status_code == 429 and "Máy chủ đang bận" in busy.text
    login(app_client, "xa1")  # the refused attempt did not count against the address


def test_concurrent_attempts_from_one_address_pass_the_throttle_at_most_its_limit(
    engine: Any,
) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    tries = 3 * officers.MAX_FAILURES_PER_IP
    results: list[str] = []
    start = threading.Barrier(tries)

    def attempt(n: int) -> None:
        start.wait()
        result = officers.attempt_login(
            engine, hasher=hasher, username=f"ai-do-{n}", password="x", ip="203.0.113.77"
        )
        results.append(result.status)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == tries
    assert results.count("invalid") <= officers.MAX_FAILURES_PER_IP
    assert results.count("throttled") >= tries - officers.MAX_FAILURES_PER_IP
    with transaction(engine) as s:
        assert len(audit.entries(s, action="console.login_failed")) == results.count("invalid")


def _ids() -> Iterator[str]:
    yield "/console/tips/2147483648"
    yield "/console/tips/99999999999999999999999"
    yield "/console/admin/officers/2147483648"
    yield "/console/admin/units/9223372036854775808"
    yield "/console/alerts/2147483648"


@pytest.mark.parametrize("path", list(_ids()))
def test_ids_past_the_databases_range_are_not_found(app_client: TestClient, world: World, path: str) -> None:
    login(app_client, "quantri")
    assert app_client.get(path).status_code == 404


@pytest.mark.parametrize(
    "query", ["q=%00", "status=new%00", "code=CG-%00", "modus=fake%00bank", "since=2026-01-01%00"]
)
def test_a_nul_byte_in_a_filter_is_a_bad_request(app_client: TestClient, world: World, query: str) -> None:
    login(app_client, "tinh")
    response = app_client.get(f"/console/tips?{query}")
    assert response.status_code == 400 and "Yêu cầu không hợp lệ" in response.text


def test_a_nul_byte_in_the_login_name_is_a_plain_failure(
    app_client: TestClient, console: Services, world: World
) -> None:
    response = app_client.post("/console/login", data=_form(app_client, "xa1\x00", PASSWORD))
    assert response.status_code in (400, 401)
    with Session(console.engine) as s:
        assert not audit.entries(s, action="console.login", target_id=str(world.commune_officer))


def test_login_addresses_and_typed_names_leave_the_audit_log_after_their_retention(
    app_client: TestClient, console: Services, world: World
) -> None:
    import datetime as dt

    from bot.maintenance import Maintenance

    app_client.post("/console/login", data=_form(app_client, "mat-khau-go-nham", "x"))
    login(app_client, "xa1")
    job = Maintenance(console.engine, console.settings, console.evidence)
    now = dt.datetime.now(dt.UTC)
    job.run_once(now=now + dt.timedelta(days=console.settings.login_record_days - 1))
    with Session(console.engine) as s:
        assert audit.entries(s, action="console.login_failed")[0].detail["username"] == "mat-khau-go-nham"
    job.run_once(now=now + dt.timedelta(days=console.settings.login_record_days, minutes=1))
    with Session(console.engine) as s:
        failed = audit.entries(s, action="console.login_failed")[0]
        ok = audit.entries(s, action="console.login")[0]
        other = audit.entries(s, action="officer.create")[0]
    assert "username" not in failed.detail and "ip" not in failed.detail
    assert "ip" not in ok.detail and ok.target_id == str(world.commune_officer)
    assert other.detail["username"] == "xa2"  # not a login: kept as it was
