"""Every reply template under content/replies/, rendered with each branch: no empty sentence,
no doubled blank line, and a blank line wherever the template puts one.

The branches are found in the templates themselves: every variable is rendered with a sample
value, with each literal it is compared with, with a value matching none of them, and empty.
A blank line the template intends is a blank source line before a line of text (block tags
alone on a line between them do not count): that text must open a paragraph when rendered.
To find where a source line's text lands, the test renders a copy of the template with a
marker at the start of each such line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from jinja2 import Template, meta, nodes
from jinja2.exceptions import UndefinedError

from content.replies import REPLIES_DIR, _env, render

TEMPLATES = sorted(p.stem for p in REPLIES_DIR.glob("*.j2"))
OTHER = "khac_het"  # a value no template compares with: the {% else %} branches


@dataclass
class Item:
    """A list element of any kind the templates iterate (entities, outcomes, sources…)."""

    label: str = "Số điện thoại"
    shown: str = "0912 345 678"
    reported: int = 2
    lookalike_of: str | None = "vietcombank.com.vn"
    name: str = "anh-chup.jpg"
    result: str = "stored"
    title: str = "Bộ Công an"
    url: str = "https://bocongan.gov.vn"

    def __str__(self) -> str:
        return self.shown


@dataclass
class Card:
    title: str = "Giả danh công an gọi điện"
    summary: str = "Kẻ gian xưng công an, dọa bắt rồi đòi chuyển tiền"
    how_it_works: list[str] = field(default_factory=lambda: ["Gọi điện xưng công an", "Dọa bắt giam"])
    warning_signs: list[str] = field(default_factory=lambda: ["Làm việc qua video call"])
    what_to_do: list[str] = field(default_factory=lambda: ["Cúp máy, gọi 113"])
    if_money_lost: list[str] = field(default_factory=lambda: ["Gọi ngay tổng đài ngân hàng"])
    law: list[str] = field(default_factory=lambda: ["Điều 174 Bộ luật Hình sự"])
    sources: list[Item] = field(default_factory=lambda: [Item(), Item(title="Báo Nhân Dân")])
    reviewed: dt.date = dt.date(2026, 11, 23)


NOW = dt.datetime(2026, 11, 23, 8, 15, tzinfo=dt.UTC)
RESULTS = ("stored", "duplicate", "too_large", "wrong_type", "too_many", "failed")

# One believable value per variable name; list-valued names are iterated by some template.
SAMPLES: dict[str, Any] = {
    "advice": ["Không chuyển tiền", "Gọi 113 khi bị đe dọa"],
    "alert_id": 12,
    "amount": 5_000_000,
    "anonymous": True,
    "approval": True,
    "body": "Có kẻ gian giả danh điện lực gọi đòi tiền",
    "bundled": 3,
    "by": "Cán bộ Lan",
    "candidates": [Item()],
    "card": Card(),
    "choosing": True,
    "code": "K3GM-JGMX",
    "command": "/abc",
    "confirm": "Phường Hoàn Kiếm",
    "contacts": 2,
    "count": 2,
    "created_at": NOW,
    "entities": [Item(), Item(label="Tài khoản", shown="0123456789", reported=0, lookalike_of=None)],
    "evidence": 2,
    "expire_days": 7,
    "feature": "Báo cáo vụ việc",
    "feature_key": "report",
    "forwarded": True,
    "greeting": True,
    "had_draft": True,
    "hamlet": "Thôn Đông",
    "hint": "Giả danh công an",
    "later": True,
    "listed": True,
    "looks_genuine": True,
    "link": "https://canhgiac.example.vn/console/tips/1",
    "max_files": 10,
    "max_mb": 20,
    "minutes": 15,
    "modus": "Giả danh công an",
    "name": "Lan",
    "names": ["xa Tan Lap", "phuong Moi"],
    "numbered": True,
    "occurred_on": dt.date(2026, 11, 22),
    "outcomes": [Item(result=r) for r in RESULTS],
    "page": 1,
    "pages": 3,
    "parts": 2,
    "phone": "0912 345 678",
    "pictures": 2,
    "place": "Phường Hoàn Kiếm, Thành phố Hà Nội",
    "previous": "Phường Ba Đình",
    "problem": "not_officer",
    "province": "Thành phố Hà Nội",
    "reach": 120,
    "reason": "consent",
    "reasons": ["Đòi chuyển tiền vào tài khoản lạ"],
    "retention_days": 730,
    "retry": True,
    "sender": "Công an phường Hoàn Kiếm",
    "signs": ["Gọi từ số lạ"],
    "skipped": True,
    "started": "2026-11-23T08:15:00+00:00",
    "status": "new",
    "status_label": "Mới",
    "step": "content",
    "story": "Họ gọi xưng công an và bảo tôi chuyển tiền",
    "text": "Tài khoản của bạn sẽ bị khóa trong 24 giờ",
    "title": "Cảnh giác cuộc gọi giả điện lực",
    "typed": "hoan kiem",
    "understood": "ha noi",
    "unit": "Công an phường Hoàn Kiếm",
    "updated_at": NOW + dt.timedelta(hours=3),
    "verdict": "likely_scam",
    "verdict_label": "Có dấu hiệu lừa đảo",
    "what": "một hình ảnh",
    "where": "Phường Hoàn Kiếm",
}


def _source(key: str) -> str:
    return (REPLIES_DIR / f"{key}.j2").read_text(encoding="utf-8")


def _compared(ast: nodes.Template) -> dict[str, set[Any]]:
    """The literals each variable is compared with (`x == "a"`, `x in ("a", "b")`)."""
    found: dict[str, set[Any]] = {}
    for compare in ast.find_all(nodes.Compare):
        if not isinstance(compare.expr, nodes.Name):
            continue
        for operand in compare.ops:
            value = operand.expr
            if isinstance(value, nodes.Const) and isinstance(value.value, tuple | list):
                found.setdefault(compare.expr.name, set()).update(value.value)
            elif isinstance(value, nodes.Const):
                found.setdefault(compare.expr.name, set()).add(value.value)
            elif isinstance(value, nodes.Tuple | nodes.List):
                found.setdefault(compare.expr.name, set()).update(
                    item.value for item in value.items if isinstance(item, nodes.Const)
                )
    return found


def _tested(node: nodes.Node) -> set[str]:
    """Names whose truth a test asks (`x`, `not x`, `x and y`, `x or "…"`), not `x == "a"`."""
    if isinstance(node, nodes.Name):
        return {node.name}
    if isinstance(node, nodes.Not):
        return _tested(node.node)
    if isinstance(node, nodes.And | nodes.Or):
        return _tested(node.left) | _tested(node.right)
    return set()


def _optional(ast: nodes.Template) -> set[str]:
    """The variables a template tests (`{% if x %}`, `x or "…"`, `x if … else …`): may be empty."""
    tests: list[nodes.Node] = [n.test for n in ast.find_all(nodes.If)]
    tests += [n.test for n in ast.find_all(nodes.CondExpr)]
    tests += list(ast.find_all(nodes.Or))
    return {name for test in tests for name in _tested(test)}


def contexts(key: str) -> Iterator[dict[str, Any]]:
    """The sample context, then each variable in turn set to each literal it is compared
    with and to a value none of them matches, and each variable the template tests set to
    empty values."""
    ast = _env().parse(_source(key))
    names = sorted(meta.find_undeclared_variables(ast))
    missing = [name for name in names if name not in SAMPLES]
    assert not missing, f"{key} uses {missing}: give each a sample value in SAMPLES"
    base = {name: SAMPLES[name] for name in names}
    yield base
    literals = _compared(ast)
    optional = _optional(ast)
    for name in names:
        values: list[Any] = sorted(literals.get(name, ()), key=repr)
        if name in literals:
            values.append(OTHER)
        if name in optional:
            values += [None, 0, False, "", []]
        for value in values:
            yield {**base, name: value}
    yield {**base, **dict.fromkeys(optional & set(names))}


def rendered(key: str) -> Iterator[tuple[dict[str, Any], str]]:
    seen: set[str] = set()
    for context in contexts(key):
        try:
            text = render(key, **context)
        except (TypeError, UndefinedError, AttributeError, ValueError):
            continue  # the variable is required: no caller leaves it empty
        if text not in seen:
            seen.add(text)
            yield context, text


_TAG_ONLY = re.compile(r"\s*(\{%(?:(?!%\}).)*%\}\s*)+")
MARK = "\u2063{}\u2063"  # invisible separators around a source line number


def paragraph_starts(source: str) -> set[int]:
    """Source lines of text that a blank source line precedes (block-tag-only lines between)."""
    lines = source.split("\n")
    starts = set()
    for index, line in enumerate(lines):
        if not line.strip() or _TAG_ONLY.fullmatch(line):
            continue
        before = index - 1
        while before >= 0 and _TAG_ONLY.fullmatch(lines[before]):
            before -= 1
        if before >= 0 and not lines[before].strip():
            starts.add(index)
    return starts


def marked(source: str) -> Template:
    """The template with a marker at the start of every line of text."""
    lines = [
        line if not line.strip() or _TAG_ONLY.fullmatch(line) else MARK.format(index) + line
        for index, line in enumerate(source.split("\n"))
    ]
    return _env().from_string("\n".join(lines))


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def problems(text: str) -> list[str]:
    found = []
    if "\n\n\n" in text:
        found.append("a doubled blank line")
    for line in text.split("\n"):
        plain = _plain(line).strip()
        if plain and not re.search(r"\w", plain):
            found.append(f"a line without words: {line!r}")
        if re.search(r"(^|\s)[.,;:!?](\s|$)", plain) or re.search(r"[.,;:][ \t]*[.,;]", plain):
            found.append(f"an empty sentence: {line!r}")
        if re.search(r"\(\s*\)|<(b|i|code)>\s*</\1>", line):
            found.append(f"an empty mark-up: {line!r}")
        if line != line.rstrip():
            found.append(f"trailing spaces: {line!r}")
    return found


@pytest.mark.parametrize("key", TEMPLATES)
def test_every_branch_reads_cleanly(key: str) -> None:
    outputs = list(rendered(key))
    assert outputs and outputs[0][1].strip(), f"{key} renders nothing with its sample values"
    for context, text in outputs:
        assert not problems(text), (key, problems(text), context, text)


@pytest.mark.parametrize("key", TEMPLATES)
def test_blank_lines_the_template_intends_are_kept(key: str) -> None:
    source = _source(key)
    starts = paragraph_starts(source)
    template = marked(source)
    for context, text in rendered(key):
        out = template.render(**context).strip()
        assert re.sub("\u2063\\d+\u2063", "", out).strip() == text  # the markers change nothing else
        for index, line in enumerate(source.split("\n")):
            at = out.find(MARK.format(index))
            if at <= 0:
                continue  # not a line of text, not rendered, or the very start
            before = re.sub("\u2063\\d+\u2063", "", out[:at])
            if not before.strip():
                continue
            # a line of the template stays a line, and after a blank line, a paragraph
            assert before.endswith("\n"), (f"{key}: line {index + 1} ({line!r}) runs on", context, text)
            assert index not in starts or before.endswith("\n\n"), (
                f"{key}: line {index + 1} ({line!r}) should open a paragraph",
                context,
                text,
            )


def test_retention_reads_as_years_after_the_case_ends() -> None:
    text = render("report_consent", retention_days=730, expire_days=7)
    assert "2 năm sau khi vụ việc kết thúc" in text
    assert "730" not in text
