"""Three `canhgiac serve` processes behind nginx on PostgreSQL and Redis; one is killed midway.

Every update is answered, each user's replies come in the order of their updates, no dialog
state is lost, and only the updates the killed process held may be answered twice.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from storage.db import make_engine
from tests.cluster import Cluster, Drive, drive, explain, make_traffic, nginx_binary, verify
from tests.conftest import REDIS_URL, _truncate_postgres
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.cluster]


@pytest.fixture
def pg_url(postgres_server_url: str) -> str:
    engine = make_engine(postgres_server_url)
    _truncate_postgres(engine)
    engine.dispose()
    return postgres_server_url


async def test_three_instances_behind_nginx_lose_nothing_when_one_is_killed(
    pg_url: str, tmp_path: Path
) -> None:
    if not REDIS_URL:
        pytest.skip("CANHGIAC_TEST_REDIS_URL is not set")
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    traffic = make_traffic(users=200, per_user=5)
    total = sum(len(items) for items in traffic.values())
    engine = make_engine(pg_url)
    async with FakeTelegram() as fake:
        cluster = Cluster(pg_url, REDIS_URL, fake.url, fake.token, tmp_path)
        try:
            for _ in range(3):
                cluster.start_serve()
            cluster.start_proxy()
            await cluster.wait_ready()
            result = Drive()
            url = f"http://127.0.0.1:{cluster.proxy_port}/webhooks/telegram"
            driving = asyncio.create_task(drive(url, traffic, result=result))
            while len(result.acknowledged) < total // 2:
                await asyncio.sleep(0.02)
            pid = cluster.kill(1)
            with engine.connect() as conn:
                held = {
                    int(row[0])
                    for row in conn.execute(
                        text(
                            "SELECT platform_id FROM inbox_updates"
                            " WHERE status = 'pending' AND claimed_by LIKE :me"
                        ),
                        {"me": f"%:{pid}:%"},
                    )
                }
            await driving
            deadline = time.monotonic() + 60
            while (verdict := verify(traffic, fake.sent())).missing and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
            calls = fake.sent()
            metrics_url = f"http://127.0.0.1:{cluster.proxy_port}/metrics"
            async with aiohttp.ClientSession() as session, session.get(metrics_url) as response:
                exposition = await response.text()
            with engine.connect() as conn:
                steps = dict(conn.execute(text("SELECT user_key, step FROM dialog_states")).all())
                pending = conn.execute(
                    text("SELECT count(*) FROM inbox_updates WHERE status <> 'done'")
                ).scalar()
        finally:
            cluster.stop()
            engine.dispose()
    assert verdict.missing == [], f"unanswered: {verdict.missing[:20]}"
    assert verdict.out_of_order == [], explain(traffic, calls, verdict.out_of_order[:3])
    assert set(verdict.duplicates) <= held, (
        f"answered twice: {verdict.duplicates}, in flight at the kill: {held}"
    )
    assert pending == 0
    # any one process reports the updates of all three, the killed one's included (it may have
    # died between recording an update and counting it)
    received = sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "canhgiac_updates_received_total"
    )
    assert total - len(held) <= received <= total
    # no state lost: every user has one, and the last step a user took is the one kept
    assert len(steps) == len(traffic)
    awaiting = [chat for chat, items in traffic.items() if items[-1].signature == "Hãy dán"]
    assert awaiting and all(steps[str(chat)] == "check.await" for chat in awaiting)
