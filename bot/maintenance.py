"""Periodic jobs: remind and expire unfinished reports, erase personal data after retention
(tips, the addresses of failed console logins once their window has passed, handled platform
updates once their deduplication window has passed, the addresses and typed names in the
audit log's login entries after `login_record_days`).

Each run is short transactions plus file deletions after the commit; runs on several
processes at once are harmless (reminders are de-duplicated, erasure is idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.settings import Settings
from handlers.report import draft as report_draft
from handlers.report.flow import PREFIX as REPORT_PREFIX
from handlers.report.notify import draft_reminder
from storage import audit, drafts, inbox, officers, tips
from storage.db import transaction
from storage.evidence import EvidenceStore

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class MaintenanceReport:
    reminded: int = 0
    expired: int = 0
    erased_tips: int = 0
    deleted_files: int = 0


class Maintenance:
    def __init__(self, engine: Engine, settings: Settings, evidence: EvidenceStore) -> None:
        self.engine = engine
        self.settings = settings
        self.evidence = evidence
        self._stop = asyncio.Event()

    def run_once(self, now: dt.datetime | None = None) -> MaintenanceReport:
        now = now or dt.datetime.now(dt.UTC)
        s = self.settings
        with transaction(self.engine) as session:
            reminded = drafts.remind_idle_drafts(
                session,
                key=report_draft.KEY,
                idle_before=now - dt.timedelta(hours=s.draft_remind_hours),
                replies=draft_reminder(s.draft_expire_days),
            )
        with transaction(self.engine) as session:
            expired = drafts.expire_drafts(
                session,
                key=report_draft.KEY,
                step_prefix=REPORT_PREFIX,
                older_than=now - dt.timedelta(days=s.draft_expire_days),
            )
        with transaction(self.engine) as session:
            officers.purge_login_failures(session, now=now)
        while True:
            with transaction(self.engine) as session:
                purged = inbox.purge_handled(session, before=now - dt.timedelta(days=s.inbox_keep_days))
            if purged < 5000:
                break
        while True:
            with transaction(self.engine) as session:
                scrubbed = audit.scrub_login_details(
                    session, before=now - dt.timedelta(days=s.login_record_days)
                )
            if scrubbed < 1000:
                break
        files = [str(item.get("key", "")) for d in expired for item in d.get("evidence", [])]
        erased = 0
        while True:
            with transaction(self.engine) as session:
                done = tips.expire_retention(session, now=now, days=s.retention_days, limit=BATCH)
            files += done.files
            erased += done.tips
            if done.tips < BATCH:
                break
        for key in files:
            try:
                self.evidence.delete(key)
            except Exception:  # one bad file must not stop the others; it is retried by hand
                log.exception("could not delete an evidence file")
        report = MaintenanceReport(
            reminded=reminded, expired=len(expired), erased_tips=erased, deleted_files=len(files)
        )
        if reminded or expired or erased:
            log.info("maintenance: %s", report)
        return report

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("maintenance run failed; next run as scheduled")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.settings.maintenance_interval_seconds)
