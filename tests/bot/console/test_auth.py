"""Logging in and out, lock-out, CSRF, roles, and the security headers of every page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import Services
from storage import audit
from storage.officers import MAX_FAILURES
from tests.bot.console.conftest import PASSWORD, World, csrf_of, login


def test_pages_need_a_login(app_client: TestClient, world: World) -> None:
    response = app_client.get("/console/me?status=new")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Fme%3Fstatus%3Dnew"


def test_login_sets_a_hardened_session_cookie_and_goes_to_next(app_client: TestClient, world: World) -> None:
    page = app_client.get("/console/login?next=/console/me")
    assert 'name="next" value="/console/me"' in page.text
    response = app_client.post(
        "/console/login",
        data={
            "username": "XA1 ",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/console/me",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/me"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cg_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    me = app_client.get("/console/me")
    assert me.status_code == 200
    assert "Cán bộ xa1" in me.text and "Cán bộ cấp xã" in me.text
    for header in ("content-security-policy", "x-frame-options", "x-content-type-options"):
        assert header in me.headers
    assert me.headers["cache-control"] == "no-store"


def test_next_never_leaves_the_console(app_client: TestClient, world: World) -> None:
    page = app_client.get("/console/login")
    response = app_client.post(
        "/console/login",
        data={
            "username": "xa1",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/console/",
        },
    )
    assert response.headers["location"] == "/console/tips"


def test_wrong_passwords_lock_the_account_and_each_failure_is_audited(
    app_client: TestClient, console: Services, world: World
) -> None:
    token = csrf_of(app_client.get("/console/login").text)
    for attempt in range(MAX_FAILURES):
        response = app_client.post(
            "/console/login", data={"username": "xa1", "password": f"sai-{attempt}", "csrf_token": token}
        )
        assert response.status_code == 401
    assert "Không đăng nhập được" in response.text
    # Now even the right password is refused from this address until the lock ends, in the same words.
    response = app_client.post(
        "/console/login", data={"username": "xa1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Không đăng nhập được" in response.text and "khóa" not in response.text.split("Nếu")[0]
    assert "cg_console=" not in response.headers.get("set-cookie", "")
    with Session(console.engine) as s:
        failures = audit.entries(s, action="console.login_failed", target_id=str(world.commune_officer))
        refused = audit.entries(s, action="console.login_locked", target_id=str(world.commune_officer))
    assert len(failures) == MAX_FAILURES
    assert failures[0].detail["locked_until"]
    assert len(refused) == 1


def test_an_admin_unlocks_a_locked_account(app_client: TestClient, console: Services, world: World) -> None:
    token = csrf_of(app_client.get("/console/login").text)
    for _ in range(MAX_FAILURES):
        app_client.post("/console/login", data={"username": "xa1", "password": "sai", "csrf_token": token})
    admin = TestClient(app_client.app, follow_redirects=False)
    login(admin, "quantri")
    page = admin.get(f"/console/admin/officers/{world.commune_officer}")
    assert "Tạm khóa" in page.text
    admin.post(
        f"/console/admin/officers/{world.commune_officer}/unlock", data={"csrf_token": csrf_of(page.text)}
    )
    login(app_client, "xa1")


def test_unknown_user_and_wrong_password_read_the_same(app_client: TestClient, world: World) -> None:
    token = csrf_of(app_client.get("/console/login").text)
    unknown = app_client.post(
        "/console/login", data={"username": "ai-do", "password": "x", "csrf_token": token}
    )
    wrong = app_client.post("/console/login", data={"username": "xa1", "password": "x", "csrf_token": token})
    assert unknown.status_code == wrong.status_code == 401
    assert "Không đăng nhập được" in unknown.text
    assert "Không đăng nhập được" in wrong.text


def test_login_without_its_csrf_token_is_refused(app_client: TestClient, world: World) -> None:
    app_client.get("/console/login")
    response = app_client.post("/console/login", data={"username": "xa1", "password": PASSWORD})
    assert response.status_code == 403
    assert "cg_console=" not in response.headers.get("set-cookie", "")


def test_a_form_without_its_csrf_token_gets_403_and_changes_nothing(
    app_client: TestClient, console: Services, world: World
) -> None:
    login(app_client, "quantri")
    response = app_client.post(
        f"/console/admin/officers/{world.commune_officer}/active", data={"active": "0"}
    )
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.text
    response = app_client.post(
        f"/console/admin/officers/{world.commune_officer}/active",
        data={"active": "0", "csrf_token": "not-the-token"},
    )
    assert response.status_code == 403
    with Session(console.engine) as s:
        from storage.officers import get_officer

        officer = get_officer(s, world.commune_officer)
        assert officer is not None and officer.active
        rejected = audit.entries(s, action="console.csrf_rejected")
    assert len(rejected) == 2
    assert rejected[0].actor == f"officer:{world.admin}"


def test_logout_ends_the_session_on_the_server(app_client: TestClient, world: World) -> None:
    login(app_client, "xa1")
    cookie = app_client.cookies.get("cg_console")
    page = app_client.get("/console/me")
    response = app_client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    # Replaying the old cookie does not work: the session is gone from the database.
    replay = TestClient(app_client.app, follow_redirects=False)
    replay.cookies.set("cg_console", cookie or "", path="/console")
    assert replay.get("/console/me").status_code == 303


def test_deactivating_an_officer_ends_their_sessions(app_client: TestClient, world: World) -> None:
    login(app_client, "xa1")
    assert app_client.get("/console/me").status_code == 200
    admin = TestClient(app_client.app, follow_redirects=False)
    login(admin, "quantri")
    page = admin.get(f"/console/admin/officers/{world.commune_officer}")
    admin.post(
        f"/console/admin/officers/{world.commune_officer}/active",
        data={"active": "0", "csrf_token": csrf_of(page.text)},
    )
    assert app_client.get("/console/me").status_code == 303


def test_officers_cannot_open_admin_pages_and_the_attempt_is_audited(
    app_client: TestClient, console: Services, world: World
) -> None:
    login(app_client, "tinh")
    for path in ("/console/admin/units", "/console/admin/officers", "/console/admin/audit"):
        response = app_client.get(path)
        assert response.status_code == 403
        assert "Không có quyền truy cập" in response.text
    assert "/console/admin/units" not in app_client.get("/console/me").text
    with Session(console.engine) as s:
        refused = audit.entries(s, action="console.forbidden", actor=f"officer:{world.province_officer}")
    assert {e.detail["path"] for e in refused} == {
        "/console/admin/units",
        "/console/admin/officers",
        "/console/admin/audit",
    }


def test_changing_ones_password_needs_the_current_one_and_ends_sessions(
    app_client: TestClient, world: World
) -> None:
    login(app_client, "xa1")
    token = csrf_of(app_client.get("/console/me").text)
    wrong = app_client.post(
        "/console/me/password",
        data={
            "current": "sai",
            "password": "mat-khau-moi-123",
            "again": "mat-khau-moi-123",
            "csrf_token": token,
        },
    )
    assert wrong.headers["location"].endswith("err=password_wrong")
    done = app_client.post(
        "/console/me/password",
        data={
            "current": PASSWORD,
            "password": "mat-khau-moi-123",
            "again": "mat-khau-moi-123",
            "csrf_token": token,
        },
    )
    assert done.headers["location"] == "/console/login?ok=password"
    assert app_client.get("/console/me").status_code == 303
    login(app_client, "xa1", "mat-khau-moi-123")


def test_many_failures_from_one_address_refuse_even_the_right_password(
    app_client: TestClient, console: Services, world: World
) -> None:
    from storage.officers import MAX_FAILURES_PER_IP

    token = csrf_of(app_client.get("/console/login").text)
    for n in range(MAX_FAILURES_PER_IP):
        response = app_client.post(
            "/console/login", data={"username": f"ai-do-{n}", "password": "doan-mo", "csrf_token": token}
        )
        assert response.status_code == 401
    response = app_client.post(
        "/console/login", data={"username": "xa1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "quá nhiều lần đăng nhập" in response.text
    assert "cg_console=" not in response.headers.get("set-cookie", "")
    with Session(console.engine) as s:
        assert len(audit.entries(s, action="console.login_throttled")) == 1
