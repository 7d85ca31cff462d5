"""Failed notices can be retried, a corrected address re-queues them, status is honest about them,
and a local error (template, rendering) stops the run instead of failing the customers' notices."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from datetime import date

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.smtp import send_pending

from .notices import assignment_campaign, customers, setup
from .smtp_server import ProgrammableHandler, smtp_server

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

CAMPAIGN = "service-zh/assignment-2030-03-01"


def cli(legal_repo, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(legal_repo.root)])


def write_customers(legal_repo, tmp_path, rows) -> str:
    path = tmp_path / "customers.csv"
    lines = ["customer_id,name,email,language,agreement,version"]
    lines += [f"{r.customer_id},{r.name},{r.email},{r.language},{r.agreement},{r.version}" for r in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


def test_a_corrected_address_requeues_the_failed_notice_and_status_is_honest(legal_repo, repo_store, tmp_path):
    rows = customers(3, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    bad = rows[1]
    with smtp_server(ProgrammableHandler(reject={bad.email})) as (url, _):
        first = send_pending(legal_repo, repo_store, smtp_url=url)
    assert (first.sent, first.failed) == (2, 1)

    # Before the send-by date, with everything else sent: never "on track" or "done" while one failed.
    status = cli(legal_repo, "notify", "status")
    assert status.exit_code == 1
    row = next(line for line in status.stdout.splitlines() if line.startswith(CAMPAIGN))
    assert row.split()[-2:] == ["0", "FAILED"] and "on track" not in row and "done" not in row
    assert f"{bad.customer_id}  {bad.email}  failed: 550 5.1.1" in status.stdout
    assert status.stderr.startswith(f"Error: 1 campaign needs attention: {CAMPAIGN} (1 FAILED)")

    # The address is corrected: the import re-queues the unsent notice, the next send delivers it.
    corrected = dataclasses.replace(bad, email="fixed@example.com")
    imported = cli(legal_repo, "customers", "import", write_customers(legal_repo, tmp_path, [corrected]))
    assert imported.exit_code == 0 and "1 updated" in imported.stdout
    requeued = repo_store.notice(CAMPAIGN, bad.customer_id)  # queued again by the import itself
    assert (requeued.status, requeued.email) == ("pending", "fixed@example.com")
    with smtp_server() as (url, handler):
        again = send_pending(legal_repo, repo_store, smtp_url=url)
    assert (again.total, again.sent) == (1, 1)
    assert [r.rcpt_tos for r in handler.received] == [("fixed@example.com",)]
    notice = repo_store.notice(CAMPAIGN, bad.customer_id)
    assert (notice.status, notice.email, notice.attempts) == ("sent", "fixed@example.com", 2)
    events = [event for _, _, _, event, _ in repo_store.events(CAMPAIGN, bad.customer_id)]
    assert events == ["failed", "requeued", "sent"]
    done = cli(legal_repo, "notify", "status", "--format", "json")
    assert done.exit_code == 0 and json.loads(done.stdout)["campaigns"][0]["state"] == "done"


def test_notify_retry_all_one_campaign_or_one_customer(legal_repo, repo_store):
    rows = customers(4, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    refused = {rows[0].email, rows[2].email, rows[3].email}
    with smtp_server(ProgrammableHandler(reject=refused)) as (url, _):
        send_pending(legal_repo, repo_store, smtp_url=url)
    assert Counter(n.status for n in repo_store.notices()) == {"failed": 3, "sent": 1}

    one = cli(legal_repo, "notify", "retry", "--customer", rows[0].customer_id)
    assert one.exit_code == 0 and one.stdout.startswith("1 failed notices queued again")
    with smtp_server() as (url, handler):  # the server was fixed
        assert send_pending(legal_repo, repo_store, smtp_url=url).sent == 1
        campaign = cli(legal_repo, "notify", "retry", "--campaign", CAMPAIGN)
        assert campaign.exit_code == 0 and campaign.stdout.startswith("2 failed notices queued again")
        assert send_pending(legal_repo, repo_store, smtp_url=url).sent == 2
        nothing = cli(legal_repo, "notify", "retry")
        assert nothing.exit_code == 0 and nothing.stdout.startswith("0 failed notices queued again")
    assert sorted(handler.received_by()) == sorted(refused)
    for row in rows:
        notice = repo_store.notice(CAMPAIGN, row.customer_id)
        assert notice.status == "sent"
        if row.email in refused:  # each attempt is recorded, with the retry between them
            assert notice.attempts == 2
            assert [e for _, _, _, e, _ in repo_store.events(CAMPAIGN, row.customer_id)] == [
                "failed", "retry requested", "sent"]
    unknown = cli(legal_repo, "notify", "retry", "--campaign", "nope")
    assert unknown.exit_code == 2 and "unknown campaign 'nope'" in unknown.stderr


def test_a_template_error_stops_the_run_and_leaves_every_notice_pending(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(5, agreement="service-zh"))
    templates = legal_repo.root / "templates"
    templates.mkdir()
    (templates / "notice.en.txt.j2").write_text("Dear {{ customer.name }\n", "utf-8")  # unbalanced braces
    with smtp_server() as (url, handler):
        result = cli(legal_repo, "notify", "send", "--smtp", url)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: cannot render the notice")
    assert "notice.en.txt.j2" in result.stderr and "Traceback" not in result.output
    assert handler.received == []
    assert Counter(n.status for n in repo_store.notices()) == {"pending": 5}
    assert all(n.attempts == 0 for n in repo_store.notices())


def test_a_configuration_error_is_a_local_error_not_the_customers_failure(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(3, agreement="service-zh"))
    config = legal_repo.root / "clausewise.toml"
    config.write_text(config.read_text("utf-8").replace('reading_url = "', 'reading_url = "{oops}'), "utf-8")
    with smtp_server() as (url, handler):
        result = cli(legal_repo, "notify", "send", "--smtp", url)
    assert result.exit_code == 1 and result.stderr.startswith("Error: cannot render the notice")
    assert "reading_url" in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert handler.received == []
    assert Counter(n.status for n in repo_store.notices()) == {"pending": 3}


def test_status_exit_code_is_zero_only_when_nothing_failed(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(effective=date(2099, 1, 1)), rows=customers(2, agreement="service-zh"))
    assert cli(legal_repo, "notify", "status").exit_code == 0


def test_a_retried_notice_is_proven_by_the_message_rebuilt_from_the_ledger(legal_repo, repo_store):
    import hashlib

    rows = customers(2, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(reject={rows[0].email})) as (url, _):
        send_pending(legal_repo, repo_store, smtp_url=url)
    assert cli(legal_repo, "notify", "retry", "--customer", rows[0].customer_id).exit_code == 0
    assert repo_store.notice(CAMPAIGN, rows[0].customer_id).date_header is None  # a new message, a new Date
    with smtp_server() as (url, handler):
        assert send_pending(legal_repo, repo_store, smtp_url=url).sent == 1
    notice = repo_store.notice(CAMPAIGN, rows[0].customer_id)
    raw = CliRunner().invoke(main, ["notify", "preview", CAMPAIGN, "--customer", rows[0].customer_id, "--part", "raw",
                                    "--repo", str(legal_repo.root)])
    assert raw.exit_code == 0
    received = handler.received[0].data
    assert hashlib.sha256(received).hexdigest() == notice.sha256
    report = json.loads(cli(legal_repo, "notify", "report", "--format", "json").stdout)["notices"]
    row = next(n for n in report if n["customer_id"] == rows[0].customer_id)
    assert (row["sha256"], row["attempts"], row["timing"], row["date_header"]) == (
        notice.sha256, 2, "on time", notice.date_header)
    from clausewise.notifier.compose import preview_message
    from clausewise.notifier.message import message_bytes

    _, rebuilt = preview_message(legal_repo, repo_store, CAMPAIGN, rows[0].customer_id)
    assert hashlib.sha256(message_bytes(rebuilt)).hexdigest() == notice.sha256


def test_a_notice_sent_after_an_earlier_failed_attempt_is_dated_when_it_is_sent(legal_repo, repo_store):
    rows = customers(2, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    slow = rows[0]
    with smtp_server(ProgrammableHandler(tempfail_always={slow.email})) as (url, _):
        first = send_pending(legal_repo, repo_store, smtp_url=url)
    assert (first.sent, first.left_pending) == (1, 1)
    # As if that run had been days ago: its claim dated the message then.
    stale = "Mon, 07 Jan 2030 09:00:00 +0000"
    repo_store._db.execute("UPDATE notices SET date_header = ? WHERE customer_id = ?", (stale, slow.customer_id))
    with smtp_server() as (url, handler):
        assert send_pending(legal_repo, repo_store, smtp_url=url).sent == 1
    [received] = handler.received
    notice = repo_store.notice(CAMPAIGN, slow.customer_id)
    assert received.message["Date"] != stale  # the copy sent now says when it was written: now
    assert notice.date_header == received.message["Date"]  # and the proof keeps the Date of that copy
    preview = cli(legal_repo, "notify", "preview", CAMPAIGN, "--customer", slow.customer_id, "--part", "raw")
    assert hashlib.sha256(preview.stdout_bytes).hexdigest() == notice.sha256
