"""Rendering neutral replies for channels: HTML kept or stripped, long text split cleanly."""

from __future__ import annotations

import re

from bot.channels.base import Capabilities
from bot.channels.render import render, split_text, to_plain
from content.messages import Button, Reply

HTML = Capabilities(max_len=4096, buttons=True, html=True)
PLAIN = Capabilities(max_len=2000, buttons=False, html=False)


def test_plain_strips_tags_and_unescapes() -> None:
    text = 'Xem <b>ngay</b> &lt;tin&gt; <a href="https://x.vn/a?b=1&amp;c=2">tại đây</a>'
    assert to_plain(text) == "Xem ngay <tin> tại đây (https://x.vn/a?b=1&c=2)"


def test_numbered_options_across_a_batch() -> None:
    replies = [
        Reply("Một", buttons=[[Button("A", "a")]]),
        Reply(
            "Hai", buttons=[[Button("B", "b"), Button("Web", "w", url="https://x.vn")], [Button("C", "c")]]
        ),
    ]
    out = render(replies, PLAIN)
    assert out[0].chunks == ["Một\n\n1. A"]
    assert out[1].chunks == ["Hai\n\n2. B\n• Web: https://x.vn\n3. C"]
    assert out[1].buttons == []


def test_long_text_is_split_at_paragraphs_within_the_limit() -> None:
    paragraph = "Câu một rất dài. " * 40
    text = "\n\n".join([paragraph.strip()] * 12)
    chunks = split_text(text, 2000)
    assert len(chunks) > 1
    assert all(len(c) <= 2000 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_html_chunks_keep_tags_balanced() -> None:
    body = "<b>" + ("chữ đậm rất dài. " * 600) + "</b>"
    out = render([Reply(body)], HTML)
    chunks = out[0].chunks
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 4096
        assert len(re.findall("<b>", chunk)) == len(re.findall("</b>", chunk))


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    chunks = split_text("x" * 5000, 2000)
    assert [len(c) for c in chunks] == [2000, 2000, 1000]
