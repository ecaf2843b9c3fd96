"""The training corpus of the learned check model, generated from the project's templates.

`content/corpus/*.yaml` hold templates written for this project: for each modus, lures
as they arrive (SMS, chat, posts, call scripts) and residents' retellings; for the
genuine side, notices and messages that share each modus's topic. A template has
choices (`[a|b|c]`) and slots (`{bank}`, `{link}`, …); this module expands them with
a seeded generator, then writes each message in the forms residents meet: with and
without diacritics, in teencode, forwarded with a question, and (lures only)
disguised against filters the way real lures are. Same files, same seed: same corpus.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise

import yaml

__all__ = [
    "CORPUS_VERSION",
    "GENUINE",
    "Sample",
    "corpus_fingerprint",
    "generate",
    "split_pairs",
    "templates",
    "vocabulary",
]

CORPUS_VERSION = "1"
GENUINE = "genuine"
VARIANTS = 6  # messages drawn from each template
SEED = 20261203

_CHOICE = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
_SLOT = re.compile(r"\{([a-z_]+)\}")

_BANKS = [
    "Vietcombank",
    "VCB",
    "BIDV",
    "Agribank",
    "VietinBank",
    "Techcombank",
    "MB Bank",
    "ACB",
    "VPBank",
    "Sacombank",
    "TPBank",
    "HDBank",
    "SHB",
    "MSB",
    "SeABank",
    "OCB",
    "VIB",
]
_BANK_SLUGS = [
    "vcb",
    "bidv",
    "agribank",
    "vietin",
    "tcb",
    "mbbank",
    "acb",
    "vpb",
    "sacom",
    "tpbank",
    "hdb",
    "shb",
    "msb",
    "seabank",
    "ocb",
    "vib",
]
_WORDS = [
    "xacthuc",
    "baomat",
    "hotro",
    "capnhat",
    "khachhang",
    "dichvu",
    "online",
    "uudai",
    "nhanqua",
    "tracuu",
    "hoso",
    "kichhoat",
    "xacminh",
    "vn",
    "app",
    "login",
    "secure",
    "id",
    "247",
    "care",
]
_TLDS = [
    "top",
    "xyz",
    "vip",
    "cc",
    "icu",
    "online",
    "site",
    "club",
    "shop",
    "live",
    "info",
    "click",
    "buzz",
    "asia",
    "pro",
    "life",
    "store",
    "one",
    "link",
    "sbs",
    "cyou",
    "com",
    "net",
]
_SHORT = ["bit.ly", "tinyurl.com", "is.gd", "cutt.ly", "s.id", "t.ly", "rb.gy"]
_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
_GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Ngọc",
    "Phương",
    "Quân",
    "Sơn",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Yến",
]
_SHOPS = ["Shopee", "Lazada", "Tiki", "TikTok Shop", "Sendo"]
_APPS = ["Zalo", "Telegram", "Messenger", "Viber", "WhatsApp"]
_MOBILE_PREFIX = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "088",
    "089",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "056",
    "058",
    "059",
]


def _amount(rng: random.Random, low: int, high: int) -> str:
    value = rng.randrange(low, high) * 1000
    forms = [
        f"{value:,}".replace(",", ".") + "đ",
        f"{value:,}".replace(",", ".") + " đồng",
        f"{value // 1000}k" if value < 1_000_000 else f"{value / 1_000_000:g} triệu",
        f"{value:,}".replace(",", ".") + " VND",
    ]
    return rng.choice(forms)


def _phone(rng: random.Random) -> str:
    digits = rng.choice(_MOBILE_PREFIX) + "".join(rng.choice("0123456789") for _ in range(7))
    style = rng.randrange(4)
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if style == 2:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return "+84 " + digits[1:]


def _link(rng: random.Random, brand: str | None = None) -> str:
    parts = [brand or rng.choice(_WORDS), rng.choice(_WORDS)]
    rng.shuffle(parts)
    host = rng.choice(["-", "", "."]).join(parts) + "." + rng.choice(_TLDS)
    if rng.random() < 0.3:
        host += "/" + rng.choice(["xac-thuc", "login", "nhan-qua", "ho-so", "id", "vn"])
    return ("https://" if rng.random() < 0.3 else "") + host


def _slot(name: str, rng: random.Random) -> str:
    if name == "bank":
        return rng.choice(_BANKS)
    if name == "link":
        return _link(rng)
    if name == "bank_link":
        return _link(rng, rng.choice(_BANK_SLUGS))
    if name == "short_link":
        return (
            rng.choice(_SHORT) + "/" + "".join(rng.choice("abcdefghkmnpqrstuvwxyz23456789") for _ in range(6))
        )
    if name == "phone":
        return _phone(rng)
    if name == "hotline":
        return rng.choice(["1900 ", "1800 "]) + "".join(rng.choice("0123456789") for _ in range(4))
    if name == "name":
        return f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}"
    if name == "given":
        return rng.choice(_GIVEN)
    if name == "money_small":
        return _amount(rng, 20, 900)
    if name == "money":
        return _amount(rng, 1000, 50_000)
    if name == "money_big":
        return _amount(rng, 50_000, 900_000)
    if name == "percent":
        return f"{rng.randrange(5, 60)}%"
    if name == "hour":
        return f"{rng.randrange(7, 23)}h" + rng.choice(["", "00", "30"])
    if name == "date":
        return f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}"
    if name == "minutes":
        return str(rng.choice([2, 3, 5, 10, 15]))
    if name == "code":
        return "".join(rng.choice("0123456789") for _ in range(rng.choice([4, 6, 6, 8])))
    if name == "account":
        return "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 10, 12, 13, 14])))
    if name == "masked":
        return (
            "".join(rng.choice("0123456789") for _ in range(4))
            + "xxxx"
            + "".join(rng.choice("0123456789") for _ in range(4))
        )
    if name == "shop":
        return rng.choice(_SHOPS)
    if name == "app":
        return rng.choice(_APPS)
    if name == "order":
        return "".join(rng.choice("0123456789ABCDEFGHKLMNPQRSTUVXY") for _ in range(rng.choice([8, 10, 12])))
    if name == "number":
        return str(rng.randrange(2, 30))
    raise KeyError(f"unknown slot {{{name}}}")


def fill(template: str, rng: random.Random) -> str:
    """A template with its choices made and its slots filled."""
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    return _SLOT.sub(lambda m: _slot(m.group(1), rng), text)


# ---- the forms a message arrives in ---------------------------------------------------


def strip_marks(text: str) -> str:
    """Vietnamese without diacritics, case kept ("Đà Nẵng" → "Da Nang")."""
    out = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in out if not unicodedata.combining(ch))
    return out.replace("đ", "d").replace("Đ", "D")


_TEEN = [
    ("không", ["ko", "k", "hok", "kg"]),
    ("được", ["dc", "đc", "dk"]),
    ("chuyển khoản", ["ck", "chuyển k"]),
    ("số tài khoản", ["stk"]),
    ("tài khoản", ["tk"]),
    ("điện thoại", ["đt", "dt"]),
    ("với", ["vs"]),
    ("nhé", ["nha", "nhe"]),
    ("bạn", ["b", "bn"]),
    ("anh", ["a"]),
    ("em", ["e"]),
    ("chị", ["c"]),
    ("gì", ["j"]),
    ("vậy", ["v"]),
    ("rồi", ["r"]),
    ("biết", ["bik", "bit"]),
    ("trước", ["trc"]),
    ("cộng tác viên", ["ctv"]),
    ("nhiệm vụ", ["nv"]),
    ("hoa hồng", ["hh"]),
    ("triệu", ["tr"]),
    ("ngân hàng", ["nh", "NH"]),
    ("số điện thoại", ["sđt", "sdt"]),
    ("mình", ["mk", "mik"]),
]


def teencode(text: str, rng: random.Random) -> str:
    out = text
    for word, subs in _TEEN:
        if rng.random() < 0.7:

            def pick(_m: re.Match[str], options: list[str] = subs) -> str:
                return rng.choice(options)

            out = re.sub(rf"(?<!\w){word}(?!\w)", pick, out, flags=re.IGNORECASE)
    return strip_marks(out).lower() if rng.random() < 0.7 else out.lower()


_LEET_OUT = {"o": ["0"], "a": ["@", "4"], "i": ["!", "1"], "e": ["3"], "s": ["$"]}
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_ZW = ["\u200b", "\u200c", "\u200d"]
_EMOJI = ["🎁", "💰", "🔥", "✅", "👉", "⭐"]


def _disguise_word(word: str, trick: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if len(letters) < 2:
        return word
    if trick == "leet":
        spots = [i for i in letters if word[i].lower() in _LEET_OUT and i > 0]
        if not spots:
            return word
        i = rng.choice(spots)
        return word[:i] + rng.choice(_LEET_OUT[word[i].lower()]) + word[i + 1 :]
    if trick in ("dot", "underscore"):
        i = rng.choice(letters[1:])
        return word[:i] + ("." if trick == "dot" else "_") + word[i:]
    if trick == "homoglyph":
        return "".join(_CYRILLIC.get(ch, ch) if rng.random() < 0.5 else ch for ch in word)
    if trick == "zero_width":
        i = rng.choice(letters[1:])
        return word[:i] + rng.choice(_ZW) + word[i:]
    if trick == "emoji":
        i = rng.choice(letters[1:])
        return word[:i] + rng.choice(_EMOJI) + word[i:]
    return word


def disguise(text: str, rng: random.Random) -> str:
    """A lure rewritten against spam filters, one trick (or two) across its words."""
    tricks = rng.sample(["leet", "leet", "dot", "underscore", "homoglyph", "zero_width", "emoji"], k=2)
    base = strip_marks(text) if rng.random() < 0.6 else text
    out = []
    for word in base.split(" "):
        if "." in word[:-1] or "/" in word or any(ch.isdigit() for ch in word):
            out.append(word)  # links, numbers, amounts stay readable for the victim
            continue
        out.append(_disguise_word(word, rng.choice(tricks), rng) if rng.random() < 0.45 else word)
    return " ".join(out)


_FRAMES = [
    "§",
    "[Mình|Em|Tôi|Cháu] vừa nhận [được tin nhắn này|tin này|cái tin này]: § "
    "[Có phải lừa đảo không?|Lừa đảo phải không ạ?|Thật không vậy?]",
    '[Ai biết|Cho hỏi] tin này [thật không|có phải lừa không]: "§"',
    "§ [<- tin này có lừa đảo ko|lừa đảo k mn|thật ko ạ]",
]


@dataclass(frozen=True)
class Sample:
    """One training message: its label (a modus id or `genuine`), text, form, template."""

    label: str
    text: str
    form: str
    template: str


def templates() -> Iterator[tuple[str, str, str]]:
    """(label, kind, template) of every corpus file, in a fixed order."""
    folder = resources.files("content").joinpath("corpus")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text("utf-8"))
        label = data["label"]
        for kind in ("lures", "retellings", "genuine"):
            for template in data.get(kind) or []:
                yield label, kind, template


def generate(seed: int = SEED) -> list[Sample]:
    """Every template expanded into its variants, each in one of the forms residents meet."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for label, kind, template in templates():
        for _ in range(VARIANTS):
            text = fill(template, rng)
            roll = rng.random()
            if kind == "lures" and label != GENUINE and roll < 0.25:
                form, text = "disguised", disguise(text, rng)
            elif roll < 0.5:
                form, text = "no-diacritics", strip_marks(text)
            elif roll < 0.65:
                form, text = "teencode", teencode(text, rng)
            else:
                form = "diacritics"
            if kind != "retellings" and rng.random() < 0.35:
                text = fill(rng.choice(_FRAMES), rng).replace("§", text)
            out.append(Sample(label, text, form, template))
    return out


def corpus_fingerprint() -> str:
    """A digest of the corpus files and of how they are expanded: the model records it."""
    digest = hashlib.sha256(CORPUS_VERSION.encode())
    for label, kind, template in templates():
        digest.update(f"{label}\t{kind}\t{template}\n".encode())
    return digest.hexdigest()[:16]


def vocabulary(samples: Iterable[Sample], minimum: int = 2) -> tuple[dict[str, int], dict[str, int]]:
    """Folded words and word pairs of the undisguised samples, with counts; rare ones dropped.

    The de-disguising stage reads `Th0ng ba0` as the likeliest real words: these counts
    say which words are real and how common.
    """
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for sample in samples:
        if sample.form == "disguised":
            continue
        toks = re.findall(r"[a-z]+", strip_marks(sample.text).lower())
        words.update(toks)
        pairs.update(f"{a} {b}" for a, b in pairwise(toks))
    return (
        {w: c for w, c in words.items() if c >= minimum},
        {p: c for p, c in pairs.items() if c >= minimum},
    )


def split_pairs(pairs: dict[str, int]) -> dict[tuple[str, str], int]:
    """Word pairs stored as "a b" keys, as the tuples the de-disguising stage looks up."""
    out: dict[tuple[str, str], int] = {}
    for key, count in pairs.items():
        first, _, second = key.partition(" ")
        out[(first, second)] = count
    return out
