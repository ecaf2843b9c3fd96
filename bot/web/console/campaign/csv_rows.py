"""Reading an uploaded register CSV: rows as (line number, columns by lower-case name)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence


class HeaderError(ValueError):
    """The first line does not name the columns the register needs."""


def read_rows(text: str, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Raises HeaderError (on the first step) when a required column is missing."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    names = [name.strip().lower() for name in header or []]
    if missing := [c for c in required if c not in names]:
        raise HeaderError(
            f"dòng đầu phải là tiêu đề với các cột {','.join(required)} (thiếu cột {', '.join(missing)})"
        )
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        yield (
            reader.line_num,
            {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(names)},
        )
