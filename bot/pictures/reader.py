"""`PictureReader`: a picture's bytes in, what it says out (`handlers.reading.ReadPicture`).

At most `workers` pictures are read at once, whatever the number of threads asking: each
holds a decoded picture (bounded by `decode.MAX_PIXELS`) and a Tesseract instance, so memory
stays bounded and the two cores are left some room for text messages. Nothing is written
anywhere; the bytes and the image are dropped when the call returns.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.pictures.decode import MAX_BYTES, open_picture
from bot.pictures.layout import arrange
from bot.pictures.ocr import Tesseract, find_tessdata
from bot.pictures.prepare import prepare
from bot.pictures.qr import read_codes
from handlers.reading import PictureText

log = logging.getLogger(__name__)


class PictureReader:
    def __init__(self, tessdata: Path, *, workers: int = 2, max_bytes: int = MAX_BYTES) -> None:
        self.ocr = Tesseract(tessdata, instances=workers)
        self.max_bytes = max_bytes
        self._slots = threading.BoundedSemaphore(workers)

    @classmethod
    def installed(cls, *, workers: int = 2, max_bytes: int = MAX_BYTES) -> PictureReader | None:
        """A reader when Tesseract and its Vietnamese model are installed, else None (logged)."""
        tessdata = find_tessdata()
        try:
            import tesserocr  # noqa: F401
        except ImportError:
            tessdata = None
        if tessdata is None:
            log.warning(
                "Tesseract with Vietnamese (tesseract-ocr-vie) is not installed: pictures are not read"
            )
            return None
        return cls(tessdata, workers=workers, max_bytes=max_bytes)

    def __call__(self, data: bytes) -> PictureText:
        with self._slots:
            image = open_picture(data, max_bytes=self.max_bytes)
            codes = read_codes(image)
            ready = prepare(image)
            del image
            text = arrange(self.ocr.lines(ready), ready.size)
        return PictureText(text=text, codes=codes)
