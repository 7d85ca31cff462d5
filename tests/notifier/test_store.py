"""The state store on a real SQLite file: customers, campaigns, and the notice ledger."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.notifier.store import (SCHEMA_VERSION, Store, local_worker_alive, open_store, worker_id)

from .conftest import customer, make_campaign

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

SENT_AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def send(store: Store, notice, reply: str = "250 OK queued") -> None:
    store.record_sent(notice.campaign_id, notice.customer_id, message_id=f"<{notice.customer_id}@x>",
                      sha256="ab" * 32, reply=reply, sent_at=SENT_AT, date_header=notice.date_header)


def test_open_creates_file_schema_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    open_store(path).close()  # reopening keeps one schema_version row
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def test_newer_schema_and_garbage_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(ClausewiseError, match="newer than this clausewise"):
        open_store(path)
    newer = tmp_path / "newer.sqlite3"
    open_store(newer).close()
    with sqlite3.connect(newer) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ClausewiseError, match="newer than this clausewise"):
        open_store(newer)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ClausewiseError, match="not a usable state database"):
        open_store(garbage)


def test_upsert_customers_inserts_then_updates(store: Store) -> None:
    assert store.upsert_customers([customer("C1"), customer("C2"), customer("C1", agreement="sla")]) == 3
    store.upsert_customers([customer("C1", version=2, email="new@example.com")])
    rows = store.customer("C1")
    assert [(c.agreement, c.version, c.email) for c in rows] == [("sla", 1, "c1@example.com"),
                                                                  ("trial-en", 2, "new@example.com")]
    assert rows[1].updated_at >= rows[1].created_at
    assert [c.customer_id for c in store.customers(agreement="trial-en")] == ["C1", "C2"]
    assert len(list(store.customers(limit=2))) == 2
    assert store.customer("nobody") == []


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_customers([customer("C1")])
            raise RuntimeError("boom")
    assert store.customer_count() == 0


def test_create_campaign_is_idempotent_and_unknown_ids_are_named(store: Store) -> None:
    first = store.create_campaign(make_campaign())
    again = store.create_campaign(make_campaign(effective=first.effective.replace(year=2031)))
    assert again == first
    assert [c.id for c in store.campaigns()] == ["trial-en/v2"]
    with pytest.raises(UsageProblem, match=r"unknown campaign 'nope'; known campaigns: trial-en/v2"):
        store.campaign("nope")


def test_sync_notices_picks_affected_customers_and_later_imports(store: Store) -> None:
    store.upsert_customers([customer("C1", 1), customer("C2", 2), customer("C3", 1, agreement="sla")])
    store.create_campaign(make_campaign("trial-en/v2", to_version=2))
    store.create_campaign(make_campaign("trial-en/assignment-2030-01-31", kind="assignment", new_party="B Ltd"))
    assert store.sync_notices() == 3  # C1 for the version; C1 and C2 for the assignment
    assert store.sync_notices() == 0
    store.upsert_customers([customer("C4", 1)])  # imported after the campaigns
    assert store.sync_notices("trial-en/v2") == 1
    assert [n.customer_id for n in store.notices("trial-en/v2")] == ["C1", "C4"]
    zeros = {"sending": 0, "sent": 0, "failed": 0, "cancelled": 0}
    assert store.totals() == {"trial-en/assignment-2030-01-31": {"pending": 2, **zeros},
                              "trial-en/v2": {"pending": 2, **zeros}}


def test_sync_refreshes_pending_addresses_and_withdraws_upgraded_customers(store: Store) -> None:
    store.upsert_customers([customer("C1", 1), customer("C2", 1)])
    store.create_campaign(make_campaign())
    store.sync_notices()
    store.upsert_customers([customer("C1", 1, email="moved@example.com"), customer("C2", 2)])
    store.sync_notices()
    assert [(n.customer_id, n.email) for n in store.notices()] == [("C1", "moved@example.com")]


def test_sent_notice_keeps_its_address_and_is_never_claimed_again(store: Store) -> None:
    store.upsert_customers([customer("C1", 1)])
    store.create_campaign(make_campaign())
    store.sync_notices()
    [claimed] = store.claim_batch("w", 10)
    send(store, claimed)
    store.record_retry("trial-en/v2", "C1", error="late timeout")  # cannot undo the proof
    store.upsert_customers([customer("C1", 1, email="moved@example.com")])
    store.sync_notices()
    [notice] = store.notices()
    assert (notice.status, notice.email, notice.attempts, notice.sent_at) == ("sent", "c1@example.com", 1, SENT_AT)
    assert notice.reply == "250 OK queued" and notice.message_id == "<C1@x>"
    assert store.claim_batch("w", 10) == []


def test_claim_retry_fail_and_stable_date_header(store: Store) -> None:
    store.upsert_customers([customer(f"C{i}", 1) for i in range(3)])
    store.create_campaign(make_campaign())
    store.sync_notices()
    claimed = store.claim_batch("w1", 2)
    assert [(n.customer_id, n.status) for n in claimed] == [("C0", "sending"), ("C1", "sending")]
    date_header = claimed[0].date_header
    assert date_header and date_header.endswith("+0000")
    store.record_retry("trial-en/v2", "C0", error="451 try later")
    store.record_failed("trial-en/v2", "C1", reply="550 no such user")
    [again, third] = store.claim_batch("w2", 5)
    assert (again.customer_id, again.attempts, again.last_error) == ("C0", 1, "451 try later")
    assert again.date_header == date_header
    failed = store.notice("trial-en/v2", "C1")
    assert (failed.status, failed.reply, failed.attempts) == ("failed", "550 no such user", 1)
    with pytest.raises(ClausewiseError, match="no notice for customer 'C9'"):
        store.record_retry("trial-en/v2", "C9", error="x")


def test_claim_batch_never_hands_a_notice_to_two_workers(state_db: str) -> None:
    path = state_db
    with open_store(path) as setup:
        setup.upsert_customers([customer(f"C{i:04d}", 1) for i in range(1200)])
        setup.create_campaign(make_campaign())
        setup.sync_notices()
    claims: dict[str, list[str]] = {"a": [], "b": []}

    def work(name: str) -> None:
        with open_store(path) as own:  # a connection of its own, as a second sender would have
            while batch := own.claim_batch(name, 7):
                claims[name].extend(n.customer_id for n in batch)

    threads = [threading.Thread(target=work, args=(name,)) for name in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = claims["a"] + claims["b"]
    assert len(everything) == len(set(everything)) == 1200
    with open_store(path) as check:
        assert check.totals()["trial-en/v2"]["sending"] == 1200


def _dead_worker() -> str:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return f"{socket.gethostname()}:{child.stdout.strip()}:12345"


def test_worker_liveness() -> None:
    me = worker_id()
    assert local_worker_alive(me)
    host, pid, _start = me.split(":")
    assert not local_worker_alive(f"{host}:{pid}:1")  # same pid, other start time: pid reused
    assert not local_worker_alive(_dead_worker())
    assert local_worker_alive(f"another-host-{host}:1:1")  # cannot tell: assume alive


def test_release_returns_a_workers_claims(store: Store) -> None:
    store.upsert_customers([customer(f"C{i}", 1) for i in range(4)])
    store.create_campaign(make_campaign())
    store.sync_notices()
    store.claim_batch("w1", 2)
    store.claim_batch("w2", 2)
    assert store.release("w2") == 2
    assert store.totals()["trial-en/v2"] == {"pending": 2, "sending": 2, "sent": 0, "failed": 0, "cancelled": 0}
