"""Reading screenshots: the development sets drawn as phone screenshots, then read back.

Every message of shared/eval/check-dev.jsonl and check-dev-sms.jsonl is drawn (by
tests/screens.py) as an SMS, Zalo or Messenger screenshot, light or dark, in one of the
Debian fonts at one of several sizes, as PNG or JPEG: the clean set. The same messages
photographed off a screen (tilt, blur, uneven light, grain, stronger JPEG) make the noisy
set. QR codes: every link of the sets, and VietQR transfers to several banks.

Prints the character error rate (edit distance over the expected characters, spaces
collapsed) on each set, how often the verdict of the read text equals the verdict of the
original text, the share of QR codes decoded, seconds per screenshot (median, p95) and the
process's peak memory. Reads one picture at a time through `PictureReader`, as the bot does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator

from _common import REPO, checker, resolve

sys.path.insert(0, str(REPO))

from bot.pictures.qr import BANKS_BY_BIN
from bot.pictures.reader import PictureReader
from handlers.reading import PictureRefused
from tests.screens import APPS, SENDERS, Screen, Style, fonts, qr_image, render, split_bubbles, vietqr_payload

SETS = ("eval/check-dev.jsonl", "eval/check-dev-sms.jsonl")
SIZES = (32, 38, 44)


def distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def screens(rows: list[dict[str, object]], noisy: bool) -> Iterator[tuple[str, Screen]]:
    faces = fonts()
    for n, row in enumerate(rows):
        text = str(row["text"])
        app = APPS[n % 3]
        style = Style(
            app=app,
            dark=(n // 3) % 2 == 1,
            font=faces[(n // 2) % len(faces)],
            size=SIZES[(n // 6) % len(SIZES)],
            width=(1080, 1080, 720)[(n // 4) % 3],
            jpeg=55 + n % 20 if noisy else (None if n % 2 else 85),
            photo=noisy,
        )
        style = Style(**{**style.__dict__, "size": style.size * style.width // 1080})
        bubbles = split_bubbles(text, 1 + n % 3)
        outgoing = (1,) if app == "messenger" and len(bubbles) > 2 else ()
        yield text, render(bubbles, style, sender=SENDERS[n % len(SENDERS)], outgoing=outgoing)


def qr_cases(rows: list[dict[str, object]]) -> list[tuple[str, bytes]]:
    """(what must be found in the read text, the picture)."""
    links = sorted(
        {
            str(e["value"] if "value" in e else "http://" + e["host"])
            for r in rows
            for e in r["expect"]["entities"]
            if e["kind"] == "url"
        }
    )  # type: ignore[index]
    cases = [
        (link.lower().removeprefix("http://"), qr_image(link if "://" in link else "http://" + link))
        for link in links
    ]
    for n, bin_ in enumerate(sorted(BANKS_BY_BIN)[:20]):
        account = f"{1903000 + n * 7919:07d}{n:03d}"
        payload = vietqr_payload(
            bin_, account, amount=(n + 1) * 150_000 if n % 2 else None, note="chuyen tien coc"
        )
        cases.append(
            (
                account,
                qr_image(
                    payload, scale=6 + n % 4, caption="Quét mã để chuyển khoản", jpeg=80 if n % 3 else None
                ),
            )
        )
    return cases


def stall(rows: list[dict[str, object]]) -> float:
    """The longest a thread wanting the interpreter (as the event loop does) waits while two
    others read screenshots: the reading must leave the GIL to the rest of the process."""
    reader = PictureReader.installed(workers=2)
    assert reader is not None
    pictures = [screen.data for _, screen in screens(rows[:12], False)]
    done = threading.Event()

    def read(part: list[bytes]) -> None:
        for data in part:
            reader(data)

    threads = [threading.Thread(target=read, args=(pictures[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    threading.Thread(target=lambda: ([t.join() for t in threads], done.set())).start()
    longest, last = 0.0, time.perf_counter()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="messages per set (0: all)")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args()
    reader = PictureReader.installed(workers=1)
    if reader is None:
        sys.exit(
            "Tesseract with Vietnamese is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)"
        )
    engine = checker()
    rows = [
        json.loads(ln) for name in SETS for ln in resolve(name).read_text("utf-8").splitlines() if ln.strip()
    ]
    if args.limit:
        rows = rows[: args.limit]
    seconds: list[float] = []
    cpu: list[float] = []  # seconds of processor time: what a quiet machine would take
    same = total = 0
    for label, noisy in (("clean", False), ("noisy", True)):
        errors = chars = 0
        for original, screen in screens(rows, noisy):
            start, start_cpu = time.perf_counter(), time.process_time()
            read = reader(screen.data).joined
            seconds.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            expected = flat(screen.text)
            wrong = distance(expected, flat(read))
            errors, chars = errors + wrong, chars + len(expected)
            verdict_same = engine.check(read).verdict == engine.check(original).verdict
            same, total = same + verdict_same, total + 1
            if args.verbose and (wrong / len(expected) > 0.03 or not verdict_same):
                mark = "=" if verdict_same else "≠"
                print(f"  {label} {screen.style.describe()} CER {wrong / len(expected):.3f} verdict {mark}")
                print(f"    expected: {expected[:160]}\n    read:     {flat(read)[:160]}")
        print(f"{label}: {len(rows)} screenshots, character error rate {errors / chars:.2%}")
    print(f"verdict of the read text = verdict of the text: {same}/{total} ({same / total:.1%})")
    decoded = 0
    cases = qr_cases(rows)
    for wanted, data in cases:
        try:
            read = reader(data).joined
        except PictureRefused:
            read = ""
        hit = wanted in read.lower()
        decoded += hit
        if args.verbose and not hit:
            print(f"  QR not decoded: {wanted}")
    print(f"QR codes decoded: {decoded}/{len(cases)}")
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
    median = statistics.median(seconds)
    print(f"seconds per screenshot: median {median:.2f}, p95 {p95:.2f}, max {seconds[-1]:.2f}")
    cpu.sort()
    cpu_p95 = cpu[min(len(cpu) - 1, int(len(cpu) * 0.95))]
    print(f"processor seconds per screenshot: median {statistics.median(cpu):.2f}, p95 {cpu_p95:.2f}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"event loop while 2 threads read pictures: longest stall {stall(rows) * 1000:.0f} ms")
    print(f"peak memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
