"""The voice of a message: does it ask the reader to act, or tell them not to?

A lure and the warning against it share their topic words: "đối tượng giả danh công
an yêu cầu chuyển tiền" names the trick in order to warn. What differs is the call to
action. A lure asks the reader to act in the sender's favour (click, log in, transfer,
add a contact, install, read a code, pay a fee, keep it secret); a warning or a
genuine notice tells them not to, only informs, or sends them to an official place.
The standard shapes of genuine messages (one-time codes, balance changes, login
alerts) are recognised as such; a request to act inside one still counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from content.lexicon import lines
from content.normalize import fold
from content.score import Hit, Phrase, tagged_phrases

__all__ = ["NEGATORS", "SHAPES", "Voice", "VoiceReader", "negated"]

# Words that turn a following call to action into advice not to act.
NEGATORS = frozenset(["khong", "dung", "chang", "tranh", "cam", "never", "not"])
# Moving money is everyday life ("mẹ chuyển tiền học rồi"); it is a request only when
# it says where to, to whom, how fast or before what ("chuyển gấp vào số này").
_MONEY_ASKS = frozenset(["chuyen tien", "chuyen khoan", "gui tien", "nap tien"])
_MONEY_TARGET = frozenset(["vao", "cho", "qua", "giup", "gap", "ngay", "truoc", "toi", "den", "sang"])
_MONEY_WINDOW = 4
NEGATION_WINDOW = 5  # words between the negator and the action ("không gọi điện yêu cầu cung cấp")

_CODE = r"(?:ma otp|otp|ma xac thuc|ma xac nhan|ma kich hoat|ma giao dich|ma bao mat|verification code|ma)"
SHAPES: dict[str, re.Pattern[str]] = {
    # "Mã OTP của Quý khách là 482913 ... không cung cấp mã này cho bất kỳ ai."
    "otp": re.compile(rf"\b{_CODE}\b[^0-9]{{0,40}}\b\d{{4,8}}\b|\b\d{{4,8}} (?:la )?{_CODE}\b"),
    # "TK 1903xxxx8821 -150,000VND lúc 08:42 ... Số dư 2,315,000VND"
    "balance": re.compile(
        r"(?:\b(?:tk|tai khoan|stk)\b[^\n]{0,30}[+-]\s?\d[\d.,]{2,}\s?(?:vnd|d|đ)\b[^\n]{0,80}\bso du\b"
        r"|\bvua nhan (?:duoc )?\d[\d.,]{2,}\s?(?:vnd|d|đ)\b[^\n]{0,60}\bso du\b)"
    ),
    # "... vừa đăng nhập trên thiết bị mới ... Nếu không phải Quý khách ..."
    "login_alert": re.compile(
        r"\bdang nhap\b[^\n]{0,60}\bthiet bi (?:moi|la)\b[^\n]{0,80}\bneu khong phai\b"
    ),
}
_PROTECTIVE_SHAPES = {"otp": "protect", "login_alert": "protect"}


_OR = frozenset(["hay", "hoac", "va", "cung"])
COORDINATED_WINDOW = 12  # "không gọi điện yêu cầu cung cấp mã OTP hay cài ứng dụng"


def negated(toks: Sequence[str], start: int) -> bool:
    """A negator among the few words before `start` ("tuyệt đối không cung cấp"), or
    before an "or" that joins this action to a negated one."""
    window = NEGATION_WINDOW
    if _OR & set(toks[max(0, start - 3) : start]):
        window = COORDINATED_WINDOW
    return any(t in NEGATORS for t in toks[max(0, start - window) : start])


@dataclass(frozen=True)
class Voice:
    """What a message asks of its reader."""

    asks: tuple[str, ...]  # calls to act in the sender's favour, as written (folded)
    protective: int  # instructions not to act, or to go to an official place
    warns: int  # words of a warning about a trick
    shape: str | None  # the genuine shape it has, if any

    @property
    def protective_only(self) -> bool:
        """Every call to action is protective, or the message only warns.

        A warning quotes the trick ("đối tượng đòi chuyển tiền vào tài khoản tạm giữ"):
        when it warns twice and advises at least as often as it quotes, the quoted
        demands are the scammer's, not the sender's.
        """
        if not self.asks:
            return self.protective > 0 or self.warns > 0
        return self.warns >= 2 and self.protective >= len(self.asks)


@lru_cache(maxsize=1)
def voice_phrases() -> tuple[Phrase, ...]:
    return tuple(tagged_phrases(lines("voice.tsv"), "~", "voice"))


class VoiceReader:
    """Reads the voice from the hits of the shared matcher (its phrases are added there)."""

    def read(self, text: str, toks: Sequence[str], hits: Sequence[Hit]) -> Voice:
        asks: list[str] = []
        protective = warns = 0
        seen: set[tuple[str, int]] = set()
        for hit in hits:
            owner = hit.phrase.owner
            if not owner.startswith("~") or (owner, hit.start) in seen:
                continue
            seen.add((owner, hit.start))
            if owner == "~act":
                if hit.phrase.text in _MONEY_ASKS and not _MONEY_TARGET & set(
                    toks[hit.end : hit.end + _MONEY_WINDOW]
                ):
                    continue
                if negated(toks, hit.start):
                    protective += 1
                else:
                    asks.append(hit.phrase.text)
            elif owner == "~protect":
                protective += 1
            elif owner == "~warn":
                warns += 1
        folded = fold(text)
        shape = next((name for name, rx in SHAPES.items() if rx.search(folded)), None)
        return Voice(tuple(asks), protective, warns, shape)
