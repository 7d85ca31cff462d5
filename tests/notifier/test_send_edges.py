"""Sending at the edges: late and after-effective notices, a server without SMTPUTF8 or without a
greeting, a full state database, and Ctrl-C against a slow server."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.smtp import send_pending
from clausewise.notifier.store import CustomerRow, store_for_repo

from .notices import assignment_campaign, customers, setup
from .smtp_server import ProgrammableHandler, free_port, smtp_server

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))


def cli(legal_repo, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(legal_repo.root)])


def test_a_notice_sent_after_the_send_by_date_is_recorded_late(legal_repo, repo_store):
    today = date.today()
    late = assignment_campaign(effective=today + timedelta(days=5))  # send-by was 10 days ago
    setup(repo_store, late, rows=customers(2, agreement="service-zh"))
    with smtp_server() as (url, _):
        result = cli(legal_repo, "notify", "send", "--smtp", url)
    assert result.exit_code == 0, result.output
    assert "2 LATE, 0 after the effective date" in result.stdout
    assert {n.timing for n in repo_store.notices()} == {"late"}
    status = cli(legal_repo, "notify", "status")
    row = next(line for line in status.stdout.splitlines() if line.startswith(late.id))
    assert row.split()[-5:] == ["2", "2", "0", "0", "LATE"]  # SENT, LATE, FAILED, BOUNCED, STATE
    report = cli(legal_repo, "notify", "report", "--format", "json")
    import json

    assert {n["timing"] for n in json.loads(report.stdout)["notices"]} == {"late"}


def test_sending_after_the_effective_date_needs_a_recorded_reason(legal_repo, repo_store):
    today = date.today()
    past = assignment_campaign(effective=today)  # takes effect today: no advance notice is possible any more
    future = assignment_campaign(agreement="trial-en", effective=today + timedelta(days=60), to_version=2)
    setup(repo_store, past, future, rows=customers(2, agreement="service-zh") +
          customers(1, agreement="trial-en", prefix="T"))
    with smtp_server() as (url, handler):
        refused = cli(legal_repo, "notify", "send", "--smtp", url)
        assert refused.exit_code == 1
        assert refused.stderr.startswith("Error: not sent, because the campaign already took effect")
        assert f"{past.id} (2)" in refused.stderr and "--after-effective REASON" in refused.stderr
        assert [r.rcpt_tos for r in handler.received] == [("t00000@example.com",)]  # the timely one went out
        assert Counter(n.status for n in repo_store.notices(past.id)) == {"pending": 2}
        sent = cli(legal_repo, "notify", "send", "--smtp", url, "--after-effective", "customers imported late")
        assert sent.exit_code == 0, sent.output
        assert "0 LATE, 2 after the effective date" in sent.stdout
    for notice in repo_store.notices(past.id):
        assert (notice.status, notice.timing, notice.after_effective_reason) == (
            "sent", "after effective", "customers imported late")
    assert repo_store.notice(future.id, "T00000").timing == "on time"
    empty = cli(legal_repo, "notify", "send", "--smtp", url, "--after-effective", " ")
    assert empty.exit_code == 2 and "needs a reason" in empty.stderr


def test_an_internationalised_address_on_a_server_without_smtputf8_fails_with_the_reason(legal_repo, repo_store):
    rows = [CustomerRow("U1", "Ümit", "ümit@example.com", "en", "service-zh", 1),
            CustomerRow("A1", "Ann", "ann@example.com", "en", "service-zh", 1)]
    setup(repo_store, assignment_campaign(), rows=rows)
    handler = ProgrammableHandler()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    server.start()
    try:
        started = time.monotonic()
        report = send_pending(legal_repo, repo_store, smtp_url=f"smtp://127.0.0.1:{port}", backoff=0.01)
        assert time.monotonic() - started < 10
    finally:
        server.stop()
    assert (report.sent, report.failed, report.retries) == (1, 1, 0)
    failed = repo_store.notice("service-zh/assignment-2030-03-01", "U1")
    assert failed.status == "failed" and failed.attempts == 1
    assert "SMTPUTF8" in failed.reply and "does not offer" in failed.reply
    assert [r.rcpt_tos for r in handler.received] == [("ann@example.com",)]


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_greets_gives_a_clear_error_quickly(legal_repo, repo_store, silent_server):
    setup(repo_store, assignment_campaign(), rows=customers(2, agreement="service-zh"))
    config = legal_repo.root / "clausewise.toml"
    config.write_text(config.read_text("utf-8").replace("smtp_timeout = 30", "smtp_timeout = 1"), "utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", silent_server])
    assert time.monotonic() - started < 8  # not 4 connection attempts of a full timeout each
    assert result.exit_code == 1
    assert "sent no SMTP greeting within 1s" in result.stderr and result.stderr.count("\n") == 1
    assert Counter(n.status for n in repo_store.notices()) == {"pending": 2}
    with pytest.raises(ClausewiseError, match="no SMTP greeting within 0.5s"):
        send_pending(legal_repo, repo_store, smtp_url=silent_server, timeout=0.5)


@pytest.mark.sqlite_only
def test_a_full_state_database_stops_sending_and_the_next_run_completes(legal_repo, repo_store):
    rows = customers(120, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    pages = repo_store._db.execute("PRAGMA page_count").fetchone()[0]
    repo_store._db.execute(f"PRAGMA max_page_count = {pages + 3}")  # SQLite's own 'database or disk is full'
    with smtp_server() as (url, handler):
        with pytest.raises(ClausewiseError) as failure:
            send_pending(legal_repo, repo_store, smtp_url=url, concurrency=3)
        message = str(failure.value)
        assert "could not be written (database or disk is full)" in message and "\n" not in message
        accepted = handler.received_by()
        recorded = {n.email for n in repo_store.notices() if n.status == "sent"}
        assert len(accepted) < 120
        unrecorded = set(accepted) - recorded
        assert len(unrecorded) <= 3  # at most one message in flight per connection
        if unrecorded:
            assert f"the server accepted {len(unrecorded)} notices that could not be recorded" in message
        repo_store.close()
        with store_for_repo(legal_repo) as fresh:  # space again
            again = send_pending(legal_repo, fresh, smtp_url=url, concurrency=3)
            ledger = list(fresh.notices())
    assert Counter(n.status for n in ledger) == {"sent": 120}
    assert set(handler.received_by()) == {r.email for r in rows}
    assert max(handler.received_by().values()) <= 2
    twice = {address for address, n in handler.received_by().items() if n == 2}
    assert twice == unrecorded and again.possibly_duplicated == len(unrecorded)


def test_ctrl_c_against_a_slow_server_stops_within_seconds_and_counts_what_is_left(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(20, agreement="service-zh"))
    with smtp_server(ProgrammableHandler(delay=30)) as (url, handler):
        sender = subprocess.Popen([CLAUSEWISE, "notify", "send", "--repo", str(legal_repo.root), "--smtp", url,
                                   "--concurrency", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)  # both connections are now waiting for the reply to DATA
        stopped_at = time.monotonic()
        sender.send_signal(signal.SIGINT)
        out, err = sender.communicate(timeout=30)
        assert time.monotonic() - stopped_at < 12  # 3 s of grace, then out (a loaded machine is slower)
    assert sender.returncode == 130, (out, err)
    statuses = Counter(n.status for n in repo_store.notices())
    assert statuses == {"pending": 20}
    assert f"{statuses['pending']} notices are left pending" in err
    assert "0 sent, 0 failed, 20 left pending" in out
    # The two messages in DATA may have arrived: only they carry the warning for their resend.
    interrupted = [n for n in repo_store.notices() if n.last_error and "interrupted while sending" in n.last_error]
    assert len(interrupted) == 2
