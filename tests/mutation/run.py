"""Mutation run: plant each deliberate bug of `mutants.toml`, one at a time, and see the tests catch it.

Each mutant is a small textual change to one security, privacy or delivery module (the
snippet must occur exactly once). The tree is copied to a scratch folder first, so the
working tree is never touched and an interrupted run leaves nothing behind; the copy is
first on PYTHONPATH, ahead of the editable install. For each mutant only the test files
that matter run (`tests` in the list, the expected killer first) with `-x`, so a caught
mutant costs seconds. A mutant is *killed* when those tests fail, *survived* when they pass.
A survivor must carry an `equivalent` explanation in the list; an unexplained one makes the
run exit with 1.

    python -m tests.mutation.run                      # every mutant
    python -m tests.mutation.run --changed-since REV  # mutants whose module or tests changed
    python -m tests.mutation.run --only ID [--only ID]
    python -m tests.mutation.run --list | --check

Redis tests take part when CANHGIAC_TEST_REDIS_URL is set, as in `make test`; PostgreSQL
(CANHGIAC_TEST_POSTGRES_URL) only for mutants marked `postgres = true`, since a scratch
database per mutant costs more than the tests, and the other mutants are caught on SQLite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIST = Path(__file__).with_name("mutants.toml")
TIMEOUT = 600  # seconds per mutant; a hang counts as caught (the suite would not finish)
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    original: str
    mutated: str
    why: str
    tests: tuple[str, ...]
    equivalent: str = ""
    postgres: bool = False  # the tests that catch it need PostgreSQL (SQLite alone is enough otherwise)

    def apply(self, text: str) -> str:
        return text.replace(self.original, self.mutated, 1)

    @property
    def test_files(self) -> set[str]:
        return {t.split("::", 1)[0] for t in self.tests}


def load(path: Path = LIST) -> list[Mutant]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [
        Mutant(
            id=m["id"],
            file=m["file"],
            original=m["original"],
            mutated=m["mutated"],
            why=m["why"],
            tests=tuple(m["tests"]),
            equivalent=m.get("equivalent", ""),
            postgres=m.get("postgres", False),
        )
        for m in data["mutant"]
    ]


def problems(mutants: Sequence[Mutant], root: Path = ROOT) -> list[str]:
    """What keeps a mutant from applying: unknown file, snippet absent or not unique, no test."""
    found: list[str] = []
    seen: set[str] = set()
    for m in mutants:
        if m.id in seen:
            found.append(f"{m.id}: the id is used twice")
        seen.add(m.id)
        source = root / m.file
        if not source.is_file():
            found.append(f"{m.id}: {m.file} does not exist")
            continue
        count = source.read_text("utf-8").count(m.original)
        if count != 1:
            found.append(f"{m.id}: the original snippet occurs {count} times in {m.file} (it must be once)")
        if m.original == m.mutated:
            found.append(f"{m.id}: the mutated snippet is the original")
        if not m.tests:
            found.append(f"{m.id}: no tests named")
        for test in sorted(m.test_files):
            if not (root / test).is_file():
                found.append(f"{m.id}: test file {test} does not exist")
    return found


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def changed_since(mutants: Sequence[Mutant], rev: str) -> list[Mutant]:
    """Mutants whose module or tests changed since `rev` (committed or not), and entries that are
    new or different in the list. None when `rev` is unknown (no git, a shallow clone): this
    is CI's cheap check, and a full run is `make mutants`."""
    if _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        print(
            f"{rev} is not a known commit, so what changed is unknown: "
            "no mutant runs (`make mutants` runs them all)"
        )
        return []
    changed = {line.strip() for line in _git("diff", "--name-only", rev, "--").stdout.splitlines()}
    old_list = _git("show", f"{rev}:{LIST.relative_to(ROOT).as_posix()}")
    before: dict[str, Mutant] | None = None  # no list then: its entries count as unchanged
    if old_list.returncode == 0:
        with tempfile.NamedTemporaryFile("w", suffix=".toml", encoding="utf-8") as handle:
            handle.write(old_list.stdout)
            handle.flush()
            before = {m.id: m for m in load(Path(handle.name))}

    def touched(m: Mutant) -> bool:
        edited = before is not None and before.get(m.id) != m
        return m.file in changed or bool(m.test_files & changed) or edited

    return [m for m in mutants if touched(m)]


def copy_tree(target: Path) -> None:
    """The tracked and new (not ignored) files of the working tree, as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        name = raw.decode()
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def environment(copy: Path, *, postgres: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    if not postgres:
        env.pop("CANHGIAC_TEST_POSTGRES_URL", None)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_imports_from(copy: Path) -> None:
    """The mutated copy, not the editable install, must be what the tests import."""
    code = "import bot, content, handlers, storage; print(storage.__file__, bot.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=copy,
        env=environment(copy),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if not all(Path(p).resolve().is_relative_to(copy.resolve()) for p in out.split()):
        raise SystemExit(f"the tests would not import the mutated copy: {out.strip()}")


def pytest(
    copy: Path, tests: Sequence[str], *, postgres: bool, timeout: float = TIMEOUT
) -> tuple[int, str, float]:
    args = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE", "--no-header"]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*args, *tests],
            cwd=copy,
            env=environment(copy, postgres=postgres),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return -1, "timeout", time.monotonic() - started
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def run(mutants: Sequence[Mutant], *, baseline: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="canhgiac-mutants-") as scratch:
        copy = Path(scratch)
        copy_tree(copy)
        check_imports_from(copy)
        if baseline:
            files = sorted(set().union(*(m.test_files for m in mutants)))
            code, output, took = pytest(
                copy, files, postgres=any(m.postgres for m in mutants), timeout=4 * 3600
            )
            if code != 0:
                print(output[-4000:])
                print(f"the tests fail without any mutant ({took:.0f} s): fix them first")
                return 2
            print(f"baseline: {len(files)} test files pass without mutants ({took:.0f} s)")
        killed: list[Mutant] = []
        explained: list[Mutant] = []
        unexplained: list[Mutant] = []
        started = time.monotonic()
        for number, m in enumerate(mutants, 1):
            target = copy / m.file
            original = target.read_text("utf-8")
            target.write_text(m.apply(original), "utf-8")
            try:
                code, output, took = pytest(copy, m.tests, postgres=m.postgres)
            finally:
                target.write_text(original, "utf-8")
            if code == 0:
                (explained if m.equivalent else unexplained).append(m)
                outcome = "survived (equivalent)" if m.equivalent else "SURVIVED"
                detail = m.equivalent if m.equivalent else m.why
            elif code in (1, 2, -1):
                killed.append(m)
                outcome = "killed"
                failed = _FAILED.findall(output)
                detail = "timeout" if code == -1 else failed[0] if failed else "collection error"
            else:  # 3 internal error, 4 usage error, 5 no tests collected: the list is wrong
                unexplained.append(m)
                outcome = f"ERROR (pytest exit {code})"
                detail = output.strip().splitlines()[-1] if output.strip() else ""
            print(f"[{number}/{len(mutants)}] {outcome:<21} {m.id:<34} {took:5.1f} s  {detail}", flush=True)
        total = len(mutants)
        minutes = (time.monotonic() - started) / 60
        print(
            f"\nkilled {len(killed)}/{total} ({100 * len(killed) / max(total, 1):.0f}%) in {minutes:.1f} min"
        )
        for m in explained:
            print(f"  equivalent: {m.id} ({m.file}): {m.equivalent}")
        for m in unexplained:
            print(f"  NOT CAUGHT: {m.id} ({m.file}): {m.why}")
        return 1 if unexplained else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="run this mutant (repeatable)")
    parser.add_argument("--changed-since", metavar="REV", help="only mutants whose module or tests changed")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--check", action="store_true", help="check that every mutant applies, run nothing")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the tests")
    args = parser.parse_args(argv)
    # Stopped from outside: unwind, so the running tests are killed and the scratch copy removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    mutants = load()
    found = problems(mutants)
    if found:
        print("\n".join(found))
        return 2
    if args.check:
        print(f"{len(mutants)} mutants apply")
        return 0
    if args.only:
        unknown = set(args.only) - {m.id for m in mutants}
        if unknown:
            print(f"unknown mutant: {', '.join(sorted(unknown))}")
            return 2
        mutants = [m for m in mutants if m.id in args.only]
    if args.changed_since:
        mutants = changed_since(mutants, args.changed_since)
        print(f"{len(mutants)} mutants in what changed since {args.changed_since}")
    if args.list:
        for m in mutants:
            print(f"{m.id:<34} {m.file:<36} {m.why}")
        return 0
    if not mutants:
        return 0
    return run(mutants, baseline=not args.no_baseline)


if __name__ == "__main__":
    raise SystemExit(main())
