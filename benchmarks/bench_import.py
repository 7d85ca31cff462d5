"""Customers import: time and peak memory for a generated file, against a bare csv.reader pass.

    .venv/bin/python benchmarks/bench_import.py              # 1,000,000 rows and 100,000 rows
    .venv/bin/python benchmarks/bench_import.py --rows 200000

Each import runs as `clausewise customers import` in a fresh process, into a fresh state database,
so the peak RSS is the whole command's. Streaming means the peak should barely grow with the
file: the script prints the ratio of the two peaks.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from datetime import date
from pathlib import Path
from measure import run_child

NAMES = ["Alice Example", "王小明", "Zhang Wei", "李娜", "Bob O'Neil", "Ünal Çelik", "陈静 (Chen Jing)"]


def make_repo(root: Path) -> Path:
    from clausewise.versions import init_repo

    repo = init_repo(root / "legal")
    text = "# Bench Agreement\n\n1. Fees\n\n1.1 The fee is ten units a month.\n"
    repo.add("bench", text, title="Bench Agreement", language="en", kind="trial", notice_days=30)
    repo.publish("bench", date(2100, 1, 1), today=date(2099, 1, 1))
    repo.agreement("bench").path.write_text(
        repo.agreement("bench").path.read_text("utf-8").replace("ten units", "twelve units"), "utf-8")
    repo.publish("bench", date(2100, 6, 1), today=date(2099, 1, 1))
    return repo.root


def make_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "name", "email", "language", "agreement", "version"])
        for i in range(rows):
            writer.writerow([f"C{i:08d}", NAMES[i % len(NAMES)], f"user{i}@example{i % 97}.com",
                             "zh-CN" if i % 3 == 0 else "en", "bench", "v1" if i % 2 else "2"])


def bench(rows: int, work: Path) -> tuple[float, float, float]:
    repo_root = make_repo(work / f"repo-{rows}")
    data = work / f"customers-{rows}.csv"
    make_csv(data, rows)
    bare_code = "import csv, sys; sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))"
    bare, _, _ = run_child([sys.executable, "-c", bare_code, str(data)])
    command = str(Path(sys.executable).parent / "clausewise")
    seconds, _, peak = run_child([command, "customers", "import", str(data), "--repo", str(repo_root)])
    db = repo_root / ".clausewise" / "state.sqlite3"
    print(f"{rows:>9,} rows: import {seconds:6.1f} s ({rows / seconds:,.0f} rows/s), peak RSS {peak:6.1f} MB, "
          f"bare csv.reader {bare:5.1f} s (import = {seconds / bare:.1f}x), database {db.stat().st_size / 1e6:.0f} MB")
    return seconds, peak, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clausewise-bench-") as tmp:
        small = bench(max(args.rows // 10, 1), Path(tmp))
        large = bench(args.rows, Path(tmp))
    print(f"peak RSS ratio {args.rows:,} / {max(args.rows // 10, 1):,} rows: {large[1] / small[1]:.2f}x "
          f"(streaming: close to 1)")


if __name__ == "__main__":
    main()
