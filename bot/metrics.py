"""What an operator watches on `/metrics` (Prometheus text format), for one or many processes.

Counters and histograms live in this module and are moved where their event happens. With
several processes on a machine (N `serve`, M `worker`), prometheus-client's multi-process
mode keeps each process's values in files of a shared folder: set PROMETHEUS_MULTIPROC_DIR
(read by prometheus-client itself, and by Settings) to an empty folder before the processes
start, and any one of them answers for all. Figures that live in the database (outbox depth
and age, tips by status) are read when scraped, so every process reports the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage import ops_figures
from storage.db import transaction

log = logging.getLogger(__name__)

UPDATES_RECEIVED = Counter("canhgiac_updates_received", "Platform updates recorded, by channel", ["channel"])
UPDATES_DUPLICATE = Counter(
    "canhgiac_updates_duplicate", "Platform updates dropped as repeats of a recorded one", ["channel"]
)
UPDATES_HANDLED = Counter(
    "canhgiac_updates_handled", "Updates processed, by channel and outcome", ["channel", "outcome"]
)
HANDLING_SECONDS = Histogram(
    "canhgiac_update_handling_seconds",
    "From the update's record to its reply sent (or handed to the outbox)",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
REPLIES_SENT = Counter("canhgiac_replies_sent", "Messages delivered to a platform, by channel", ["channel"])
REPLIES_FAILED = Counter(
    "canhgiac_replies_failed", "Sends that did not deliver, by channel and error", ["channel", "error"]
)
RATE_LIMIT_WAITS = Counter(
    "canhgiac_ratelimit_waits", "Sends held back by a platform rate limit, by channel", ["channel"]
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "canhgiac_ratelimit_wait_seconds", "Time sends spent held back by rate limits", ["channel"]
)
CHECKS = Counter("canhgiac_checks", "Checks answered, by verdict", ["verdict"])
DB_POOL_IN_USE = Gauge(
    "canhgiac_db_pool_in_use", "Database connections checked out", multiprocess_mode="livesum"
)


def count_check(verdict: str) -> None:
    CHECKS.labels(verdict=verdict).inc()


def count_send(channel: str, outcome: str) -> None:
    """`outcome`: bot.delivery.Outcome's value."""
    if outcome == "sent":
        REPLIES_SENT.labels(channel=channel).inc()
    else:
        REPLIES_FAILED.labels(channel=channel, error=outcome).inc()


def count_wait(channel: str, seconds: float) -> None:
    RATE_LIMIT_WAITS.labels(channel=channel).inc()
    RATE_LIMIT_WAIT_SECONDS.labels(channel=channel).inc(seconds)


def handled(channel: str, outcome: str, since: float | None) -> None:
    """`since`: time.monotonic() of the record, when known."""
    UPDATES_HANDLED.labels(channel=channel, outcome=outcome).inc()
    if since is not None:
        HANDLING_SECONDS.labels(channel=channel).observe(time.monotonic() - since)


def watch_pool(engine: Engine) -> None:
    """Count the connections this process holds (its share of the database's limit)."""

    def checkout(*_: Any) -> None:
        DB_POOL_IN_USE.inc()

    def checkin(*_: Any) -> None:
        DB_POOL_IN_USE.dec()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


class DatabaseFigures(Collector):
    """Outbox depth and age, tips by status: read from the database when scraped."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with transaction(self.engine) as session:
                depth = ops_figures.outbox_depth(session)
                tips = ops_figures.tips_by_status(session)
        except Exception as exc:  # a scrape during an outage: the process metrics still answer
            log.warning("metrics: database figures unavailable: %s", exc)
            return
        now = dt.datetime.now(dt.UTC)
        pending = GaugeMetricFamily("canhgiac_outbox_depth", "Outbox rows waiting, by kind", labels=["kind"])
        age = GaugeMetricFamily(
            "canhgiac_outbox_oldest_age_seconds", "Age of the oldest waiting outbox row", labels=["kind"]
        )
        for kind, (count, oldest) in sorted(depth.items()):
            pending.add_metric([kind], count)
            age.add_metric([kind], (now - oldest).total_seconds() if oldest else 0.0)
        yield pending
        yield age
        by_status = GaugeMetricFamily("canhgiac_tips", "Tips by status", labels=["status"])
        for status, count in sorted(tips.items()):
            by_status.add_metric([status], count)
        yield by_status


def render(engine: Engine, multiprocess_dir: str | None) -> tuple[bytes, str]:
    """The exposition of every process of the machine (multi-process mode) or of this one."""
    if multiprocess_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry = REGISTRY
    figures = CollectorRegistry()
    figures.register(DatabaseFigures(engine))
    return generate_latest(registry) + generate_latest(figures), CONTENT_TYPE_LATEST
