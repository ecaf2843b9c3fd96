"""Phone-like screenshots drawn by code, for the picture tests and bench/pictures.py.

A message is drawn the way residents capture one: an SMS app, a Zalo or Messenger chat,
light or dark, with the phone's status bar, the app's header and its input bar around
the bubbles; optionally JPEG-compressed and spoiled like a photo of a screen. `Screen.text`
is what a reader should give back: the header's name and the bubbles, in reading order,
without the phone's chrome. QR codes (links and VietQR transfers) are drawn here too.
"""

from __future__ import annotations

import io
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))
FONT_FILES = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "DejaVuSansCondensed.ttf")
APPS = ("sms", "zalo", "messenger")
SENDERS = ("VCB", "Viettel", "0912 345 678", "Chị Lan", "Bộ phận CSKH", "BIDV", "Anh Minh")


def fonts() -> list[Path]:
    """The Debian fonts with Vietnamese glyphs that are installed (fonts-dejavu, fonts-noto-core)."""
    return [d / name for name in FONT_FILES for d in FONT_DIRS if (d / name).exists()]


@dataclass(frozen=True)
class Theme:
    background: str
    header: str
    header_text: str
    incoming: str
    incoming_text: str
    outgoing: str
    outgoing_text: str
    chrome_text: str


THEMES: dict[tuple[str, bool], Theme] = {
    ("sms", False): Theme(
        "#ffffff", "#ffffff", "#111111", "#e9e9eb", "#111111", "#34c759", "#ffffff", "#555555"
    ),
    ("sms", True): Theme(
        "#000000", "#121212", "#f2f2f2", "#2c2c2e", "#f2f2f2", "#0a84ff", "#ffffff", "#a0a0a0"
    ),
    ("zalo", False): Theme(
        "#e2e9f1", "#0068ff", "#ffffff", "#ffffff", "#081c36", "#d4e8ff", "#081c36", "#7589a3"
    ),
    ("zalo", True): Theme(
        "#16191d", "#22262b", "#e8eaed", "#2b3036", "#e8eaed", "#1c4a80", "#e8eaed", "#8a9099"
    ),
    ("messenger", False): Theme(
        "#ffffff", "#ffffff", "#050505", "#f0f0f0", "#050505", "#0084ff", "#ffffff", "#65676b"
    ),
    ("messenger", True): Theme(
        "#000000", "#000000", "#e4e6eb", "#303030", "#e4e6eb", "#0084ff", "#ffffff", "#b0b3b8"
    ),
}


@dataclass(frozen=True)
class Style:
    app: str = "sms"
    dark: bool = False
    font: Path | None = None
    size: int = 40  # text height in pixels on a 1080-pixel-wide screen
    width: int = 1080
    jpeg: int | None = None  # JPEG quality, None for PNG
    photo: bool = False  # a photograph of the screen: tilt, blur, uneven light, grain

    def describe(self) -> str:
        font = self.font.stem if self.font else "default"
        theme = "dark" if self.dark else "light"
        return f"{self.app}-{theme}-{font}-{self.size}px{'-photo' if self.photo else ''}"


@dataclass(frozen=True)
class Screen:
    data: bytes
    text: str  # what a reader should read, in order
    style: Style


def split_bubbles(text: str, parts: int) -> list[str]:
    """A message cut at sentence ends into at most `parts` bubbles, as a chat would show it."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    if parts <= 1 or len(sentences) <= 1:
        return [text.strip()]
    size = -(-len(sentences) // parts)
    return [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and draw.textlength(candidate, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def render(
    bubbles: list[str], style: Style, *, sender: str = "VCB", outgoing: tuple[int, ...] = ()
) -> Screen:
    """A screenshot of `bubbles` from `sender` (the indexes in `outgoing` are the resident's own)."""
    theme = THEMES[(style.app, style.dark)]
    scale = style.width / 1080
    font_path = style.font or fonts()[0]
    font = ImageFont.truetype(str(font_path), style.size)
    small = ImageFont.truetype(str(font_path), max(12, int(style.size * 0.7)))
    header_font = ImageFont.truetype(str(font_path), int(style.size * 1.1))
    pad, gap = int(style.size * 0.6), int(style.size * 0.5)
    line_h = int(style.size * 1.35)
    max_text = int(style.width * 0.68)
    probe = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    wrapped = [_wrap(probe, b, font, max_text) for b in bubbles]
    status_h, header_h, input_h = int(70 * scale), int(150 * scale), int(140 * scale)
    stamp_h = int(style.size * 1.6)
    body_h = stamp_h + sum(len(w) * line_h + 2 * pad + gap for w in wrapped)
    height = max(int(style.width * 2.1), status_h + header_h + body_h + input_h + 60)
    image = Image.new("RGB", (style.width, height), theme.background)
    draw = ImageDraw.Draw(image)

    # the phone's status bar and the app's header
    draw.rectangle((0, 0, style.width, status_h + header_h), fill=theme.header)
    draw.text((int(40 * scale), int(14 * scale)), "10:25", font=small, fill=theme.header_text)
    draw.text(
        (style.width - int(230 * scale), int(14 * scale)), "4G  85%", font=small, fill=theme.header_text
    )
    draw.text((int(40 * scale), status_h + int(40 * scale)), "<", font=header_font, fill=theme.header_text)
    draw.text(
        (int(120 * scale), status_h + int(40 * scale)), sender, font=header_font, fill=theme.header_text
    )
    y = status_h + header_h + int(20 * scale)
    draw.text((style.width // 2 - int(90 * scale), y), "Hôm nay 09:41", font=small, fill=theme.chrome_text)
    y += stamp_h
    for index, lines in enumerate(wrapped):
        mine = index in outgoing
        fill, ink = (theme.outgoing, theme.outgoing_text) if mine else (theme.incoming, theme.incoming_text)
        text_w = max(int(draw.textlength(line, font=font)) for line in lines)
        box_w, box_h = text_w + 2 * pad, len(lines) * line_h + 2 * pad - (line_h - style.size) // 2
        x = style.width - box_w - int(30 * scale) if mine else int(30 * scale)
        draw.rounded_rectangle((x, y, x + box_w, y + box_h), radius=int(style.size * 0.8), fill=fill)
        for number, line in enumerate(lines):
            draw.text((x + pad, y + pad + number * line_h), line, font=font, fill=ink)
        y += box_h + gap
    # the input bar
    bar = height - input_h
    draw.rectangle(
        (0, bar, style.width, height), fill=theme.header if style.app == "zalo" else theme.background
    )
    draw.rounded_rectangle(
        (int(30 * scale), bar + int(25 * scale), style.width - int(30 * scale), height - int(25 * scale)),
        radius=int(40 * scale),
        outline=theme.chrome_text,
        width=2,
    )
    placeholder = {"sms": "Tin nhắn văn bản", "zalo": "Tin nhắn", "messenger": "Aa"}[style.app]
    draw.text((int(70 * scale), bar + int(45 * scale)), placeholder, font=small, fill=theme.chrome_text)

    if style.photo:
        image = photographed(image, random.Random(zlib.crc32("\n".join(bubbles).encode())))
    expected = "\n".join([sender, *bubbles])
    return Screen(encode(image, style.jpeg), expected, style)


def photographed(image: Image.Image, rng: random.Random) -> Image.Image:
    """What a phone camera makes of a screen: a slight tilt, softness, uneven light and grain."""
    image = image.rotate(
        rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, expand=True, fillcolor="#808080"
    )
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    light = Image.linear_gradient("L").resize(image.size).point(lambda v: 200 + v * 55 // 255)
    if rng.random() < 0.5:
        light = light.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    image = Image.composite(image, Image.new("RGB", image.size, "#000000"), light)
    grain = Image.effect_noise(image.size, rng.uniform(14, 22)).convert("RGB")
    image = Image.blend(image, grain, 0.12)
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.8, 0.95))
    return image.resize((int(image.width * 0.9), int(image.height * 0.9)))


def encode(image: Image.Image, jpeg: int | None) -> bytes:
    out = io.BytesIO()
    if jpeg is None:
        image.save(out, "PNG")
    else:
        image.save(out, "JPEG", quality=jpeg)
    return out.getvalue()


# --- QR codes -------------------------------------------------------------------------


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE, as EMVCo QR payloads end with."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def vietqr_payload(bin_: str, account: str, *, amount: int | None = None, note: str = "") -> str:
    """A VietQR (NAPAS 247, EMVCo) transfer payload to `account` at the bank `bin_`."""
    beneficiary = _tlv("00", bin_) + _tlv("01", account)
    merchant = _tlv("00", "A000000727") + _tlv("01", beneficiary) + _tlv("02", "QRIBFTTA")
    body = _tlv("00", "01") + _tlv("01", "12" if amount else "11") + _tlv("38", merchant) + _tlv("53", "704")
    if amount:
        body += _tlv("54", str(amount))
    body += _tlv("58", "VN")
    if note:
        body += _tlv("62", _tlv("08", note))
    body += "6304"
    return body + crc16(body)


def qr_image(payload: str, *, scale: int = 8, caption: str | None = None, jpeg: int | None = None) -> bytes:
    """A QR code on a white card, as a payment poster or a chat picture shows it."""
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode).to_image(scale=scale)
    view = memoryview(code)
    qr = Image.frombytes("L", (view.shape[1], view.shape[0]), view.tobytes()).convert("RGB")
    card = Image.new("RGB", (qr.width + 120, qr.height + 220), "#ffffff")
    card.paste(qr, (60, 60))
    if caption:
        font = ImageFont.truetype(str(fonts()[0]), 34)
        ImageDraw.Draw(card).text((60, qr.height + 100), caption, font=font, fill="#000000")
    return encode(card, jpeg)


def reader_installed() -> bool:
    from bot.pictures.reader import PictureReader

    return PictureReader.installed() is not None


# Tests that read pictures need Tesseract and its Vietnamese model (Debian: tesseract-ocr-vie).
needs_tesseract = pytest.mark.skipif(
    not reader_installed(), reason="Tesseract with Vietnamese (tesseract-ocr-vie) is not installed"
)
