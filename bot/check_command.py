"""`canhgiac check`: the scam-check contract on the command line (shared eval README)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from bot import safe_json
from bot.settings import Settings
from content.check import Checker
from content.library import load_library
from content.result import RegistryLookup, no_registry

log = logging.getLogger(__name__)


def _lookup(settings: Settings, use_registry: bool, stderr: TextIO) -> RegistryLookup:
    if not use_registry:
        return no_registry
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from storage.db import make_engine
    from storage.registry import RegistryReader

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        # Opening it would create an empty database wherever the command happens to run.
        stderr.write(
            f"Không có cơ sở dữ liệu ở {url.database}: kiểm tra mà không tra sổ đăng ký "
            "(đặt CANHGIAC_DATA_DIR hoặc CANHGIAC_DATABASE_URL, hoặc thêm --no-registry).\n"
        )
        return no_registry
    engine = make_engine(settings.effective_database_url)
    try:
        if not inspect(engine).has_table("registry_entities"):
            return no_registry
    except Exception as exc:  # a missing or unreachable database must not stop a check
        log.warning("registry unavailable, checking without it: %s", exc)
        return no_registry
    return RegistryReader(engine)


def run_check(
    settings: Settings,
    *,
    text: str | None,
    jsonl: bool,
    use_registry: bool = True,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    checker = Checker(load_library(settings.library_dir))
    lookup = _lookup(settings, use_registry, stderr or sys.stderr)
    if not jsonl:
        if text is None:
            text = stdin.read()
        result = checker.check(text, lookup)
        stdout.write(json.dumps(result.to_contract(None), ensure_ascii=False) + "\n")
        return 0
    source = getattr(stdin, "buffer", None)
    for number, raw in enumerate(source if source is not None else stdin):
        if isinstance(raw, bytes):
            try:
                # A BOM opens files saved by Notepad and Excel: not part of the first line.
                line = raw.decode("utf-8-sig" if number == 0 else "utf-8")
            except UnicodeDecodeError:
                stdout.write(json.dumps({"id": None, "error": "dòng không phải UTF-8"}) + "\n")
                continue
        else:
            line = raw.removeprefix("\ufeff") if number == 0 else raw
        stdout.write(json.dumps(check_line(checker, lookup, line), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def check_line(checker: Checker, lookup: RegistryLookup, line: str) -> dict[str, Any]:
    """One contract line; anything unreadable becomes {"id": null, "error": ...}."""
    if not line.strip():
        return {"id": None, "error": "dòng trống"}
    try:
        item = safe_json.loads(line)
    except ValueError as exc:  # not JSON, not UTF-8, or nested too deep
        return {"id": None, "error": f"không phải JSON: {exc}"}
    if not isinstance(item, dict):
        return {"id": None, "error": "mỗi dòng phải là một đối tượng JSON"}
    raw_id = item.get("id")
    id_ = raw_id if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
    text = item.get("text")
    if not isinstance(text, str):
        return {"id": id_, "error": "thiếu trường text (chuỗi)"}
    try:
        return checker.check(text, lookup).to_contract(id_)
    except Exception as exc:  # one bad message never stops the run
        log.exception("check failed for id %r", id_)
        return {"id": id_, "error": f"lỗi khi kiểm tra: {exc}"}
