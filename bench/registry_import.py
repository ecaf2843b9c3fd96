"""Time of `canhgiac registry import` for a large list, and the peak memory of the command.

Writes a CSV of `--rows` distinct entities (phones, accounts, links in turn, with a bad row
every 10,000), imports it with the real command into a fresh database (PostgreSQL from
`--database-url` or CANHGIAC_TEST_POSTGRES_URL, where it gets a database of its own, dropped
before each run; SQLite under data/bench otherwise), and prints the wall time, rows per second
and the command's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("kind,value,reports,bank,note\n")
        for i in range(rows):
            if i % 10_000 == 9_999:
                out.write("phone,not-a-number,1,,\n")
            elif i % 3 == 0:
                out.write(f"phone,09{i % 10**8:08d},{1 + i % 5},,\n")
            elif i % 3 == 1:
                out.write(f"bank_account,19{i:012d},1,TCB,giả công an\n")
            else:
                out.write(f"url,https://scam{i}.top/login,2,,\n")


def fresh_database(server_url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine

    name = "canhgiac_bench_registry_import"
    admin = make_engine(server_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("CANHGIAC_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        csv_file = Path(tmp) / "registry.csv"
        write_csv(csv_file, args.rows)
        if args.database_url and not args.database_url.startswith("sqlite"):
            url = fresh_database(args.database_url)
        else:
            db = REPO / "data" / "bench" / "registry-import.db"
            db.parent.mkdir(parents=True, exist_ok=True)
            db.unlink(missing_ok=True)
            url = f"sqlite:///{db}"
        env = {**os.environ, "CANHGIAC_DATABASE_URL": url, "CANHGIAC_DATA_DIR": tmp}
        command = [sys.executable, "-m", "bot", "registry", "import", str(csv_file)]
        subprocess.run([*command[:4], "--help"], env=env, capture_output=True, check=True, cwd=REPO)
        idle = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO, check=False)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"import failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    progress = [line for line in proc.stderr.splitlines() if line.startswith("…")]
    print(f"database: {url.split('@')[-1]}")
    print(proc.stdout.strip(), f"({len(progress)} progress lines)")
    print(f"{args.rows:,} rows in {took:.1f} s: {args.rows / took:,.0f} rows/s")
    print(f"peak RSS of the command: {peak / 1024:.0f} MB (a bare `canhgiac --help`: {idle / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
