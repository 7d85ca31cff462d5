"""Sending when things go wrong: 451, 550, a dropped connection, a killed sender, hostile input,
and a password that must never show."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.smtp import send_pending
from clausewise.notifier.store import CustomerRow

from .notices import assignment_campaign, customers, setup
from .smtp_server import ProgrammableHandler, smtp_server

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

FAST = {"backoff": 0.02}
CAMPAIGN = "service-zh/assignment-2030-03-01"


def by_customer(store):
    return {n.customer_id: n for n in store.notices()}


def test_451_is_retried_with_backoff_and_then_sent(legal_repo, repo_store):
    rows = customers(6, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    flaky = {rows[1].email, rows[4].email}
    with smtp_server(ProgrammableHandler(tempfail_once=flaky)) as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, **FAST)
    assert (report.sent, report.failed, report.retries, report.left_pending) == (6, 0, 2, 0)
    assert sorted(handler.received_by().values()) == [1] * 6
    assert sorted(address for address, code in handler.rcpt_replies if code == 451) == sorted(flaky)
    notices = by_customer(repo_store)
    for row in rows:
        assert notices[row.customer_id].status == "sent"
        assert notices[row.customer_id].attempts == (2 if row.email in flaky else 1)


def test_550_marks_the_notice_failed_with_the_reply(legal_repo, repo_store):
    rows = customers(4, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(reject={rows[2].email})) as (url, handler):
        result = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", url])
    assert result.exit_code == 1
    assert f"failed: {CAMPAIGN} {rows[2].customer_id}: 550 5.1.1" in result.output
    failed = by_customer(repo_store)[rows[2].customer_id]
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.reply.startswith("550 5.1.1") and "mailbox unavailable" in failed.reply
    assert rows[2].email not in handler.received_by()
    assert sum(n.status == "sent" for n in repo_store.notices()) == 3
    # A failed notice is final: a re-run does not try it again.
    with smtp_server() as (url, handler):
        again = send_pending(legal_repo, repo_store, smtp_url=url)
    assert (again.total, again.sent, handler.received) == (0, 0, [])


def test_connection_dropped_mid_message_is_retried_on_a_new_connection(legal_repo, repo_store):
    rows = customers(5, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(drop_once={rows[0].email})) as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, concurrency=1, **FAST)
    assert handler.dropped == [rows[0].email]
    assert (report.sent, report.retries, report.possibly_duplicated) == (5, 1, 1)
    assert sorted(handler.received_by().values()) == [1] * 5
    notice = by_customer(repo_store)[rows[0].customer_id]
    assert (notice.status, notice.attempts) == ("sent", 2)
    assert notice.reply.startswith("250 ") and "an earlier copy may have arrived too" in notice.reply


def test_retries_are_bounded_and_the_notice_stays_pending_for_the_next_run(legal_repo, repo_store):
    rows = customers(3, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(tempfail_always={rows[0].email})) as (url, _):
        report = send_pending(legal_repo, repo_store, smtp_url=url, max_attempts=3, **FAST)
    assert (report.sent, report.retries, report.left_pending) == (2, 3, 1)
    stuck = by_customer(repo_store)[rows[0].customer_id]
    assert (stuck.status, stuck.attempts) == ("pending", 3)
    assert stuck.last_error.startswith("451 4.3.0")
    with smtp_server() as (url, handler):
        later = send_pending(legal_repo, repo_store, smtp_url=url)
    assert later.sent == 1 and handler.received[0].rcpt_tos == (rows[0].email,)
    assert by_customer(repo_store)[rows[0].customer_id].attempts == 4


def test_server_down_releases_every_claim(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(3, agreement="service-zh"))
    with smtp_server() as (url, _):
        pass  # the port is free again: nothing listens there
    with pytest.raises(ClausewiseError, match="cannot connect"):
        send_pending(legal_repo, repo_store, smtp_url=url, backoff=0.01)
    assert Counter(n.status for n in repo_store.notices()) == {"pending": 3}
    assert all(n.attempts == 0 for n in repo_store.notices())


CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))  # the venv's console script


def test_sender_killed_mid_run_then_run_again(legal_repo, repo_store):
    rows = customers(60, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    concurrency = 3
    with smtp_server(ProgrammableHandler(delay=0.03)) as (url, handler):
        sender = subprocess.Popen(
            [CLAUSEWISE, "notify", "send", "--repo", str(legal_repo.root), "--smtp", url,
             "--concurrency", str(concurrency)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(handler.received) < 15 and sender.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        sender.send_signal(signal.SIGKILL)
        sender.communicate(timeout=30)
        assert sender.returncode == -signal.SIGKILL
        before = Counter(n.status for n in repo_store.notices())
        assert 0 < before["sent"] < 60, before  # killed mid-run, with claims left behind
        in_data = {n.customer_id for n in repo_store.notices() if n.status == "sending" and n.data_started_at}
        assert before["sending"] > len(in_data) and len(in_data) <= concurrency  # claimed in batches
        first_run = list(handler.received)

        report = send_pending(legal_repo, repo_store, smtp_url=url, concurrency=concurrency)
        assert report.sent == 60 - before["sent"]
        # Only the notices whose DATA had started may have arrived: only those say so.
        assert report.possibly_duplicated == len(in_data)
        flagged = {n.customer_id for n in repo_store.notices() if "earlier copy may have arrived" in n.reply}
        assert flagged == in_data
        again = send_pending(legal_repo, repo_store, smtp_url=url)
        assert (again.total, again.sent) == (0, 0)

    counts = handler.received_by()
    assert set(counts) == {row.email for row in rows}  # every customer got the notice
    twice = [address for address, n in counts.items() if n > 1]
    assert max(counts.values()) <= 2 and len(twice) <= concurrency  # only the in-flight window
    ledger = {n.email: n for n in repo_store.notices()}
    assert all(n.status == "sent" for n in ledger.values())
    for address in twice:
        ids = {item.message_id for item in handler.received if item.rcpt_tos == (address,)}
        assert ids == {ledger[address].message_id}  # a duplicate carries the same Message-ID
        assert "an earlier copy may have arrived too" in ledger[address].reply  # and the proof says so
        assert any(item.rcpt_tos == (address,) for item in first_run)


def test_header_injection_attempts_are_refused_and_nothing_leaks(legal_repo, repo_store):
    hostile = [
        CustomerRow("H1", "Eve\r\nBcc: spy@evil.example", "h1@example.com", "en", "service-zh", 1),
        CustomerRow("H2", "Mallory", "h2@example.com\r\nRCPT TO:<spy@evil.example>", "en", "service-zh", 1),
        CustomerRow("H3", "Trent", "h3@example.com>, <spy@evil.example", "en", "service-zh", 1),
        CustomerRow("H4", 'Bcc: spy@evil.example, "Oscar" <spy@evil.example>', "h4@example.com", "en",
                    "service-zh", 1),
        CustomerRow("H5", "王小明", "h5@example.com", "zh-CN", "service-zh", 1),
    ]
    setup(repo_store, assignment_campaign(), rows=hostile)
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url)
    assert (report.sent, report.failed) == (2, 3)
    notices = by_customer(repo_store)
    assert "line break" in notices["H1"].reply and notices["H1"].reply.startswith("not sent: customer 'H1' name")
    assert notices["H2"].status == notices["H3"].status == "failed"
    all_recipients = [r for item in handler.received for r in item.rcpt_tos]
    assert sorted(all_recipients) == ["h4@example.com", "h5@example.com"]
    for item in handler.received:
        assert item.message.get_all("Bcc") is None and len(item.message["To"].addresses) == 1
    assert b"evil.example" not in next(i.data for i in handler.received if i.rcpt_tos == ("h5@example.com",))
    oscar = next(item.message for item in handler.received if item.rcpt_tos == ("h4@example.com",))
    assert oscar["To"].addresses[0].display_name == 'Bcc: spy@evil.example, "Oscar" <spy@evil.example>'
    assert oscar["To"].addresses[0].addr_spec == "h4@example.com"
    wang = next(item for item in handler.received if item.rcpt_tos == ("h5@example.com",))
    raw_to = next(line for line in wang.data.split(b"\r\n") if line.startswith(b"To:"))
    assert raw_to.isascii() and b"=?utf-8?" in raw_to
    assert wang.message["To"].addresses[0].display_name == "王小明"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback test server only
def test_password_never_appears_in_output_or_logs(legal_repo, repo_store, monkeypatch, caplog):
    secret = "Tr0ub4dor-&-3-s3cret"
    setup(repo_store, assignment_campaign(), rows=customers(2, agreement="service-zh"))
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    monkeypatch.setenv("CLAUSEWISE_SMTP_PASSWORD", secret)
    with smtp_server(login=("legal", secret)) as (url, handler):
        user_url = url.replace("smtp://", "smtp://legal@")
        ok = runner.invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", user_url])
        assert ok.exit_code == 0, ok.output
        assert len(handler.received) == 2 and "smtp://legal@127.0.0.1" in ok.output
        monkeypatch.setenv("CLAUSEWISE_SMTP_PASSWORD", secret + "-wrong")
        repo_store.upsert_customers(customers(3, agreement="service-zh")[2:])
        refused = runner.invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", user_url])
        assert refused.exit_code == 1 and "login as 'legal' refused (535" in refused.output
        monkeypatch.delenv("CLAUSEWISE_SMTP_PASSWORD")
        missing = runner.invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", user_url])
        assert missing.exit_code == 1 and "needs a password" in missing.output
    for text in (ok.output, refused.output, missing.output, caplog.text):
        assert secret not in text
    assert by_customer(repo_store)["C00002"].status == "pending"  # the refused run released its claim
    assert os.environ.get("CLAUSEWISE_SMTP_PASSWORD") is None


def test_ctrl_c_finishes_the_messages_in_flight_and_records_them(legal_repo, repo_store):
    rows = customers(60, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    with smtp_server(ProgrammableHandler(delay=0.03)) as (url, handler):
        sender = subprocess.Popen(
            [CLAUSEWISE, "notify", "send", "--repo", str(legal_repo.root), "--smtp", url, "--concurrency", "3"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(handler.received) < 10 and sender.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        sender.send_signal(signal.SIGINT)
        out, err = sender.communicate(timeout=60)
        assert sender.returncode == 130, (out, err)
        assert "Interrupted: what the server accepted was recorded" in err
        statuses = Counter(n.status for n in repo_store.notices())
        assert statuses["sending"] == 0 and 0 < statuses["sent"] < 60
        assert statuses["sent"] == len(handler.received)  # everything the server accepted is recorded
        report = send_pending(legal_repo, repo_store, smtp_url=url)
    assert report.sent == 60 - statuses["sent"]
    assert sorted(handler.received_by().values()) == [1] * 60  # nobody got it twice


def test_implicit_tls_verifies_the_server_certificate_then_logs_in_and_sends(legal_repo, repo_store, tmp_path,
                                                                            monkeypatch):
    from .smtp_server import self_signed_certificate

    cert, key = self_signed_certificate(tmp_path)
    setup(repo_store, assignment_campaign(), rows=customers(2, agreement="service-zh"))
    monkeypatch.setenv("CLAUSEWISE_SMTP_PASSWORD", "s3cret")
    with smtp_server(login=("legal", "s3cret"), tls=(cert, key)) as (url, handler):
        user_url = url.replace("smtps://", "smtps://legal@")
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))  # the certificate is not trusted
        with pytest.raises(ClausewiseError, match="cannot connect .*CERTIFICATE_VERIFY_FAILED"):
            send_pending(legal_repo, repo_store, smtp_url=user_url, backoff=0.01)
        assert handler.received == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now it is
        report = send_pending(legal_repo, repo_store, smtp_url=user_url, backoff=0.01)
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(item.rcpt_tos for item in handler.received) == [(row.email,) for row in
                                                                  customers(2, agreement="service-zh")]
