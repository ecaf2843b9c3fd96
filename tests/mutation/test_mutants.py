"""The mutation list stays in step with the code: every deliberate bug still applies to its module.

A change that rewrites a mutated snippet fails here, so the list is updated in the same
change (see the README's test section) instead of quietly testing nothing.
"""

from __future__ import annotations

from tests.mutation.run import load, problems


def test_every_mutant_applies_once_and_names_existing_tests() -> None:
    assert problems(load()) == []


def test_the_list_covers_security_privacy_and_delivery() -> None:
    files = {m.file for m in load()}
    for module in (
        "bot/web/console/security.py",
        "bot/web/console/tips.py",
        "bot/web/console/export.py",
        "bot/channels/telegram/webhook.py",
        "bot/channels/zalo/webhook.py",
        "bot/channels/zalo/signature.py",
        "bot/ratelimit.py",
        "bot/app.py",
        "storage/outbox.py",
        "storage/registry.py",
        "storage/tip_triage.py",
        "storage/tip_queries.py",
        "content/verdict.py",
    ):
        assert module in files, module
