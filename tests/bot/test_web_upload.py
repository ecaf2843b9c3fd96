"""The web chat's upload endpoint feeds evidence to the report dialog."""

from __future__ import annotations

import httpx

PRIVATE = b"anh-chup-tin-nhan-cua-nguoi-dan"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100 + PRIVATE


async def _say(client: httpx.AsyncClient, **body: object) -> str:
    res = await client.post("/api/chat", json=body)
    return "\n".join(m["html"] for m in res.json()["messages"])


async def _upload(client: httpx.AsyncClient, name: str, data: bytes, mime: str) -> str:
    res = await client.post("/api/chat/upload", files={"file": (name, data, mime)})
    assert res.status_code == 200
    return "\n".join(m["html"] for m in res.json()["messages"])


async def test_upload_evidence_through_the_web_chat(client: httpx.AsyncClient, services) -> None:  # type: ignore[no-untyped-def]
    await _say(client, payload="report")
    await _say(client, payload="report:consent:yes")
    await _say(client, payload="report:modus:other")
    await _say(client, text="Bị lừa chuyển tiền đặt cọc")
    await _say(client, payload="report:story:done")
    await _say(client, text="hôm nay")
    await _say(client, text="2 triệu")
    assert "Bằng chứng" in await _say(client, payload="report:ent:ok")

    assert "Đã nhận tệp anh.png" in await _upload(client, "anh.png", PNG, "image/png")
    refused = await _upload(client, "virus.png", b"MZ\x90\x00" + b"\x00" * 50, "image/png")
    assert "không nhận được loại tệp" in refused  # the declared type is not trusted
    big = PNG + b"\x00" * services.settings.evidence_max_bytes
    assert "lớn hơn 10 MB" in await _upload(client, "to.png", big, "image/png")
    stored = [p for p in services.settings.effective_evidence_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1
    on_disk = stored[0].read_bytes()  # encrypted at rest: a copied folder shows nothing
    assert b"PNG" not in on_disk and PRIVATE not in on_disk
    key = stored[0].relative_to(services.settings.effective_evidence_dir).as_posix()
    assert services.evidence.get(key) == PNG


async def test_upload_outside_the_report_is_explained(client: httpx.AsyncClient) -> None:
    text = await _upload(client, "anh.png", PNG, "image/png")
    assert "hỏng" in text  # a PNG header and nothing after it
