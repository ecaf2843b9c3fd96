"""Opening a resident's picture safely: known formats only, bounded size and pixels.

Anything can arrive as "a picture": a GIF, a PDF, a 20 MB photo, a 10,000×10,000 image made
to exhaust memory, a truncated file. The format is told by the bytes (never by the name or
the declared type), Pillow opens only that format, and the pixel count is checked from the
header before anything is decoded; a large JPEG is decoded at a reduced scale instead.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from handlers.reading import PictureRefused

MAX_BYTES = 10_000_000
MAX_PIXELS = 25_000_000  # decoded at most (75 MB as RGB); a phone screenshot has 2 to 4 million
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"%PDF", "pdf"),
)


def sniff(data: bytes) -> str:
    """JPEG, PNG or WEBP; else the reason a picture is refused (gif, pdf, not_a_picture)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return "not_a_picture"


def open_picture(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The decoded picture (RGB or L, upright), or `PictureRefused` with the reason."""
    if len(data) > max_bytes:
        raise PictureRefused("too_large")
    kind = sniff(data)
    if kind not in ("JPEG", "PNG", "WEBP"):
        raise PictureRefused(kind)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])
        width, height = image.size
        if width * height > max_pixels:
            if kind != "JPEG":
                raise PictureRefused("too_many_pixels")
            # JPEG decodes at 1/2, 1/4 or 1/8 scale at no cost: take the largest that fits
            factor = 2
            while factor < 8 and width * height // (factor * factor) > max_pixels:
                factor *= 2
            image.draft("RGB", (width // factor, height // factor))
            if image.size[0] * image.size[1] > max_pixels:
                raise PictureRefused("too_many_pixels")
        image.load()
        upright = ImageOps.exif_transpose(image)
    except PictureRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise PictureRefused("too_many_pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of saying "broken"
        raise PictureRefused("corrupt") from exc
    return _flatten(upright)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency onto white (a PNG sticker, a cut-out) and palettes to RGB."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "#ffffff")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")
