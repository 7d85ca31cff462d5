"""`customers import` killed at random moments: the import is one transaction, so the state database
holds all of the file's rows or none of them, stays intact, and a re-run completes."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from clausewise.notifier.store import store_for_repo
from clausewise.versions import open_repo

from ..versions.test_faults import cli, make_repo

ROWS = 300_000


def customers_file(folder: Path) -> Path:
    path = folder / "customers.csv"
    lines = ["customer_id,name,email,language,agreement,version"]
    lines += [f"k{n:06d},Customer {n},k{n:06d}@example.com,en,trial,1" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def customer_count(root: Path) -> int:
    with sqlite3.connect(root / ".clausewise" / "state.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]


def test_customers_import_killed_at_random_moments_writes_all_or_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path, customers=3)
    csv = customers_file(tmp_path)
    chance = random.Random(5)
    killed = 0
    for _ in range(4):
        process = subprocess.Popen([sys.executable, "-c", "from clausewise.cli import main; main()",
                                    "customers", "import", str(csv), "--quiet", "--repo", str(root)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.2, 1.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        assert customer_count(root) in (3, 3 + ROWS)  # never a part of the file
        if customer_count(root) == 3 + ROWS:
            break
    assert killed, "no run was killed mid-import; the file is too small for this machine"
    rerun = cli(root, "customers", "import", str(csv))
    assert rerun.returncode == 0, rerun.stderr
    assert customer_count(root) == 3 + ROWS
    with store_for_repo(open_repo(root)) as store:
        assert store.customer("k299999")
