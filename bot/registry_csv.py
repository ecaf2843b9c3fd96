"""`canhgiac registry import FILE.csv`: each row checked and normalised; a bad row is reported with
its line number, the rest load.

The file is read as a stream, so a list of a million rows costs the memory of one batch.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from typing import TextIO

import phonenumbers

from storage.registry import KINDS, MAX_BANK, MAX_NOTE, MAX_REPORTS, MAX_VALUE, RegistryRow, registry_value

HEADER = ("kind", "value", "reports", "bank", "note")
REQUIRED = ("kind", "value")
KIND_ALIASES = {
    "phone": "phone",
    "sdt": "phone",
    "so dien thoai": "phone",
    "bank_account": "bank_account",
    "stk": "bank_account",
    "account": "bank_account",
    "tai khoan": "bank_account",
    "url": "url",
    "link": "url",
    "domain": "url",
    "website": "url",
}
# The common spellings of a Vietnamese number, which need no full parse (a million rows add up).
_PLAIN_VN_PHONE = re.compile(r"(?:0|\+84)([1-9][0-9]{8})")
_PHONE_CHARS = frozenset("0123456789+ .-()")
_ACCOUNT_SEPARATORS = frozenset(" .-")
_HOST = re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+")
_MAX_HOST = 253  # DNS's own limit on a name
# Control characters (NUL, tab, …) and what a spreadsheet would run as a formula never reach
# the registry; a leading + or - is a formula unless a digit follows (+84…).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORMULA = re.compile(r"[=@]|[+-](?![0-9])")

ErrorSink = Callable[[int, str], None]


class HeaderError(ValueError):
    """The file has no usable header row: nothing can be read from it."""


def normalise(kind: str, value: str) -> str:
    """The registry's canonical form, matching what the engine extracts from text."""
    value = value.strip()
    if kind == "phone":
        return _phone(value)
    if kind == "bank_account":
        if not all(ch in _ACCOUNT_SEPARATORS or "0" <= ch <= "9" for ch in value):
            raise ValueError(f"số tài khoản chỉ gồm chữ số 0–9: {value!r}")
        digits = "".join(ch for ch in value if "0" <= ch <= "9")
        if not 6 <= len(digits) <= 19:
            raise ValueError(f"số tài khoản phải gồm 6–19 chữ số: {value!r}")
        return digits
    host = registry_value("url", value)
    if len(host) > _MAX_HOST or not _HOST.fullmatch(host):
        raise ValueError(f"đường link hoặc tên miền không hợp lệ: {_short(value)!r}")
    return host


def _phone(value: str) -> str:
    if not all(ch in _PHONE_CHARS for ch in value):
        raise ValueError(f"số điện thoại chỉ gồm chữ số 0–9 (và + . - khoảng trắng): {_short(value)!r}")
    compact = value.replace(" ", "").replace(".", "").replace("-", "")
    if plain := _PLAIN_VN_PHONE.fullmatch(compact):
        return "+84" + plain.group(1)
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"số điện thoại không đọc được: {value!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"số điện thoại không hợp lệ: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_rows(stream: TextIO, on_error: ErrorSink) -> Iterator[RegistryRow]:
    """The good rows of a CSV stream; each bad one goes to `on_error` with its line number.

    Raises HeaderError (on the first step) when the first row does not name the columns.
    """
    reader = csv.reader(stream)
    header = next(reader, None)
    if not header:
        raise HeaderError(f"tệp trống: dòng đầu phải là tiêu đề {','.join(HEADER)}")
    names = [name.strip().lower() for name in header]
    if missing := [column for column in REQUIRED if column not in names]:
        raise HeaderError(
            f"dòng đầu phải là tiêu đề với các cột {','.join(HEADER)} "
            f"(thiếu cột {', '.join(missing)}; dòng đầu đang là {_short(','.join(header))!r})"
        )
    wanted = [(name, names.index(name)) for name in HEADER if name in names]
    for cells in reader:
        if not cells:
            continue
        try:
            yield _row({name: cells[i].strip() if i < len(cells) else "" for name, i in wanted})
        except ValueError as exc:
            on_error(reader.line_num, str(exc))


def _row(row: dict[str, str]) -> RegistryRow:
    for column, text in row.items():
        if _CONTROL.search(text):
            raise ValueError(f"cột {column} có ký tự điều khiển (NUL, tab…)")
        if _FORMULA.match(text):
            raise ValueError(f"cột {column} là công thức bảng tính, không phải dữ liệu: {_short(text)!r}")
    kind = KIND_ALIASES.get(row["kind"].lower(), "")
    if kind not in KINDS:
        raise ValueError(f"loại không hợp lệ: {_short(row['kind'])!r} (phone, bank_account, url)")
    if not row["value"]:
        raise ValueError("thiếu giá trị (cột value)")
    reports_text = row.get("reports") or "1"
    if not (reports_text.isascii() and reports_text.isdigit() and 1 <= int(reports_text) <= MAX_REPORTS):
        raise ValueError(f"số lần báo cáo phải là số nguyên từ 1 đến {MAX_REPORTS}: {_short(reports_text)!r}")
    bank, note = row.get("bank") or None, row.get("note") or None
    if bank and len(bank) > MAX_BANK:
        raise ValueError(f"tên ngân hàng dài quá {MAX_BANK} ký tự: {_short(bank)!r}")
    if note and len(note) > MAX_NOTE:
        raise ValueError(f"ghi chú dài quá {MAX_NOTE} ký tự")
    value = normalise(kind, row["value"])
    if len(value) > MAX_VALUE:
        raise ValueError(f"giá trị dài quá {MAX_VALUE} ký tự")
    return RegistryRow(kind=kind, value=value, reports=int(reports_text), bank=bank, note=note)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
