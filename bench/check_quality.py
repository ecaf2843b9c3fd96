"""Quality of the scam check on a labelled set (default: shared/eval/check-dev.jsonl).

Prints top-1 and top-3 per style and overall, false alarms (no-scam messages called
likely_scam), entity recall and, with --verbose, every miss. Runs the same `Checker`
the bot uses, without a registry.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

from _common import checker, resolve

from content import Entity, Verdict


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default="eval/check-dev.jsonl")
    parser.add_argument("--library", help="a folder of card YAML files instead of the library")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args()
    engine = checker(args.library)
    rows = [json.loads(ln) for ln in resolve(args.path).read_text("utf-8").splitlines() if ln.strip()]

    top1: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # style -> hits1, hits3, n
    alarms = [0, 0]
    suspicious_clean = 0
    ent = [0, 0]
    misses: list[str] = []
    for row in rows:
        result = engine.check(row["text"])
        expect = row.get("expect", {})
        want = expect.get("modus")
        got = [m.id for m in result.modus]
        for style in (row.get("style", "?"), "ALL"):
            if want is not None:
                top1[style][2] += 1
                top1[style][0] += bool(got[:1] == [want])
                top1[style][1] += want in got[:3]
        if want is None:
            alarms[1] += 1
            alarms[0] += result.verdict is Verdict.LIKELY_SCAM
            suspicious_clean += result.verdict is Verdict.SUSPICIOUS
            if result.verdict is not Verdict.NO_MATCH:
                misses.append(f"{row['id']}: expected no scam, got {result.verdict.value} {got[:2]}")
        else:
            if got[:1] != [want]:
                misses.append(f"{row['id']} [{row.get('style')}]: expected {want}, got {got[:3]}")
            if result.verdict is Verdict.NO_MATCH:
                misses.append(f"{row['id']}: scam called no_match")
        for e in expect.get("entities", []):
            ent[1] += 1
            if _found(e, result.entities):
                ent[0] += 1
            else:
                misses.append(f"{row['id']}: entity not found {e}")

    print(f"{'style':<15}{'n':>4}{'top-1':>8}{'top-3':>8}")
    for style in sorted(top1, key=lambda s: (s == "ALL", s)):
        h1, h3, n = top1[style]
        print(f"{style:<15}{n:>4}{h1 / n:>8.3f}{h3 / n:>8.3f}")
    print(
        f"false alarms: {alarms[0]}/{alarms[1]} = {alarms[0] / max(1, alarms[1]):.3f}"
        f" (suspicious: {suspicious_clean})"
    )
    print(f"entity recall: {ent[0]}/{ent[1]} = {ent[0] / max(1, ent[1]):.3f}")
    if args.verbose:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
