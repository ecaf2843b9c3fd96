"""The inbox drops a repeated platform update on every database we run on."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import inbox
from storage.db import transaction


def test_repeat_is_dropped(engine: Engine) -> None:
    ids = []
    for _ in range(2):
        with transaction(engine) as session:
            ids.append(
                inbox.record_update(session, channel="zalo", platform_id="p1", user_key="u", payload={})
            )
    assert ids[0] is not None and ids[1] is None
    with transaction(engine) as session:
        other = inbox.record_update(session, channel="telegram", platform_id="p1", user_key="u", payload={})
    assert other is not None and other != ids[0]
