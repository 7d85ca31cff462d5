"""Control before and after sending: cancel a campaign not started, remove a customer who left, and
an older state database that upgrades in place."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.smtp import send_pending
from clausewise.notifier.store import SCHEMA_VERSION, open_store

from .conftest import customer, make_campaign
from .notices import assignment_campaign, customers, setup, version_campaign
from .smtp_server import ProgrammableHandler, smtp_server

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

ASSIGNMENT = "service-zh/assignment-2030-03-01"


def cli(legal_repo, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(legal_repo.root)])


def test_a_campaign_not_started_can_be_cancelled_and_is_recorded(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), version_campaign(), rows=customers(3, agreement="service-zh") +
          customers(2, agreement="trial-en", prefix="T"))
    result = cli(legal_repo, "notify", "cancel", ASSIGNMENT, "--reason", "the assignment was called off")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"cancelled campaign {ASSIGNMENT}: 3 notices will not be sent")
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url)
    assert report.sent == 2 and {r.rcpt_tos[0][0] for r in handler.received} == {"t"}
    assert Counter(n.status for n in repo_store.notices(ASSIGNMENT)) == {"cancelled": 3}
    repo_store.upsert_customers(customers(4, agreement="service-zh")[3:])  # later customers are not added
    repo_store.sync_notices()
    assert len(list(repo_store.notices(ASSIGNMENT))) == 3
    journal = [(customer_id, event, detail) for _, _, customer_id, event, detail in repo_store.events(ASSIGNMENT)]
    assert (None, "campaign cancelled", "the assignment was called off") in journal
    assert sum(event == "cancelled" for _, event, _ in journal) == 3
    status = cli(legal_repo, "notify", "status")
    row = next(line for line in status.stdout.splitlines() if line.startswith(ASSIGNMENT))
    assert row.endswith("cancelled") and status.exit_code == 0
    again = cli(legal_repo, "notify", "cancel", ASSIGNMENT, "--reason", "twice")
    assert again.exit_code == 1 and "already cancelled" in again.stderr
    report = cli(legal_repo, "notify", "report", "--format", "csv")
    assert report.stdout.count("campaign cancelled: the assignment was called off") == 3


def test_a_notice_in_flight_stops_a_cancellation_and_nothing_of_it_is_kept(store):
    store.upsert_customers([customer(f"C{i}") for i in range(3)])
    campaign = store.create_campaign(make_campaign())
    store.sync_notices()
    [claimed] = store.claim_batch("a-sender", 1)  # a sender has it: the server may be receiving it now
    with pytest.raises(ClausewiseError, match="has started: 1 notices were sent or attempted"):
        store.cancel_campaign(campaign.id, "called off")
    assert store.campaign(campaign.id).cancelled_at is None
    assert Counter(n.status for n in store.notices()) == {"sending": 1, "pending": 2}
    assert store.events(campaign.id) == []


def test_a_campaign_that_started_cannot_be_cancelled(legal_repo, repo_store):
    rows = customers(2, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(reject={rows[0].email})) as (url, _):
        send_pending(legal_repo, repo_store, smtp_url=url)
    result = cli(legal_repo, "notify", "cancel", ASSIGNMENT, "--reason", "too late")
    assert result.exit_code == 1 and "has started: 2 notices were sent or attempted" in result.stderr
    assert repo_store.campaign(ASSIGNMENT).cancelled_at is None
    missing = cli(legal_repo, "notify", "cancel", ASSIGNMENT)
    assert missing.exit_code == 2 and "--reason" in missing.output


def test_removing_a_customer_cancels_their_unsent_notices_and_keeps_the_sent_ones(legal_repo, repo_store):
    rows = customers(3, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(reject={rows[1].email})) as (url, _):
        send_pending(legal_repo, repo_store, smtp_url=url)
    repo_store.create_campaign(version_campaign(agreement="service-zh", to_version=2))  # not sent yet
    repo_store.sync_notices()
    for row in rows[:2]:
        result = cli(legal_repo, "customers", "remove", row.customer_id, "--reason", "contract ended")
        assert result.exit_code == 0, result.output
    assert repo_store.customer(rows[0].customer_id) == [] and repo_store.customer(rows[1].customer_id) == []
    sent = repo_store.notice(ASSIGNMENT, rows[0].customer_id)
    assert sent.status == "sent" and sent.cancel_reason is None  # the proof stays
    failed = repo_store.notice(ASSIGNMENT, rows[1].customer_id)
    assert (failed.status, failed.cancel_reason) == ("cancelled", "customer removed: contract ended")
    assert repo_store.notice("service-zh/v2", rows[0].customer_id).status == "cancelled"
    assert repo_store.notice("service-zh/v2", rows[2].customer_id).status == "pending"
    journal = repo_store.events(customer_id=rows[0].customer_id)
    assert (None, rows[0].customer_id, "customer removed", "contract ended") in [j[1:] for j in journal]
    status = cli(legal_repo, "notify", "status")
    row = next(line for line in status.stdout.splitlines() if line.startswith(ASSIGNMENT))
    assert row.endswith("done") and status.exit_code == 0  # the failed notice of a customer who left is closed
    unknown = cli(legal_repo, "customers", "remove", "NOBODY", "--reason", "x")
    assert unknown.exit_code == 2 and "unknown customer 'NOBODY'" in unknown.stderr


RELEASED_SCHEMA_1 = Path(__file__).parent / "data" / "state-schema-1.sql"


def test_a_version_1_database_upgrades_in_place_and_keeps_its_ledger(tmp_path):
    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as raw:  # a database as the first release made it (its schema, frozen)
        raw.executescript(RELEASED_SCHEMA_1.read_text("utf-8"))
        raw.execute("INSERT INTO schema_version (version) VALUES (1)")
        campaign = make_campaign()
        raw.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (campaign.id, campaign.kind, campaign.agreement, "v1", 2, "2030-01-31", 30, "2030-01-01",
                     "2029-12-01T09:30:00.000000Z", "s", "9.3", "t", None, None))
        raw.execute("INSERT INTO customers VALUES ('C1', 'trial-en', 'Ann', 'c1@example.com', 'en', 1, 'x', 'x')")
        raw.execute("""INSERT INTO notices (campaign_id, customer_id, agreement, name, email, language,
                       accepted_version, status, attempts, created_at, message_id, sha256, reply, sent_at)
                       VALUES (?, 'C1', 'trial-en', 'Ann', 'c1@example.com', 'en', 1, 'sent', 1, 'x', '<m@x>',
                       'ab', '250 ok', '2029-12-02T00:00:00.000000Z')""", (campaign.id,))
    store = open_store(path)
    try:
        [notice] = list(store.notices())
        assert (notice.status, notice.message_id, notice.timing, notice.bounced_at) == ("sent", "<m@x>", None, None)
        assert store.campaign(campaign.id).cancelled_at is None
        store.upsert_customers([customer("C2")])
        store.sync_notices()
        assert store.totals()[campaign.id]["pending"] == 1
        assert store.publications() == {}  # tables added after the release exist
    finally:
        store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    open_store(path).close()  # opening again changes nothing
