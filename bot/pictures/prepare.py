"""A picture made ready for OCR: grey, at a reading scale, dark text on a light ground.

Phone screenshots mix polarities: dark text on white, white text on a blue bubble, light
text in dark mode. Tesseract reads dark on light best and binarises the whole page with one
threshold, which loses a bubble's white text. So each pixel is taken as its distance from
the local background (a coarse, median-smoothed copy of the picture): text of either
polarity comes out dark on white, and a bubble's colour no longer matters.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageFilter, ImageOps

READ_SIDE = 1500  # the shorter side is brought down to this at most (text stays ~30 px high)
SMALL_SIDE = 640  # below this the picture is enlarged twice (a thumbnail, an old phone)
BACKGROUND_CELL = 8  # pixels averaged into one cell of the background estimate (a median of 5×5 cells)
GRAIN = 24  # smaller differences from the background are a camera's grain, not ink
_QUIET = [0 if v < GRAIN else v for v in range(256)]


def reading_scale(size: tuple[int, int]) -> float:
    short = min(size)
    if short > READ_SIDE:
        return READ_SIDE / short
    if short < SMALL_SIDE:
        return 2.0
    return 1.0


def prepare(image: Image.Image) -> Image.Image:
    """Grey, scaled for reading, text dark on white whatever the theme or bubble colour."""
    grey = image.convert("L")
    scale = reading_scale(grey.size)
    if scale != 1.0:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    return even_polarity(grey)


def even_polarity(grey: Image.Image) -> Image.Image:
    width, height = grey.size
    cells = (max(1, width // BACKGROUND_CELL), max(1, height // BACKGROUND_CELL))
    background = grey.resize(cells, Image.Resampling.NEAREST).filter(ImageFilter.MedianFilter(7))
    background = background.resize(grey.size, Image.Resampling.BILINEAR)
    distance = ImageChops.difference(grey, background).point(_QUIET)
    return ImageOps.invert(ImageOps.autocontrast(distance, cutoff=0.5))
