"""Entities of the scam-check contract: phone numbers, bank accounts and links.

Messages write numbers every which way ("0912.345.678", "(+84) 912 345 678",
"STK: 1903 5678 1234 - Techcombank") and links without a scheme or defanged
("bhxh[.]co"). Digit runs are read once and classified by shape and by the words
around them, so amounts, dates and codes are not taken for phones or accounts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

from content.lexicon import bank_aliases, tlds
from content.lookalike import decode_host, is_shortener, lookalike_of
from content.normalize import clean
from content.result import Entity

__all__ = ["MAX_ENTITIES", "MAX_TEXT", "extract"]

MAX_TEXT = 100_000  # characters scanned for entities; the rest is ignored
MAX_ENTITIES = 50

_DEFANG = re.compile(r"\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]|\(dot\)", re.IGNORECASE)
_HXXP = re.compile(r"\bhxxp(s?)://", re.IGNORECASE)
_URL_CHARS = r"[^\s<>\"'`{}|\\^\[\]]"
_SCHEME_URL = re.compile(rf"\bhttps?://{_URL_CHARS}+", re.IGNORECASE)
_BARE_HOST = re.compile(
    rf"(?<![\w@.\-/])((?:www\.)?(?:[^\W_](?:[\w\-]{{0,61}}[^\W_])?\.)+[a-z]{{2,24}})"
    rf"(?![\w\-])((?::\d{{2,5}})?(?:/{_URL_CHARS}*)?)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)'\"”’»…"

# A run of digits with the separators people type inside numbers.
_DIGIT_RUN = re.compile(r"(?:\(\s?\+?|\+\s?)?\d(?:(?:[ .\-]\(?|\)\s?\(?)?\d)*")
_GROUP_SPLIT = re.compile(r"[^\d]+")
_UNIT_AFTER = re.compile(
    r"\s?(?:d\b|đ|dong|vnd|k\b|tr\b|trieu|ty\b|usd|%|h\b|gio|phut|ngay|thang|nam\b(?!\s?a\b)|tuoi|nghin"
    r"|ngan\b(?!\s?hang)|cu\b)"
)  # "ngan hang" and "Nam A Bank" after an account are banks, not "nghìn" or "năm"
_ACCOUNT_CUE = re.compile(
    r"\b(?:stk|so tk|so tai khoan|tai khoan|tk|acc|account|ck vao|ck qua|chuyen vao|chuyen qua"
    r"|chuyen khoan vao|chuyen khoan qua|vao so|nap vao|so the|chu tk|chu tai khoan)\b"
)
_NOT_ACCOUNT = re.compile(r"\b(?:otp|ma|code|ref|don hang|ma don|mvd|hoa don|so du)\b[^0-9]{0,12}$")
_CUE_WINDOW = 48
_BANK_BESIDE = 16
_PHONE_CUE = re.compile(r"\b(?:sdt|sđt|so dien thoai|dt|lien he|lh|goi|hotline|zalo|phone|call)\b")
_PHONE_CUE_WINDOW = 20
_BANK_BEFORE = 40
_BANK_AFTER = 30
# Old 11-digit mobile prefixes and their 10-digit successors (renumbered 2018–2019).
_OLD_PREFIX = {
    **{f"016{d}": f"03{d}" for d in "23456789"},
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:
        return ch
    base = unicodedata.normalize("NFD", low)[0]
    return "d" if base in "đð" else base


def _fold_aligned(text: str) -> str:
    """Folded text with exactly one character per input character, so spans line up."""
    if text.isascii():
        return text.lower()
    return text.translate({ord(ch): _fold_char(ch) for ch in set(text)})


@lru_cache(maxsize=1)
def _bank_re() -> re.Pattern[str]:
    aliases = sorted(bank_aliases(), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, aliases)) + r")\b")


def _phone(digits: str, plus: bool) -> str | None:
    """E.164 of a digit string if it is a valid phone number, else None."""
    if plus:
        candidate = "+" + digits
    elif digits.startswith("00") and len(digits) > 10:
        candidate = "+" + digits[2:]
    elif digits.startswith("84") and len(digits) == 11:
        candidate = "+" + digits
    elif digits.startswith("0") and len(digits) == 11 and digits[:4] in _OLD_PREFIX:
        candidate = _OLD_PREFIX[digits[:4]] + digits[4:]
    elif digits.startswith("0") and len(digits) in (10, 11):
        candidate = digits
    else:
        return None
    try:
        number = phonenumbers.parse(candidate, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_in_run(run: str) -> str | None:
    """The longest valid phone in a run, trying whole groups from either end."""
    plus = run.lstrip("( ").startswith("+")
    groups = [g for g in _GROUP_SPLIT.split(run) if g]
    for size in range(len(groups), 0, -1):
        for start in range(len(groups) - size + 1):
            digits = "".join(groups[start : start + size])
            if not 9 <= len(digits) <= 15:
                continue
            found = _phone(digits, plus and start == 0)
            if found:
                return found
    return None


def _account_digits(run: str) -> str | None:
    """Digits of a bank-account-shaped run, or None for amounts and the like."""
    if run.lstrip("( ").startswith("+"):
        return None
    groups = [g for g in _GROUP_SPLIT.split(run) if g]
    if len(groups) > 1 and "." in run and all(len(g) == 3 for g in groups[1:]):
        return None  # 1.860.000: thousands, an amount
    if len(groups) > 1 and max(len(g) for g in groups) > 5:
        groups = [max(groups, key=len)]  # "0123456789 50": only the long group
    digits = "".join(groups)
    return digits if 6 <= len(digits) <= 19 else None


def _nearest_bank(
    folded: str,
    start: int,
    end: int,
    banks: list[tuple[int, int, str]],
    before: int = _BANK_BEFORE,
    after: int = _BANK_AFTER,
) -> str | None:
    best: tuple[int, str] | None = None
    for b_start, b_end, code in banks:
        if start - before <= b_end <= start:
            dist = start - b_end
        elif end <= b_start <= end + after:
            dist = b_start - end
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, code)
    return best[1] if best else None


def _urls(text: str) -> tuple[list[tuple[int, Entity]], list[tuple[int, int]]]:
    found: list[tuple[int, Entity]] = []
    spans: list[tuple[int, int]] = []
    known = tlds()
    for m in _SCHEME_URL.finditer(text):
        raw = m.group(0).rstrip(_TRAILING)
        scheme, _, rest = raw.partition("://")
        host = re.split(r"[/?#:]", rest, maxsplit=1)[0].lower().strip(".")
        if "." not in host:
            continue
        tail = rest[len(host) :]
        found.append((m.start(), _url_entity(f"{scheme.lower()}://{host}{tail}", host)))
        spans.append((m.start(), m.start() + len(raw)))
    for m in _BARE_HOST.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        host = m.group(1).lower()
        labels = host.split(".")
        if labels[-1] not in known:
            continue
        if not re.search(r"[^\W\d_]", labels[-2]) and not (len(labels) == 2 and len(labels[0]) >= 3):
            continue  # "3.500.com" is no host; "470420.com" is one
        tail = m.group(2).rstrip(_TRAILING)
        found.append((m.start(), _url_entity(f"http://{host}{tail}", host)))
        spans.append((m.start(), m.start() + len(m.group(1)) + len(tail)))
    return found, spans


_CHAT_LINK_HOSTS = frozenset(["zalo.me", "wa.me", "t.me"])


def _phones_in_links(urls: list[tuple[int, Entity]]) -> list[tuple[int, Entity]]:
    """`zalo.me/0937441240`: a chat link that carries a phone number."""
    out = []
    for at, entity in urls:
        if entity.host not in _CHAT_LINK_HOSTS:
            continue
        path = entity.value.split(entity.host, 1)[-1].strip("/").split("/")[0].split("?")[0]
        if path.lstrip("+").isdigit():
            phone = _phone(path.lstrip("+"), path.startswith("+") or entity.host == "wa.me")
            if phone:
                out.append((at + 1, Entity(kind="phone", value=phone)))
    return out


def _url_entity(value: str, host: str) -> Entity:
    host = host.removeprefix("www.")
    decoded = decode_host(host)
    return Entity(
        kind="url",
        value=value,
        host=host,
        lookalike_of=lookalike_of(decoded),
        shortener=is_shortener(host),
        punycode=decoded != host or not host.isascii(),
    )


def extract(text: str) -> list[Entity]:
    """Every phone, bank account and link in `text`, in order of appearance, deduplicated."""
    text = _HXXP.sub(r"http\1://", _DEFANG.sub(".", clean(text[:MAX_TEXT])))
    folded = _fold_aligned(text)
    found, url_spans = _urls(text)
    found += _phones_in_links(found)
    banks = [(m.start(), m.end(), bank_aliases()[m.group(0)]) for m in _bank_re().finditer(folded)]
    for m in _DIGIT_RUN.finditer(text):
        start, end, run = m.start(), m.end(), m.group(0)
        if any(s <= start < e for s, e in url_spans):
            continue
        if start and (text[start - 1].isdigit() or text[start - 1] in "/:,"):
            continue
        if end < len(text) and text[end] in "/:":
            continue  # dates and times: 15/06, 14:22
        phone = _phone_in_run(run)
        account = _account_digits(run)
        bare = account is not None and not text[:start].strip() and not text[end:].strip()
        # A number written against a bank's name is its account, not also a phone,
        # unless the words just before it say it is one ("liên hệ 0912…").
        beside_bank = bool(
            account
            and not bare
            and _nearest_bank(folded, start, end, banks, _BANK_BESIDE, _BANK_BESIDE)
            and not _PHONE_CUE.search(folded, max(0, start - _BANK_BESIDE), start)
        )
        if phone and not beside_bank:
            found.append((start, Entity(kind="phone", value=phone)))
        if bare and account is not None:
            # A number pasted alone: look it up as every kind it can be.
            found.append((start + 1, Entity(kind="bank_account", value=account)))
            continue
        if account is None or _UNIT_AFTER.match(folded, end):
            continue
        glued = re.search(r"([a-z]+)$", folded[max(0, start - 8) : start])
        if glued and glued.group(1) not in ("stk", "tk", "so", "acc"):
            continue
        if _NOT_ACCOUNT.search(folded, max(0, start - 24), start):
            continue  # "mã OTP của quý khách là 482913"
        bank = _nearest_bank(folded, start, end, banks)
        window = _PHONE_CUE_WINDOW if phone else _CUE_WINDOW
        cue = _ACCOUNT_CUE.search(folded, max(0, start - window), start)
        if (bank and len(account) >= 8) or cue:
            found.append((start + 1, Entity(kind="bank_account", value=account, bank=bank)))
        if len(found) > 4 * MAX_ENTITIES:
            break
    seen: set[tuple[str, str]] = set()
    out: list[Entity] = []
    for _, entity in sorted(found, key=lambda item: item[0]):
        if entity.key not in seen:
            seen.add(entity.key)
            out.append(entity)
    return out[:MAX_ENTITIES]
