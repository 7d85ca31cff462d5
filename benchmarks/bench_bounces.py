"""Benchmark: `clausewise notify bounces` reading 10,000 DSNs from a Maildir into the ledger.

    .venv/bin/python benchmarks/bench_bounces.py [--count N]

Sets up a state database with N sent notices, writes one RFC 3464 DSN per notice (as the demo's
mail server makes them: delivery status plus the returned headers) into a Maildir, then times the
whole `clausewise notify bounces --maildir DIR` process and, as the floor, reading the same files.
Target: 10,000 DSNs in under 10 s.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from clausewise.demo_notify import delivery_status_notification
from clausewise.notifier.message import message_id_for
from clausewise.notifier.store import Campaign, CustomerRow, store_for_repo
from clausewise.versions import init_repo

BIN = Path(sys.executable).parent
TEXT = "# Bench Agreement\n\n## 1. Changes\n\n1.1 We will notify you thirty days before a change.\n"


def setup(root: Path, count: int) -> Path:
    """A repository whose ledger holds ``count`` sent notices, and a Maildir with one DSN for each."""
    repo = init_repo(root / "repo")
    repo.add("bench", TEXT, title="Bench Agreement", language="en", kind="commercial")
    repo.publish("bench", date(2031, 1, 1), today=date(2030, 1, 1))
    campaign_id = "bench/assignment-2031-06-01"
    with store_for_repo(repo) as store:
        store.upsert_customers(CustomerRow(f"K{i:07d}", f"Customer {i}", f"k{i:07d}@example.com", "en", "bench", 1)
                               for i in range(count))
        store.create_campaign(Campaign(
            id=campaign_id, kind="assignment", agreement="bench", from_versions=None, to_version=1,
            effective=date(2031, 6, 1), notice_days=30, send_by=date(2031, 5, 2),
            created_at=datetime.now(timezone.utc), summary="", clause_label="1.1", clause_text="t",
            new_party="New Co"))
        store.sync_notices()
        with store.transaction():
            while batch := store.claim_batch("bench", 1000):
                for n in batch:
                    store.record_sent(n.campaign_id, n.customer_id, sha256="0" * 64, reply="250 ok",
                                      message_id=message_id_for(campaign_id, n.customer_id, "example.com"),
                                      sent_at=datetime.now(timezone.utc), date_header=n.date_header)
    box = mailbox.Maildir(root / "returned", create=True)
    for i in range(count):
        mid = message_id_for(campaign_id, f"K{i:07d}", "example.com")
        original = f"Message-ID: {mid}\r\nSubject: Notice\r\nFrom: legal@example.com\r\n\r\nbody\r\n".encode()
        box.add(delivery_status_notification(original, f"k{i:07d}@example.com", "legal@example.com"))
    return repo.root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    for name in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        os.environ.setdefault(name, "bench")
    for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        os.environ.setdefault(name, "bench@example.com")
    with tempfile.TemporaryDirectory(prefix="bench-bounces-") as tmp:
        root = setup(Path(tmp), args.count)
        maildir = Path(tmp) / "returned"
        started = time.perf_counter()
        total = sum(len(p.read_bytes()) for sub in ("new", "cur") for p in (maildir / sub).iterdir())
        floor = time.perf_counter() - started
        started = time.perf_counter()
        result = subprocess.run([str(BIN / "clausewise"), "notify", "bounces", "--maildir", str(maildir),
                                 "--repo", str(root)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"notify bounces failed:\n{result.stdout}{result.stderr}")
    print(f"DSNs                        {args.count:>10,} ({total / 1e6:.1f} MB)")
    print(f"reading the files (floor)   {floor:>10.2f} s")
    print(f"clausewise notify bounces   {seconds:>10.2f} s  (whole process: start-up, parse, match, record)")
    print(f"per second                  {args.count / seconds:>10.0f} DSNs/s  (target: {args.count:,} in < 10 s)")
    print(f"clausewise said: {result.stdout.strip()}")


if __name__ == "__main__":
    main()
