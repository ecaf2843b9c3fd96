"""Load and check the card library.

Cards are written and reviewed by officers, not programmers, so a broken library must
explain itself: every problem in every file is collected and reported at once, each
naming the file, the field and the reason in plain words, instead of stopping at the
first one.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from content.schema import Card

#: The modus ids fixed by the scam-check contract (shared/eval/README.md); more may be
#: added, none of these may go missing or be renamed.
# The fixed modus ids of the scam-check contract, in the order residents browse them
# (the most frequent tricks first).
BROWSE_ORDER: Final[tuple[str, ...]] = (
    "impersonate-authority",
    "task-scam",
    "fake-investment",
    "account-sim-trade",
    "fake-bank",
    "fake-egov",
    "impersonate-service-staff",
    "loan-scam",
    "relative-emergency",
    "hacked-account-borrow",
    "romance-gift",
    "fake-job",
    "recovery-scam",
    "online-shopping",
    "prize-lottery",
    "fake-booking",
    "child-casting",
    "virtual-kidnapping",
    "mistaken-transfer",
    "online-gambling",
    "social-account-service",
)
REQUIRED_MODUS_IDS: Final[frozenset[str]] = frozenset(BROWSE_ORDER)

DEFAULT_LIBRARY_DIR: Final[Path] = Path(__file__).resolve().parent / "library"

# Vietnam keeps UTC+7 all year; "today" for a review date is the officers' today.
_VIETNAM_TZ: Final = dt.timezone(dt.timedelta(hours=7))

_WHOLE_FILE: Final = "(file)"


@dataclass(frozen=True)
class LibraryProblem:
    """One thing wrong with the library, phrased for the officer who edits the card."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


class LibraryError(Exception):
    """The library cannot be used; `problems` lists everything found, not just the first."""

    def __init__(self, problems: Iterable[LibraryProblem]) -> None:
        self.problems: list[LibraryProblem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


@dataclass(frozen=True)
class Library:
    """The validated cards, keyed by id; read-only so the engine can share it freely."""

    cards: Mapping[str, Card] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cards", MappingProxyType(dict(self.cards)))

    def get(self, card_id: str) -> Card | None:
        """The card with this id, or None."""
        return self.cards.get(card_id)

    def modus_cards(self) -> list[Card]:
        """Every modus card, sorted by id so scores and listings come out stable."""
        return sorted((card for card in self.cards.values() if card.kind == "modus"), key=lambda c: c.id)

    def browsing_order(self) -> list[Card]:
        """Modus cards as residents browse them: the most frequent tricks first, then the rest."""
        rank = {card_id: pos for pos, card_id in enumerate(BROWSE_ORDER)}
        return sorted(self.modus_cards(), key=lambda c: (rank.get(c.id, len(rank)), c.id))

    def guides(self) -> list[Card]:
        """Every general guide card, sorted by id."""
        return sorted((card for card in self.cards.values() if card.kind == "guide"), key=lambda c: c.id)

    def __len__(self) -> int:
        return len(self.cards)


class _CardLoader(yaml.SafeLoader):
    """The safe loader, minus YAML's own date parsing.

    PyYAML turns `2026-13-01` into a crash rather than a value; leaving dates as text
    lets the schema report a bad `reviewed` date against its field like any other.
    """


_CardLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_library(path: Path | None = None, *, today: dt.date | None = None) -> Library:
    """Load every `*.yaml` card in `path` (default: the `library` folder beside this module).

    `today` is for tests; by default it is today's date in Vietnam. Raises LibraryError
    listing every problem found in any file.
    """
    folder = DEFAULT_LIBRARY_DIR if path is None else path
    today = today or dt.datetime.now(_VIETNAM_TZ).date()
    problems: list[LibraryProblem] = []
    cards: dict[str, Card] = {}
    file_of_id: dict[str, str] = {}
    kind_of_id: dict[str, object] = {}

    if not folder.is_dir():
        raise LibraryError([LibraryProblem(str(folder), _WHOLE_FILE, "thư mục không tồn tại")])

    parsed = [
        (file, data)
        for file in sorted(folder.glob("*.yaml"))
        if (data := _read_yaml(file, problems)) is not None
    ]
    # A file named after its id owns that id; any other file claiming it is the duplicate.
    parsed.sort(key=lambda item: item[1].get("id") != item[0].stem)

    for file, data in parsed:
        name = file.name
        raw_id = data.get("id")
        duplicate = False
        if isinstance(raw_id, str):
            if raw_id != file.stem:
                problems.append(
                    LibraryProblem(name, "id", f"là '{raw_id}' nhưng phải trùng tên tệp '{file.stem}'")
                )
            if raw_id in file_of_id:
                problems.append(LibraryProblem(name, "id", f"'{raw_id}' đã được dùng ở {file_of_id[raw_id]}"))
                duplicate = True
            else:
                file_of_id[raw_id] = name
                kind_of_id[raw_id] = data.get("kind", "modus")

        try:
            card = Card.model_validate(data)
        except ValidationError as error:
            problems.extend(_problems_from(name, error.errors()))
            continue

        problems.extend(_check_card(name, card, today))
        if not duplicate:
            cards[card.id] = card

    for missing in sorted(REQUIRED_MODUS_IDS - file_of_id.keys()):
        problems.append(LibraryProblem(f"{missing}.yaml", "id", f"thiếu thẻ thủ đoạn bắt buộc '{missing}'"))
    for required in sorted(REQUIRED_MODUS_IDS & file_of_id.keys()):
        if kind_of_id[required] != "modus":
            problems.append(
                LibraryProblem(
                    file_of_id[required], "kind", f"'{required}' là thủ đoạn bắt buộc: ghi kind: modus"
                )
            )

    if problems:
        # Grouped by file, in the order found within a file, so an officer can fix one at a time.
        raise LibraryError(sorted(problems, key=lambda problem: problem.file))
    return Library(cards)


def _read_yaml(file: Path, problems: list[LibraryProblem]) -> dict[str, Any] | None:
    """Parse one file; on failure record why (with the line for syntax errors) and return None."""
    name = file.name
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(LibraryProblem(name, _WHOLE_FILE, "không phải văn bản UTF-8"))
        return None
    except OSError as error:
        problems.append(LibraryProblem(name, _WHOLE_FILE, f"không đọc được ({error.strerror})"))
        return None
    try:
        # A SafeLoader subclass: as safe as yaml.safe_load.
        data = yaml.load(text, Loader=_CardLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"dòng {mark.line + 1}" if mark is not None else _WHOLE_FILE
        column = f" (cột {mark.column + 1})" if mark is not None else ""
        # PyYAML's own wording is English: the line and column say enough to find the mistake.
        problems.append(LibraryProblem(name, where, f"sai cú pháp YAML{column}"))
        return None
    except yaml.YAMLError:
        problems.append(LibraryProblem(name, _WHOLE_FILE, "sai cú pháp YAML"))
        return None
    if not isinstance(data, dict):
        problems.append(LibraryProblem(name, _WHOLE_FILE, "phải chứa một thẻ: các dòng 'trường: giá trị'"))
        return None
    return data


def _check_card(name: str, card: Card, today: dt.date) -> list[LibraryProblem]:
    """Rules the schema alone cannot express."""
    problems: list[LibraryProblem] = []
    if card.reviewed > today:
        problems.append(
            LibraryProblem(name, "reviewed", f"{card.reviewed} là ngày trong tương lai (hôm nay là {today})")
        )
    if card.kind == "modus" and not card.phrases.strong:
        problems.append(
            LibraryProblem(name, "phrases.strong", "thẻ thủ đoạn cần ít nhất một cụm từ trong strong")
        )
    for group in ("strong", "weak", "negative"):
        for index, phrase in enumerate(getattr(card.phrases, group), start=1):
            if phrase != _fold(phrase) or not phrase.strip():
                problems.append(
                    LibraryProblem(
                        name,
                        f"phrases.{group}[{index}]",
                        f"'{phrase}' phải viết thường, không dấu (viết '{_fold(phrase).strip()}')",
                    )
                )
    return problems


def _fold(text: str) -> str:
    """Lower case, no diacritics, đ→d: the form the matcher compares phrases in."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).lower()


_PLAIN_REASONS: Final[dict[str, str]] = {
    "missing": "còn thiếu",
    "extra_forbidden": "không phải trường của thẻ (kiểm tra chính tả)",
    "string_type": "phải là văn bản",
    "list_type": "phải là một danh sách",
    "model_type": "phải là một nhóm dòng 'trường: giá trị'",
    "dict_type": "phải là một nhóm dòng 'trường: giá trị'",
    "date_type": "phải là ngày, dạng 2026-11-23",
    "date_parsing": "phải là một ngày có thật, dạng 2026-11-23",
    "date_from_datetime_parsing": "phải là một ngày có thật, dạng 2026-11-23",
    "date_from_datetime_inexact": "chỉ ghi ngày, không ghi giờ",
    "url_parsing": "không phải địa chỉ web hợp lệ",
    "url_scheme": "phải bắt đầu bằng http:// hoặc https://",
    "url_type": "phải là một địa chỉ web",
    "literal_error": "phải là một trong: {expected}",
    "string_pattern_mismatch": "chỉ gồm chữ thường không dấu, chữ số và dấu gạch nối đơn",
    "string_too_short": "quá ngắn (ít nhất {min_length} ký tự)",
    "string_too_long": "quá dài (nhiều nhất {max_length} ký tự)",
    "too_short": "cần ít nhất {min_length} mục",
    "too_long": "quá nhiều mục (nhiều nhất {max_length})",
    "none_required": "phải để trống (null)",
}


def _problems_from(name: str, errors: list[ErrorDetails]) -> list[LibraryProblem]:
    """Turn the schema's errors into plain-words problems naming the field."""
    problems = []
    for error in errors:
        where = _field_path(error["loc"])
        template = _PLAIN_REASONS.get(error["type"])
        context = dict(error.get("ctx") or {})
        if "expected" in context:  # pydantic joins the choices with an English "or"
            context["expected"] = str(context["expected"]).replace(" or ", " hoặc ")
        if template is None:
            reason = str(error["msg"])
            if reason.startswith("Value error, "):
                reason = reason.removeprefix("Value error, ")  # our own validators speak Vietnamese
            else:
                reason = f"giá trị không hợp lệ ({error['type']})"
        else:
            try:
                reason = template.format(**context)
            except (KeyError, IndexError):
                reason = f"giá trị không hợp lệ ({error['type']})"
        problems.append(LibraryProblem(name, where, reason))
    return problems


def _field_path(loc: tuple[int | str, ...]) -> str:
    """`("sources", 0, "url")` → `sources[1].url`: items counted from 1, as people do."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        else:
            path += f".{part}" if path else part
    return path or _WHOLE_FILE
