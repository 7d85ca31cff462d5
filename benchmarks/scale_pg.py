"""Scale on paper, measured: a large state in PostgreSQL, its sizes per row, and the plans of the
queries a campaign runs (docs/architecture.md, "Scale on paper").

    .venv/bin/python benchmarks/scale_pg.py --customers 2000000 --send 100000
    .venv/bin/python benchmarks/scale_pg.py --customers 200000 --send 20000 --url postgresql://me@127.0.0.1/postgres

Steps, each timed: import CUSTOMERS customers on v1 (`clausewise customers import`, COPY); publish
v2, whose campaign adds one pending notice per customer in the publish's transaction; claim and
record SEND notices as sent through the store, in batches of 100 as `notify send` does (no SMTP:
this is the ledger's own cost per message); then VACUUM ANALYZE and report each table's rows, heap
and index bytes and bytes per row, and the plans PostgreSQL chose (auto_explain, run by the store's
own statements) for the claim, the status totals, a customer's notices and a bounce's lookup.
Without --url a throw-away server is started (tests/pg_server.py, fsync off); with --url the
database is created on that server (CREATEDB and, for the plans, a superuser) and dropped after.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_import import make_csv, run_child  # noqa: E402
from bench_import_pg import drop_database, fresh_database, server  # noqa: E402

TABLES = ("customers", "campaigns", "notices", "events", "bounces", "publications")
AGREEMENT = "# Bench Agreement\n\n1. Fees\n\n1.1 The fee is ten units a month.\n"


def make_repo(root: Path, state_db: str):
    from clausewise.notifier.publishing import publish_version
    from clausewise.versions import init_repo, open_repo

    repo = init_repo(root)
    config = root / "clausewise.toml"
    config.write_text(re.sub(r"(?m)^state_db = .*$", f'state_db = "{state_db}"', config.read_text("utf-8")))
    subprocess.run(["git", "-C", str(root), "-c", "user.name=Bench", "-c", "user.email=bench@example.com",
                    "commit", "-q", "-m", "state_db", "clausewise.toml"], check=True)
    repo = open_repo(root)
    repo.add("bench", AGREEMENT, title="Bench Agreement", language="en", kind="trial", notice_days=30)
    publish_version(repo, "bench", date(2100, 1, 1), today=date(2099, 1, 1))
    return repo


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - start:.1f} s", flush=True)
    return result


def plans_of(store, action) -> list[str]:
    """The plans (EXPLAIN ANALYZE, buffers) of every statement ``action`` runs on ``store``."""
    connection = store.pg_connection
    found: list[str] = []

    def keep(notice) -> None:
        found.append(notice.message_primary or "")

    connection.add_notice_handler(keep)
    connection.execute("LOAD 'auto_explain'")
    for setting, value in (("log_min_duration", "0"), ("log_analyze", "on"), ("log_buffers", "on"),
                           ("log_level", "notice"), ("log_nested_statements", "on")):
        connection.execute(f"SET auto_explain.{setting} = {value}")
    try:
        action()
    finally:
        connection.execute("SET auto_explain.log_min_duration = -1")
        connection.remove_notice_handler(keep)
    return found


def sizes(connection) -> dict[str, tuple[int, int, int]]:
    """table -> (rows, heap bytes with TOAST, index bytes)."""
    result = {}
    for table in TABLES:
        rows = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        heap, indexes = connection.execute(
            "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass)", (table, table)).fetchone()
        result[table] = (rows, heap, indexes)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--send", type=int, default=100_000)
    parser.add_argument("--url", help="an existing server's maintenance database")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL) for more EXPLAINs")
    args = parser.parse_args()
    import psycopg

    from clausewise.notifier.publishing import publish_version
    from clausewise.notifier.store import store_for_repo

    name = f"clausewise_scale_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="clausewise-scale-") as tmp, server(args.url) as (admin, kind, _):
        work = Path(tmp)
        url = fresh_database(admin, name)
        print(f"PostgreSQL ({kind}): {args.customers:,} customers, {args.send:,} notices sent", flush=True)
        try:
            repo = make_repo(work / "legal", url)
            data = work / "customers.csv"
            make_csv(data, args.customers)
            # make_csv puts half the rows on version 2: put every customer on v1 (one notice each).
            text = data.read_text("utf-8").replace(",2\n", ",v1\n")
            data.write_text(text, "utf-8")
            del text
            command = str(Path(sys.executable).parent / "clausewise")
            seconds, peak = run_child([command, "customers", "import", str(data), "--quiet", "--repo", str(repo.root)])
            print(f"  customers import (COPY, whole command): {seconds:.1f} s, peak RSS {peak:.0f} MB", flush=True)
            agreement = repo.agreement("bench").path
            agreement.write_text(agreement.read_text("utf-8").replace("ten units", "twelve units"), "utf-8")
            outcome = timed("publish v2 (campaign + one pending notice per customer, one transaction)",
                            lambda: publish_version(repo, "bench", date(2100, 6, 1), today=date(2099, 1, 1)))
            print(f"  campaign {outcome.campaign.id} reaches {outcome.reach:,} customers", flush=True)
            with store_for_repo(repo) as store:
                sent_at = datetime(2099, 1, 2, tzinfo=timezone.utc)

                claim_ms: list[float] = []

                def send(count: int) -> int:
                    done = 0
                    while done < count:
                        began = time.perf_counter()
                        batch = store.claim_batch("scale:1:1", min(100, count - done))
                        claim_ms.append((time.perf_counter() - began) * 1000)
                        for n in batch:
                            store.record_sent(n.campaign_id, n.customer_id, message_id=f"<{n.customer_id}.s@bench>",
                                              sha256="ab" * 32, reply="250 2.0.0 Ok: queued as 4XyZ1234",
                                              sent_at=sent_at, date_header=n.date_header, timing="on time")
                        done += len(batch)
                    return done

                start = time.perf_counter()
                sent = send(args.send)
                spent = time.perf_counter() - start
                print(f"  claimed and recorded {sent:,} notices sent: {spent:.1f} s, {sent / spent:,.0f} notices/s "
                      f"({spent / sent * 1000:.2f} ms each: the ledger's own ceiling for one sender)", flush=True)
                timed("sync_notices() with nothing to add (run by every notify send and status)", store.sync_notices)
                first, last = claim_ms[:20], claim_ms[-20:]
                print(f"  claim_batch(100): {sum(first) / len(first):.1f} ms at first, {sum(last) / len(last):.1f} ms "
                      f"after {sent:,} sent", flush=True)
                with psycopg.connect(url, autocommit=True, password=os.environ.get("CLAUSEWISE_STATE_PASSWORD")) as db:
                    timed("VACUUM ANALYZE", lambda: db.execute("VACUUM ANALYZE"))
                    measured = sizes(db)
                    database_bytes = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
                    index_sizes = db.execute(
                        "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                        "WHERE indrelid = 'notices'::regclass ORDER BY 1").fetchall()
                    by_status = db.execute("SELECT status, COUNT(*), AVG(pg_column_size(n.*)) FROM notices n "
                                           "GROUP BY status ORDER BY status").fetchall()
                print(f"  {'table':<12} {'rows':>11} {'heap MB':>9} {'index MB':>9} {'bytes/row':>10}")
                for table, (rows, heap, indexes) in measured.items():
                    per_row = f"{(heap + indexes) / rows:,.0f}" if rows >= 1000 else "-"  # a few rows fill a page
                    print(f"  {table:<12} {rows:>11,} {heap / 1e6:>9.1f} {indexes / 1e6:>9.1f} {per_row:>10}")
                print(f"  database: {database_bytes / 1e6:,.0f} MB")
                print("  notices' indexes: " + ", ".join(f"{n} {b / 1e6:.1f} MB" for n, b in index_sizes))
                for status, count, average in by_status:
                    print(f"  a {status} notice's row: {average:.0f} bytes on average ({count:,} rows; heap tuple only)")
                print("\nPlans (auto_explain: EXPLAIN ANALYZE, buffers) at this size:")
                claimed = plans_of(store, lambda: store.claim_batch("scale:2:2", 100))
                store.release("scale:2:2")
                totals = plans_of(store, store.totals)
                one = f"C{args.customers // 2:08d}"
                customer = plans_of(store, lambda: store.customer_notices(one))
                lookup = plans_of(store, lambda: store.notice(outcome.campaign.id, one))
                with psycopg.connect(url, autocommit=True, password=os.environ.get("CLAUSEWISE_STATE_PASSWORD")) as db:
                    timed("CREATE INDEX notices_pending ON notices (campaign_id, customer_id) WHERE status = 'pending'",
                          lambda: db.execute("CREATE INDEX notices_pending ON notices (campaign_id, customer_id) "
                                             "WHERE status = 'pending'"))
                    db.execute("ANALYZE notices")
                    pending_bytes = db.execute("SELECT pg_relation_size('notices_pending')").fetchone()[0]
                print(f"  notices_pending: {pending_bytes / 1e6:.1f} MB")
                with_index = plans_of(store, lambda: store.claim_batch("scale:3:3", 100))
                store.release("scale:3:3")
                for title, found in (("claim_batch(100)", claimed), ("totals() (notify status)", totals),
                                     ("customer_notices", customer), ("notice(campaign, customer)", lookup),
                                     ("claim_batch(100) with notices_pending", with_index)):
                    print(f"\n--- {title} ---")
                    for plan in found:
                        print(plan)
        finally:
            if args.keep:
                print(f"kept: {url}")
            else:
                drop_database(admin, name)


if __name__ == "__main__":
    main()
