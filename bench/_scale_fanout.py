"""Fan-out of whole-province alerts, timed as the worker runs it, with a sender claiming meanwhile.

    python bench/_scale_fanout.py DATABASE_URL

Run by bench/console_scale.py in the checkout being measured (PYTHONPATH), so it uses that
checkout's storage code. One alert per province to every subscriber; a second thread
claims and marks rows as a sender does, from the moment the fan-out starts, and the
first claimed row's time is when deliveries could start. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from sqlalchemy import func, text, update
from sqlmodel import select

from content import places
from content.alerts import compose_alert
from storage import alerts, outbox
from storage.alerts import Audience
from storage.db import make_engine, transaction
from storage.models import Alert, Officer, OutboxMessage


def main() -> None:
    engine = make_engine(sys.argv[1])
    with engine.begin() as conn:  # a kept database: start from no alerts, as the first run did
        conn.execute(text("TRUNCATE outbox, alerts RESTART IDENTITY CASCADE"))
    with transaction(engine) as s:
        admin = s.exec(select(Officer).where(Officer.role == "admin")).first()
        assert admin is not None
        for place in places.provinces():
            alert = alerts.create_alert(
                s,
                officer=admin,
                title="Cảnh báo giả danh công an",
                replies=[compose_alert(title="Cảnh báo giả danh công an", body="Công an không gọi video.")],
                audience=Audience(place.province_code, whole_province=True),
                channels=["telegram", "zalo"],
            )
            alerts.submit_alert(s, alert_id=int(alert.id or 0), officer=admin, require_approval=False)
    first: list[float] = []
    claimed = [0]
    done = threading.Event()
    started = time.monotonic()

    def sender() -> None:
        # A worker's pace: a batch of 200, then a pause (platforms allow a few dozen a second).
        while not done.is_set():
            with transaction(engine) as s:
                rows = outbox.claim_batch(s, worker="bench-sender", limit=200)
                if rows:
                    outbox.mark_many(s, [int(r.id or 0) for r in rows], status="sent", worker="bench-sender")
            if rows and not first:
                first.append(time.monotonic() - started)
            claimed[0] += len(rows)
            time.sleep(0.2 if rows else 0.05)

    thread = threading.Thread(target=sender)
    thread.start()
    if hasattr(alerts, "run_due"):
        alerts.run_due(engine)
    else:
        while True:
            with transaction(engine) as s:
                if not alerts.start_due(s):
                    break
    fan_out = time.monotonic() - started
    done.set()
    thread.join()
    with engine.begin() as conn:
        total = conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
        # The rest is delivered at once, so the list shows finished alerts with their figures.
        conn.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="sent"))
    with transaction(engine) as s:
        alerts.finish_sent(s)
    with engine.connect() as conn:
        done_alerts = select(func.count()).select_from(Alert).where(Alert.status == "done")
        finished = conn.execute(done_alerts).scalar_one()
    print(
        json.dumps(
            {
                "fan_out_s": round(fan_out, 2),
                "first_claim_s": round(first[0], 2) if first else None,
                "recipients": int(total),
                "claimed_during": claimed[0],
                "alerts_done": int(finished),
            }
        )
    )
    engine.dispose()


if __name__ == "__main__":
    main()
