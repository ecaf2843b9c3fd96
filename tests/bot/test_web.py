"""The web app: health, and the local web chat over the same handlers."""

from __future__ import annotations

import httpx

from bot.web.app import create_app


async def test_health_reports_database_and_cards(client: httpx.AsyncClient) -> None:
    res = await client.get("/healthz")
    assert res.status_code == 200
    assert res.json() == {"status": "ok", "database": "ok", "cards": 24}


async def test_health_is_503_when_the_database_is_gone(client: httpx.AsyncClient, services) -> None:  # type: ignore[no-untyped-def]
    from storage.db import make_engine

    services.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    res = await client.get("/healthz")
    assert res.status_code == 503 and res.json()["database"] == "unreachable"


async def test_web_chat_page_and_conversation(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "Cảnh Giác" in page.text
    start = await client.post("/api/chat", json={"payload": "start"})
    assert start.status_code == 200 and "cg_chat" in start.cookies
    first = start.json()["messages"][0]
    assert "Xin chào" in first["html"]
    assert first["buttons"][0][0]["payload"] == "check"
    scam = (
        "Tôi là cán bộ công an quận, chị liên quan đường dây rửa tiền, có lệnh bắt. "
        "Chị phải chuyển hết tiền vào tài khoản tạm giữ 19035678123456 Techcombank để xác minh."
    )
    res = await client.post("/api/chat", json={"text": scam})
    message = res.json()["messages"][0]
    assert "LỪA ĐẢO" in message["html"]
    assert "Giả danh công an" in message["html"]
    payloads = [b["payload"] for row in message["buttons"] for b in row]
    assert payloads[:2] == ["report:check", "card:impersonate-authority"]
    card = await client.post("/api/chat", json={"payload": "card:impersonate-authority"})
    assert "Cúp máy" in card.json()["messages"][0]["html"]


async def test_web_chat_escapes_user_text(client: httpx.AsyncClient) -> None:
    res = await client.post("/api/chat", json={"text": "/<script>alert(1)</script>"})
    html = res.json()["messages"][0]["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html


async def test_web_chat_rejects_oversized_input(client: httpx.AsyncClient) -> None:
    res = await client.post("/api/chat", json={"text": "x" * 100_001})
    assert res.status_code == 422


async def test_the_serving_process_freezes_its_startup_heap(services) -> None:  # type: ignore[no-untyped-def]
    import gc

    app = create_app(services, background=False, freeze_heap=True)
    gc.unfreeze()
    try:
        async with app.router.lifespan_context(app):
            # what was loaded at start (library, phrase index, place names) is out of the collector's reach
            assert gc.get_freeze_count() > 10_000
            res = await httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t").get(
                "/healthz"
            )
            assert res.status_code == 200
    finally:
        gc.unfreeze()  # the test process keeps collecting what later tests leave behind


async def test_web_chat_offers_a_phone_field_where_it_asks_for_the_number(client: httpx.AsyncClient) -> None:
    async def say(text: str = "", payload: str | None = None) -> list[dict]:  # type: ignore[type-arg]
        res = await client.post("/api/chat", json={"text": text, "payload": payload})
        assert res.status_code == 200
        return res.json()["messages"]

    await say("/baocao")
    await say(payload="report:consent:yes")
    await say(payload="report:modus:other")
    await say("Có người gọi xưng ngân hàng bảo tôi đọc mã OTP")
    await say(payload="report:story:done")
    await say("hôm qua")
    await say("không")
    await say(payload="report:ent:ok")
    await say("bỏ qua")
    await say("Phường Hoàn Kiếm, Hà Nội")
    asked = await say(payload="report:contact:phone")
    assert asked[-1]["phone_field"] == {"label": "📱 Gửi số điện thoại của tôi"}
    summary = await say("0912 000 111")
    assert "0912 000 111" in summary[-1]["html"] and "phone_field" not in summary[-1]
    page = await client.get("/webchat.js")
    assert "m.phone_field" in page.text and "type = 'tel'" in page.text


async def test_health_names_redis_when_it_is_down(client: httpx.AsyncClient, services) -> None:  # type: ignore[no-untyped-def]
    from redis.asyncio import Redis

    services.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    res = await client.get("/healthz")
    assert res.status_code == 503
    assert res.json() == {"status": "error", "database": "ok", "redis": "unreachable"}


async def test_ready_only_once_started_with_the_schema_at_head(services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    app = create_app(services, background=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    assert (await client.get("/readyz")).status_code == 503  # not started yet
    async with app.router.lifespan_context(app):
        assert (await client.get("/readyz")).json() == {"ready": True}
        with services.engine.begin() as conn:  # a database one migration behind the code
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            conn.execute(text("UPDATE alembic_version SET version_num = '0550_console_scale'"))
        try:
            res = await client.get("/readyz")
            assert res.status_code == 503 and res.json()["reason"] == "migrations not applied"
        finally:  # the database is shared by the session's later tests
            with services.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
