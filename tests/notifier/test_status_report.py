"""notify status (exits non-zero when a campaign is OVERDUE) and the proof-of-notice report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.report import REPORT_FIELDS, campaign_statuses, report_rows, write_report
from clausewise.notifier.store import Store

from .conftest import customer, make_campaign

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

SENT_AT = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def cli(legal_repo, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(legal_repo.root)])


def past_campaign(store: Store) -> None:
    """A version campaign whose send-by date was yesterday, with two customers not yet notified."""
    effective = date.today() + timedelta(days=29)
    store.create_campaign(make_campaign("trial-en/v2", effective=effective, notice_days=30))
    store.upsert_customers([customer("A", 1), customer("B", 1, name="Bøb <b>", language="zh-CN")])


def send_one(store: Store, customer_id: str) -> None:
    store.sync_notices()
    for notice in store.claim_batch("w", 100):
        if notice.customer_id == customer_id:
            store.record_sent(notice.campaign_id, customer_id, message_id=f"<{customer_id}.v2@example.com>",
                              sha256="0f" * 32, reply="250 2.0.0 Ok: queued as 4A1", sent_at=SENT_AT,
                              date_header=notice.date_header)
        else:
            store.record_failed(notice.campaign_id, notice.customer_id, reply="550 5.1.1 no such user")


def test_overdue_campaign_makes_status_exit_non_zero(legal_repo, repo_store: Store) -> None:
    past_campaign(repo_store)
    result = cli(legal_repo, "notify", "status")
    assert result.exit_code == 1
    row = [line for line in result.stdout.splitlines() if line.startswith("trial-en/v2")][0]
    assert row.split()[-7:] == ["2", "0", "0", "0", "0", "0", "OVERDUE"]
    assert result.stderr.startswith("Error: 1 campaign needs attention: trial-en/v2 (OVERDUE: send by "
                                    f"{(date.today() - timedelta(days=1)).isoformat()}, 2 not sent)")
    as_json = cli(legal_repo, "notify", "status", "--format", "json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["overdue"] == ["trial-en/v2"]
    assert data["campaigns"][0]["totals"] == {"pending": 2, "sending": 0, "sent": 0, "failed": 0, "cancelled": 0}


def test_failed_notices_keep_a_campaign_overdue_and_all_sent_is_done(legal_repo, repo_store: Store) -> None:
    past_campaign(repo_store)
    send_one(repo_store, "A")
    [status] = campaign_statuses(repo_store, date.today())
    assert (status.state, status.not_sent) == ("OVERDUE, FAILED", 1)
    repo_store.upsert_customers([customer("B", 2)])  # B accepted v2 since: the failed notice stays on record
    [before_send_by] = campaign_statuses(repo_store, date.today() - timedelta(days=2))
    # Never "on track" (nor "done") while a notice failed.
    assert (before_send_by.state, before_send_by.totals["failed"]) == ("FAILED", 1)


def test_on_track_status_exits_zero_and_counts_later_customers(legal_repo, repo_store: Store) -> None:
    repo_store.create_campaign(make_campaign("trial-en/v2", effective=date.today() + timedelta(days=60)))
    repo_store.upsert_customers([customer("A", 1)])
    result = cli(legal_repo, "notify", "status")
    assert result.exit_code == 0, result.output
    assert "on track" in result.stdout and result.stderr == ""
    repo_store.upsert_customers([customer("B", 1)])  # imported after the campaign
    assert campaign_statuses(repo_store, date.today())[0].totals["pending"] == 2
    empty = cli(legal_repo, "notify", "report", "--campaign", "nope")
    assert empty.exit_code == 2 and empty.stdout == "" and "known campaigns: trial-en/v2" in empty.stderr


def test_status_with_all_notices_sent_is_done(legal_repo, repo_store: Store) -> None:
    repo_store.create_campaign(make_campaign("trial-en/v2", effective=date.today()))
    repo_store.upsert_customers([customer("A", 1)])
    send_one(repo_store, "A")
    result = cli(legal_repo, "notify", "status")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("done")


def test_report_csv_has_one_row_per_notice_with_the_proof(legal_repo, repo_store: Store) -> None:
    past_campaign(repo_store)
    send_one(repo_store, "A")
    result = cli(legal_repo, "notify", "report", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == REPORT_FIELDS
    sent, failed = rows
    assert (sent["campaign"], sent["agreement"], sent["from_version"], sent["to_version"]) == (
        "trial-en/v2", "trial-en", "v1", "v2")
    assert (sent["customer_id"], sent["email"], sent["status"], sent["attempts"]) == ("A", "a@example.com", "sent", "1")
    assert sent["sent_at"] == "2030-01-02T03:04:05.678000Z"
    assert sent["message_id"] == "<A.v2@example.com>" and sent["sha256"] == "0f" * 32
    assert sent["reply"] == "250 2.0.0 Ok: queued as 4A1" and sent["date_header"].endswith("+0000")
    assert (failed["status"], failed["reply"], failed["sent_at"], failed["name"]) == (
        "failed", "550 5.1.1 no such user", "", "Bøb <b>")


def test_report_json_to_a_file_and_per_campaign(legal_repo, repo_store: Store, tmp_path: Path) -> None:
    past_campaign(repo_store)
    repo_store.create_campaign(make_campaign("trial-en/assignment-2031-01-01", kind="assignment",
                                             effective=date(2031, 1, 1), new_party="New Co"))
    send_one(repo_store, "A")
    out = tmp_path / "proof" / "report.json"
    result = cli(legal_repo, "notify", "report", "--format", "json", "-o", str(out))
    assert result.exit_code == 0 and "wrote 4 notices" in result.stderr
    data = json.loads(out.read_text("utf-8"))
    assert data["schema"] == "clausewise.notice-report/2"
    assert [(n["campaign"], n["customer_id"]) for n in data["notices"]] == [
        ("trial-en/assignment-2031-01-01", "A"), ("trial-en/assignment-2031-01-01", "B"),
        ("trial-en/v2", "A"), ("trial-en/v2", "B")]
    assert list(out.parent.iterdir()) == [out]  # no temp file left behind
    one = io.StringIO()
    assert write_report(report_rows(repo_store, "trial-en/v2"), one, "json") == 2
    assert {n["to_version"] for n in json.loads(one.getvalue())["notices"]} == {"v2"}
    none = io.StringIO()
    assert write_report(iter([]), none, "json") == 0 and json.loads(none.getvalue())["notices"] == []
