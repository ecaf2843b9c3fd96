"""Quality of the scam check on labelled sets (default: both development sets).

Prints, per set and per style: top-1 and top-3 modus accuracy on scams (an
`alt_modus` counts), flagged (scams answered likely_scam or suspicious), likely
(scams answered likely_scam), false alarms (genuine messages answered
likely_scam), clear (genuine messages answered no_match), disguised lures flagged,
entity recall, the verdict counts for scam and genuine messages, and the time per
message. With --verbose, every miss. Runs the same `Checker` the bot uses, without
a registry.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from _common import checker, resolve

from content import Entity, Verdict

DEFAULT_SETS = ("eval/check-dev.jsonl", "eval/check-dev-sms.jsonl")
# Independent of the engine: the marks of text written to pass spam filters.
_DISGUISE = re.compile(
    r"[a-zA-Z][0-9@!$*][a-zA-Z]|[a-zA-Z][.\-_][a-zA-Z]{1,3}\s|[a-zA-Z]_[a-zA-Z]"
    r"|[\u0400-\u04ff\u0370-\u03ff\uff00-\uffef\u200b-\u200d]|\b[a-zA-Z]+[0@!][\s.,:]"
)


def disguised(text: str) -> bool:
    """A lure written against filters: leetspeak, split words, look-alike letters."""
    hits = _DISGUISE.findall(re.sub(r"\S+\.(?:[a-z]{2,6})(?:/\S*)?", " ", text))
    return len(hits) >= 2


def _found(expected: dict[str, str], entities: list[Entity]) -> bool:
    for e in entities:
        if e.kind != expected["kind"]:
            continue
        if "value" in expected and e.value != expected["value"]:
            continue
        if "host" in expected and e.host != expected["host"]:
            continue
        return True
    return False


@dataclass
class Tally:
    scams: int = 0
    top1: int = 0
    top3: int = 0
    flagged: int = 0
    likely: int = 0
    genuine: int = 0
    alarms: int = 0
    clear: int = 0
    disguised: int = 0
    disguised_flagged: int = 0
    entities: int = 0
    entities_found: int = 0
    verdicts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def run(path: str, engine: object, verbose: bool) -> None:
    rows = [json.loads(ln) for ln in resolve(path).read_text("utf-8").splitlines() if ln.strip()]
    tallies: dict[str, Tally] = defaultdict(Tally)
    misses: list[str] = []
    started = time.perf_counter()
    for row in rows:
        result = engine.check(row["text"])  # type: ignore[attr-defined]
        expect = row.get("expect", {})
        want = expect.get("modus")
        accepted = {want, *(expect.get("alt_modus") or [])} - {None}
        got = [m.id for m in result.modus]
        verdict = result.verdict
        for style in (row.get("style", "?"), "ALL"):
            t = tallies[style]
            if want is not None:
                t.scams += 1
                t.top1 += bool(got[:1]) and got[0] in accepted
                t.top3 += bool(accepted & set(got[:3]))
                t.flagged += verdict is not Verdict.NO_MATCH
                t.likely += verdict is Verdict.LIKELY_SCAM
                t.verdicts["scam"][verdict.value] += 1
                if disguised(row["text"]):
                    t.disguised += 1
                    t.disguised_flagged += verdict is not Verdict.NO_MATCH
            else:
                t.genuine += 1
                t.alarms += verdict is Verdict.LIKELY_SCAM
                t.clear += verdict is Verdict.NO_MATCH
                t.verdicts["genuine"][verdict.value] += 1
            for e in expect.get("entities", []):
                t.entities += 1
                t.entities_found += _found(e, result.entities)
        if want is None and verdict is not Verdict.NO_MATCH:
            misses.append(f"{row['id']}: genuine, got {verdict.value} {got[:2]}")
        if want is not None and not (got[:1] and got[0] in accepted):
            misses.append(f"{row['id']} [{row.get('style')}]: expected {want}, got {got[:3]}")
        if want is not None and verdict is not Verdict.LIKELY_SCAM:
            misses.append(f"{row['id']}: scam answered {verdict.value}")
        for e in expect.get("entities", []):
            if not _found(e, result.entities):
                misses.append(f"{row['id']}: entity not found {e}")
    elapsed = (time.perf_counter() - started) / max(1, len(rows))

    print(f"\n== {path} ({len(rows)} messages, {elapsed * 1000:.2f} ms each)")
    head = (
        "style",
        "scams",
        "top-1",
        "top-3",
        "flag",
        "likely",
        "genuine",
        "alarm",
        "clear",
        "disg",
        "entity",
    )
    print(f"{head[0]:<14}" + "".join(f"{h:>8}" for h in head[1:]))
    for style in sorted(tallies, key=lambda s: (s == "ALL", s)):
        t = tallies[style]
        cells = (
            str(t.scams),
            _ratio(t.top1, t.scams),
            _ratio(t.top3, t.scams),
            _ratio(t.flagged, t.scams),
            _ratio(t.likely, t.scams),
            str(t.genuine),
            _ratio(t.alarms, t.genuine),
            _ratio(t.clear, t.genuine),
            f"{t.disguised_flagged}/{t.disguised}" if t.disguised else "-",
            _ratio(t.entities_found, t.entities),
        )
        print(f"{style:<14}" + "".join(f"{c:>8}" for c in cells))
    total = tallies["ALL"]
    for side in ("scam", "genuine"):
        counts = total.verdicts[side]
        shown = ", ".join(f"{v}: {counts[v]}" for v in ("likely_scam", "suspicious", "no_match"))
        print(f"verdicts on {side} messages: {shown}")
    if verbose and misses:
        print("\n".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_SETS))
    parser.add_argument("--library", help="a folder of card YAML files instead of the library")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args()
    engine = checker(args.library)
    for path in args.paths:
        run(path, engine, args.verbose)


if __name__ == "__main__":
    main()
