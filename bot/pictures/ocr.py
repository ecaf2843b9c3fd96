"""Tesseract, in process, with Debian's Vietnamese model (package tesseract-ocr-vie).

tesserocr (PyPI) wraps the Tesseract library and keeps a loaded model between pictures, so
a screenshot costs its recognition only (a `tesseract` process per picture would load the
model each time). An API object serves one thread at a time: a small pool holds one per
concurrent reader. The language data is found where Debian installs it; nothing is
downloaded.
"""

from __future__ import annotations

import glob
import queue
import threading
from pathlib import Path

from PIL import Image

from bot.pictures.layout import Line

LANGUAGE = "vie"
TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata", "/usr/local/share/tessdata")


def find_tessdata(language: str = LANGUAGE) -> Path | None:
    """The folder holding `<language>.traineddata`, or None when it is not installed."""
    for pattern in TESSDATA_GLOBS:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if (Path(folder) / f"{language}.traineddata").exists():
                return Path(folder)
    return None


class Tesseract:
    def __init__(self, tessdata: Path, *, language: str = LANGUAGE, instances: int = 2) -> None:
        import tesserocr  # imported here: a deployment without it simply reads no pictures

        self._tesserocr = tesserocr
        # Leptonica prints its complaints about odd boxes to stderr; they are not our errors.
        tesserocr.set_leptonica_log_level(tesserocr.LeptLogLevel.NONE)
        self.tessdata = tessdata
        self.language = language
        self._idle: queue.LifoQueue[object] = queue.LifoQueue()
        self._made = 0
        self._limit = instances
        self._lock = threading.Lock()

    def _api(self) -> object:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._made < self._limit:
                self._made += 1
                t = self._tesserocr
                return t.PyTessBaseAPI(path=str(self.tessdata), lang=self.language, psm=t.PSM.AUTO)
        return self._idle.get()

    def lines(self, image: Image.Image) -> list[Line]:
        """The text lines Tesseract finds, with their boxes and confidence (0–100)."""
        t = self._tesserocr
        api = self._api()
        try:
            api.SetImage(image)  # type: ignore[attr-defined]
            api.Recognize()  # type: ignore[attr-defined]
            level = t.RIL.TEXTLINE
            found: list[Line] = []
            iterator = api.GetIterator()  # type: ignore[attr-defined]
            if iterator is None:
                return found
            for item in t.iterate_level(iterator, level):
                try:
                    text = item.GetUTF8Text(level) or ""
                except RuntimeError:  # an empty line ("No text returned")
                    continue
                box = item.BoundingBox(level)
                if text.strip() and box:
                    found.append(Line(text.strip(), item.Confidence(level), *box))
            return found
        finally:
            api.Clear()  # type: ignore[attr-defined]
            self._idle.put(api)
