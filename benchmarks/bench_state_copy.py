"""`clausewise state copy`: a SQLite state of N customers and N notices into PostgreSQL, timed, against
reading the same rows out of SQLite (the floor: every row must at least be read).

    .venv/bin/python benchmarks/bench_state_copy.py                 # 200,000 customers
    .venv/bin/python benchmarks/bench_state_copy.py --customers 1000000 --url postgresql://me@127.0.0.1/postgres

The state: N customers on v1 of one agreement (`customers import`), and v2 published, whose
campaign holds one pending notice per customer. The copy runs as the command in a fresh process
(peak RSS is the whole command's); it writes, reads back and digests every row on both sides.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_import import make_csv, run_child  # noqa: E402
from bench_import_pg import drop_database, fresh_database, server  # noqa: E402
from scale_pg import AGREEMENT  # noqa: E402


def sqlite_state(root: Path, customers: int) -> Path:
    """A repository whose SQLite state holds ``customers`` customers and as many pending notices."""
    from clausewise.notifier.publishing import publish_version
    from clausewise.versions import init_repo

    repo = init_repo(root)
    repo.add("bench", AGREEMENT, title="Bench Agreement", language="en", kind="trial", notice_days=30)
    publish_version(repo, "bench", date(2100, 1, 1), today=date(2099, 1, 1))
    data = root.parent / "customers.csv"
    make_csv(data, customers)
    data.write_text(data.read_text("utf-8").replace(",2\n", ",v1\n"), "utf-8")  # everyone on v1
    command = str(Path(sys.executable).parent / "clausewise")
    run_child([command, "customers", "import", str(data), "--quiet", "--repo", str(root)])
    agreement = repo.agreement("bench").path
    agreement.write_text(agreement.read_text("utf-8").replace("ten units", "twelve units"), "utf-8")
    publish_version(repo, "bench", date(2100, 6, 1), today=date(2099, 1, 1))
    return root


def read_all(path: Path) -> tuple[float, int]:
    """Seconds to read every row of every table of a SQLite file, and how many rows."""
    start = time.perf_counter()
    rows = 0
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            rows += sum(1 for _ in db.execute(f'SELECT * FROM "{table}"'))
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--url", help="an existing server's maintenance database (CREATEDB needed)")
    args = parser.parse_args()
    name = f"clausewise_copy_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="clausewise-bench-copy-") as tmp, server(args.url) as (admin, kind, _):
        root = sqlite_state(Path(tmp) / "legal", args.customers)
        floor, rows = read_all(root / ".clausewise" / "state.sqlite3")
        target = fresh_database(admin, name)
        try:
            command = str(Path(sys.executable).parent / "clausewise")
            seconds, peak = run_child([command, "state", "copy", "--to", target, "--quiet", "--repo", str(root)])
        finally:
            drop_database(admin, name)
    print(f"PostgreSQL: {kind}")
    print(f"state copy, {rows:,} rows ({args.customers:,} customers, {args.customers:,} notices): {seconds:.1f} s, "
          f"{rows / seconds:,.0f} rows/s, peak RSS {peak:.0f} MB; reading them from SQLite {floor:.1f} s "
          f"(copy = {seconds / floor:.1f}x the read: written, read back and digested on both sides)")


if __name__ == "__main__":
    main()
