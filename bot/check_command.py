"""`canhgiac check`: the scam-check contract on the command line (shared eval README).

A screenshot is checked by what it says: `--image FILE`, or `{"id", "image": "path"}` lines
with `--jsonl`, print the same JSON as a text check plus `"text"`, what was read.
"""

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
from handlers.reading import PictureRefused, ReadPicture

# What a refused picture is called in the contract's "error" field.
REFUSALS = {
    "too_large": "ảnh lớn quá",
    "not_a_picture": "không phải ảnh JPEG, PNG hay WebP",
    "gif": "ảnh GIF không được đọc",
    "pdf": "tệp PDF không được đọc",
    "too_many_pixels": "ảnh có quá nhiều điểm ảnh",
    "corrupt": "tệp ảnh hỏng",
    "unavailable": "không mở được tệp",
}

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
    image: Path | None = None,
    use_registry: bool = True,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    checker = Checker(load_library(settings.library_dir))
    lookup = _lookup(settings, use_registry, stderr or sys.stderr)
    pictures = Pictures(settings)
    if image is not None and not jsonl:
        answer = check_image(checker, lookup, pictures, str(image), None)
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        return 1 if "error" in answer else 0
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
        stdout.write(json.dumps(check_line(checker, lookup, line, pictures), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def check_line(
    checker: Checker, lookup: RegistryLookup, line: str, pictures: Pictures | None = None
) -> dict[str, Any]:
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
    if not isinstance(text, str) and isinstance(item.get("image"), str) and pictures is not None:
        return check_image(checker, lookup, pictures, item["image"], id_)
    if not isinstance(text, str):
        return {"id": id_, "error": "thiếu trường text (chuỗi) hoặc image (đường dẫn ảnh)"}
    try:
        return checker.check(text, lookup).to_contract(id_)
    except Exception as exc:  # one bad message never stops the run
        log.exception("check failed for id %r", id_)
        return {"id": id_, "error": f"lỗi khi kiểm tra: {exc}"}


class Pictures:
    """The picture reader, made on first use (a text-only run never loads the OCR model)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reader: ReadPicture | None = None
        self._tried = False

    def reader(self) -> ReadPicture | None:
        if not self._tried:
            from bot.pictures.reader import PictureReader

            self._tried = True
            self._reader = PictureReader.installed(workers=1, max_bytes=self.settings.evidence_max_bytes)
        return self._reader


def check_image(
    checker: Checker, lookup: RegistryLookup, pictures: Pictures, path: str, id_: str | int | None
) -> dict[str, Any]:
    """The contract's answer for the picture at `path`, plus "text": what was read."""
    reader = pictures.reader()
    if reader is None:
        return {"id": id_, "error": "chưa cài Tesseract với tiếng Việt (tesseract-ocr-vie)"}
    limit = pictures.settings.evidence_max_bytes
    try:
        with open(path, "rb") as file:
            data = file.read(limit + 1)
        read = reader(data).joined
    except PictureRefused as exc:
        return {"id": id_, "error": REFUSALS.get(exc.reason, exc.reason), "text": ""}
    except OSError as exc:
        return {"id": id_, "error": f"không mở được tệp: {exc.strerror or exc}"}
    try:
        answer = checker.check(read, lookup).to_contract(id_)
    except Exception as exc:  # one bad picture never stops the run
        log.exception("check failed for id %r", id_)
        return {"id": id_, "error": f"lỗi khi kiểm tra: {exc}", "text": read}
    return {**answer, "text": read}
