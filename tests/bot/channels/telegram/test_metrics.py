"""/metrics: every figure an operator watches is there and moves when its event happens."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.bot.channels.telegram.conftest import Webhook, text_update
from tests.storage.tip_fixtures import make_world, submit

SCAM = (
    "Tôi là cán bộ công an quận, chị liên quan đường dây rửa tiền, có lệnh bắt. "
    "Chị phải chuyển hết tiền vào tài khoản tạm giữ 19035678123456 Techcombank để xác minh."
)


async def _scrape(hook: Webhook) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    res = await hook.client.get("/metrics")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/plain")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(res.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _forwarded(update_id: int, chat: int) -> dict[str, Any]:
    update = text_update(SCAM, update_id=update_id, chat_id=chat)
    update["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Lạ", "date": 1}
    return update


async def test_each_metric_is_exposed_and_moves_with_its_event(webhook: Webhook) -> None:
    tg = {"channel": "telegram"}
    before = await _scrape(webhook)

    update = _forwarded(9101, 4401)
    await webhook.post(update)
    await webhook.post(update)  # Telegram re-sends: a duplicate
    await webhook.settle()
    after = await _scrape(webhook)
    assert (
        _value(after, "canhgiac_updates_received_total", **tg)
        == _value(before, "canhgiac_updates_received_total", **tg) + 1
    )
    assert _value(after, "canhgiac_updates_duplicate_total", **tg) > _value(
        before, "canhgiac_updates_duplicate_total", **tg
    )
    assert _value(after, "canhgiac_updates_handled_total", outcome="done", **tg) > _value(
        before, "canhgiac_updates_handled_total", outcome="done", **tg
    )
    assert _value(after, "canhgiac_update_handling_seconds_count", **tg) > _value(
        before, "canhgiac_update_handling_seconds_count", **tg
    )
    assert _value(after, "canhgiac_replies_sent_total", **tg) > _value(
        before, "canhgiac_replies_sent_total", **tg
    )
    assert _value(after, "canhgiac_checks_total", verdict="likely_scam") > _value(
        before, "canhgiac_checks_total", verdict="likely_scam"
    )

    # a 429 pauses every sender: another chat's reply waits it out (a rate-limit wait)
    webhook.fake.fail("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5, chat_id=4402)
    await webhook.post(_forwarded(9102, 4402))
    for _ in range(500):
        if webhook.fake.attempts():
            break
        await asyncio.sleep(0.01)
    await webhook.post(_forwarded(9103, 4403))
    await webhook.settle()
    waited = await _scrape(webhook)
    assert _value(waited, "canhgiac_ratelimit_waits_total", **tg) > _value(
        after, "canhgiac_ratelimit_waits_total", **tg
    )
    assert _value(waited, "canhgiac_ratelimit_wait_seconds_total", **tg) > _value(
        after, "canhgiac_ratelimit_wait_seconds_total", **tg
    )

    # the platform fails for good: the reply is counted as failed and waits in the outbox
    webhook.fake.fail("sendMessage", 502, "Bad Gateway", times=None)
    await webhook.post(_forwarded(9104, 4404))
    await webhook.settle()
    webhook.fake.clear_failures()
    failed = await _scrape(webhook)
    assert _value(failed, "canhgiac_replies_failed_total", error="retry_later", **tg) > _value(
        waited, "canhgiac_replies_failed_total", error="retry_later", **tg
    )
    assert _value(failed, "canhgiac_outbox_depth", kind="reply") == 1
    assert ("canhgiac_outbox_oldest_age_seconds", (("kind", "reply"),)) in failed

    # tips by status, read from the database
    assert _value(failed, "canhgiac_tips", status="new") == 0
    make_world(webhook.services.engine)
    await asyncio.to_thread(submit, webhook.services.engine)
    assert _value(await _scrape(webhook), "canhgiac_tips", status="new") == 1

    # connections held by the process
    idle = _value(await _scrape(webhook), "canhgiac_db_pool_in_use")
    with webhook.services.engine.connect():
        assert _value(await _scrape(webhook), "canhgiac_db_pool_in_use") == idle + 1
