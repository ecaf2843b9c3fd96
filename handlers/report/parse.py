"""Reading residents' answers: dates ("hôm qua", "3 ngày trước", "12/11") and amounts ("5tr", "1,5 tỷ").

Input arrives with or without diacritics, with abbreviations and odd separators; these
functions fold it first and return None when they cannot read it, so the dialog can
explain and ask again instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from handlers.text import fold

MAX_AMOUNT = 10**13  # 10 nghìn tỷ: above this it is a typo, not a loss
OLDEST_YEARS = 20

_RELATIVE_DAYS = {
    "hom nay": 0,
    "nay": 0,
    "sang nay": 0,
    "trua nay": 0,
    "chieu nay": 0,
    "toi nay": 0,
    "vua xong": 0,
    "hom qua": 1,
    "qua": 1,
    "sang qua": 1,
    "chieu qua": 1,
    "toi qua": 1,
    "dem qua": 1,
    "hom kia": 2,
    "hom truoc": 2,
    "tuan truoc": 7,
    "tuan roi": 7,
    "thang truoc": 30,
    "thang roi": 30,
}
_UNITS_AGO = {"ngay": 1, "hom": 1, "tuan": 7, "thang": 30}
_AGO = re.compile(r"^(\d{1,3}) ?(ngay|hom|tuan|thang) ?(truoc|roi|qua)?$")
_DMY = re.compile(r"^(?:ngay )?(\d{1,2}) ?(?:[/.\-]|thang) ?(\d{1,2})(?: ?(?:[/.\-]|nam) ?(\d{2}|\d{4}))?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class DateAnswer:
    """A read date, or why not: `error` is "future" or "too_old" when the date is impossible."""

    value: dt.date | None = None
    error: str | None = None


def parse_date(text: str, today: dt.date) -> DateAnswer | None:
    """The day something happened; None when the text is not a date at all."""
    folded = fold(text).strip(" .!")
    if folded in _RELATIVE_DAYS:
        return _checked(today - dt.timedelta(days=_RELATIVE_DAYS[folded]), today)
    match = _AGO.match(folded)
    if match:
        return _checked(today - dt.timedelta(days=int(match[1]) * _UNITS_AGO[match[2]]), today)
    match = _YMD.match(folded)
    if match:
        return _from_parts(int(match[3]), int(match[2]), int(match[1]), today)
    match = _DMY.match(folded)
    if match:
        day, month = int(match[1]), int(match[2])
        if match[3] is None:
            # "12/11" means the latest 12/11 that is not in the future.
            answer = _from_parts(day, month, today.year, today)
            if answer is not None and answer.error == "future":
                answer = _from_parts(day, month, today.year - 1, today)
            return answer
        year = int(match[3])
        return _from_parts(day, month, year + 2000 if year < 100 else year, today)
    return None


def _from_parts(day: int, month: int, year: int, today: dt.date) -> DateAnswer | None:
    try:
        return _checked(dt.date(year, month, day), today)
    except ValueError:
        return None


def _checked(value: dt.date, today: dt.date) -> DateAnswer:
    if value > today:
        return DateAnswer(error="future")
    if value.year < today.year - OLDEST_YEARS:
        return DateAnswer(error="too_old")
    return DateAnswer(value=value)


_NONE_WORDS = frozenset(
    {"khong", "khong mat", "khong mat tien", "chua mat", "chua mat tien", "chua", "0", "0d", "khong co"}
)
_MULTIPLIERS = {
    "ty": 10**9,
    "ti": 10**9,
    "trieu": 10**6,
    "tr": 10**6,
    "cu": 10**6,
    "m": 10**6,
    "nghin": 10**3,
    "ngan": 10**3,
    "ng": 10**3,
    "k": 10**3,
}
_CURRENCY = frozenset({"d", "dong", "vnd", "vnđ"})
_FILLER = re.compile(r"\b(khoang|tam|hon|gan|tong cong|tong|dong|vnd|la|mat|bi lua)\b")
_DIGIT_D = re.compile(r"(\d)\s*d\b")
_SPACED_THOUSANDS = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")
_TOKEN = re.compile(r"(\d+(?:[.,]\d+)*)\s*([a-z]+)?")


def parse_amount(text: str) -> int | None:
    """Money in đồng; 0 for "không mất"; None when unreadable or a bare small number ("500")."""
    folded = fold(text).strip(" .!")
    if folded in _NONE_WORDS:
        return 0
    folded = _FILLER.sub(" ", folded)
    folded = _DIGIT_D.sub(r"\1", folded)  # "2.000.000đ" → "2.000.000"
    folded = _SPACED_THOUSANDS.sub("", folded).strip()  # "100 000 000" → "100000000"
    tokens = _TOKEN.findall(folded)
    rest = _TOKEN.sub(" ", folded).strip()
    if not tokens or rest:
        return None
    total, last_unit = 0, 0
    for number, unit in tokens:
        if unit in _MULTIPLIERS:
            mult = _MULTIPLIERS[unit]
            if last_unit and mult >= last_unit:
                return None  # "5 triệu 2 tỷ": units must go down
            total += round(_decimal(number) * mult)
            last_unit = mult
        elif unit and unit not in _CURRENCY:
            return None
        elif last_unit:
            # "5tr5", "1 tỷ 2", "5tr500": the digits continue the previous unit.
            digits = re.sub(r"\D", "", number)
            total += int(digits) * last_unit // 10 ** len(digits)
            last_unit = 1
        else:
            value = _integer(number)
            if value is None or value < 1000:
                return None  # "500" alone: 500 đồng or 500 nghìn? Ask again.
            total += value
            last_unit = 1
    if total <= 0 or total > MAX_AMOUNT:
        return None
    return total


def _decimal(number: str) -> float:
    """'1,5' and '1.5' are one and a half; '1.500' is fifteen hundred."""
    parts = re.split(r"[.,]", number)
    if len(parts) == 2 and len(parts[1]) != 3:
        return float(f"{parts[0]}.{parts[1]}")
    return float("".join(parts))


def _integer(number: str) -> int | None:
    parts = re.split(r"[.,]", number)
    if len(parts) > 1 and any(len(p) != 3 for p in parts[1:]):
        return None  # "2,5" without a unit is not a sum of money
    return int("".join(parts))
