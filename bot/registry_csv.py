"""`canhgiac registry import FILE.csv`: each row normalised; a bad row is reported, the rest load."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from storage.registry import KINDS, RegistryRow, registry_value

HEADER = ("kind", "value", "reports", "bank", "note")
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


@dataclass
class ImportReport:
    rows: list[RegistryRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def normalise(kind: str, value: str) -> str:
    """The registry's canonical form, matching what the engine extracts from text."""
    value = value.strip()
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, "VN")
        except phonenumbers.NumberParseException as exc:
            raise ValueError(f"số điện thoại không đọc được: {value!r}") from exc
        if not phonenumbers.is_possible_number(number):
            raise ValueError(f"số điện thoại không hợp lệ: {value!r}")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == "bank_account":
        digits = "".join(ch for ch in value if ch.isdigit())
        if not 6 <= len(digits) <= 19 or len(digits) != len(
            value.replace(" ", "").replace(".", "").replace("-", "")
        ):
            raise ValueError(f"số tài khoản phải gồm 6–19 chữ số: {value!r}")
        return digits
    host = registry_value("url", value)
    if "." not in host or " " in host:
        raise ValueError(f"đường link hoặc tên miền không hợp lệ: {value!r}")
    return host


def read_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    for row in reader:
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def parse_file(path: Path) -> ImportReport:
    report = ImportReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, "tệp không phải UTF-8"))
        return report
    for line, row in read_rows(text):
        try:
            report.rows.append(_row(row))
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    return report


def _row(row: dict[str, str]) -> RegistryRow:
    kind = KIND_ALIASES.get(row.get("kind", "").lower(), "")
    if kind not in KINDS:
        raise ValueError(f"loại không hợp lệ: {row.get('kind')!r} (phone, bank_account, url)")
    if not row.get("value"):
        raise ValueError("thiếu giá trị (cột value)")
    reports_text = row.get("reports") or "1"
    if not reports_text.isdigit() or int(reports_text) < 1:
        raise ValueError(f"số lần báo cáo phải là số nguyên dương: {reports_text!r}")
    return RegistryRow(
        kind=kind,
        value=normalise(kind, row["value"]),
        reports=int(reports_text),
        bank=(row.get("bank") or None),
        note=(row.get("note") or None),
    )
