"""`make test`'s summary names a skipped browser test and why, next to the final counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_skipped_browser_test_is_named_in_the_summary() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/bot/console/test_browser.py"],
        cwd=REPO,
        env={**os.environ, "CANHGIAC_TEST_CHROMIUM": "/nonexistent/chromium"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    tail = proc.stdout.strip().splitlines()[-2:]
    assert "browser test(s) skipped: Debian's chromium is not installed" in tail[0], proc.stdout
    assert "apt-get install chromium" in tail[0] and "skipped" in tail[1]
