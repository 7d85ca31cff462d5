"""notify send against a real aiosmtpd on 127.0.0.1: the ledger, re-runs, rate, dry run, the CLI."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.compose import Composer
from clausewise.notifier.message import message_bytes
from clausewise.notifier.smtp import parse_smtp_url, send_pending

from .notices import assignment_campaign, customers, setup, version_campaign
from .smtp_server import smtp_server

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run


def test_send_delivers_every_notice_once_and_records_the_proof(legal_repo, repo_store):
    rows = customers(12, agreement="trial-en") + customers(8, agreement="service-zh", language="zh-CN", prefix="Z")
    setup(repo_store, version_campaign(), assignment_campaign(), rows=rows)
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, concurrency=3)
    assert (report.total, report.sent, report.failed, report.left_pending) == (20, 20, 0, 0)
    assert sorted(handler.received_by().values()) == [1] * 20
    notices = {n.customer_id: n for n in repo_store.notices()}
    received = {item.rcpt_tos[0]: item for item in handler.received}
    for notice in notices.values():
        item = received[notice.email]
        assert notice.status == "sent" and notice.attempts == 1
        assert notice.reply.startswith("250 ") and "queued as" in notice.reply
        assert notice.sha256 == hashlib.sha256(item.data).hexdigest()
        assert notice.message_id == item.message_id
        assert item.message["Date"] == notice.date_header


def test_message_rebuilt_from_the_ledger_matches_its_sha256(legal_repo, repo_store):
    setup(repo_store, version_campaign(), assignment_campaign(),
          rows=customers(3, agreement="trial-en") + customers(2, agreement="service-zh", language="zh-CN", prefix="Z"))
    with smtp_server() as (url, _):
        send_pending(legal_repo, repo_store, smtp_url=url)
    composer = Composer(legal_repo)
    for notice in repo_store.notices():
        campaign = repo_store.campaign(notice.campaign_id)
        rebuilt = message_bytes(composer.build(campaign, notice, notice.date_header))
        assert hashlib.sha256(rebuilt).hexdigest() == notice.sha256


def test_rerun_sends_nothing_new_and_late_customers_are_picked_up(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(5, agreement="service-zh", language="zh-CN"))
    with smtp_server() as (url, handler):
        first = send_pending(legal_repo, repo_store, smtp_url=url)
        again = send_pending(legal_repo, repo_store, smtp_url=url)
        assert (first.sent, again.total, again.sent) == (5, 0, 0)
        repo_store.upsert_customers(customers(7, agreement="service-zh", language="zh-CN")[5:])
        late = send_pending(legal_repo, repo_store, smtp_url=url)
    assert late.sent == 2
    assert sorted(handler.received_by().values()) == [1] * 7


def test_campaign_option_sends_only_that_campaign(legal_repo, repo_store):
    setup(repo_store, version_campaign(), assignment_campaign(),
          rows=customers(4, agreement="trial-en") + customers(3, agreement="service-zh", prefix="Z"))
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, campaign_id="service-zh/assignment-2030-03-01")
    assert report.sent == 3
    assert {r for item in handler.received for r in item.rcpt_tos} == {f"z{i:05d}@example.com" for i in range(3)}
    statuses = Counter((n.campaign_id, n.status) for n in repo_store.notices())
    assert statuses[("trial-en/v2", "pending")] == 4


def test_dry_run_renders_everything_and_records_nothing(legal_repo, repo_store):
    repo_store.upsert_customers(customers(6, agreement="trial-en"))
    repo_store.create_campaign(version_campaign())  # not synced yet: the dry run must not sync for real
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, dry_run=True)
    assert (report.dry_run, report.total, report.rendered, report.sent) == (True, 6, 6, 0)
    assert handler.received == []
    assert list(repo_store.notices()) == []


def test_rate_spaces_the_sends(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(5, agreement="service-zh"))
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, concurrency=4, rate=20)
    assert report.sent == 5
    assert report.elapsed >= 4 / 20  # five sends at 20/s are spaced over at least 0.2 s


def test_smtp_url_rules():
    plain = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.start_tls, plain.use_tls) == ("127.0.0.1", 2525, False, False)
    relay = parse_smtp_url("smtp://mailer@relay.example.com", username="ignored")
    assert (relay.port, relay.start_tls, relay.username) == (587, True, "mailer")
    tls = parse_smtp_url("smtps://relay.example.com")
    assert (tls.port, tls.use_tls, tls.start_tls) == (465, True, False)
    assert parse_smtp_url("smtp://relay.example.com:25", allow_plaintext=True).start_tls is None
    assert relay.display() == "smtp://mailer@relay.example.com:587"


def test_cli_send_prints_a_summary_and_preview_needs_no_server(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(3, agreement="service-zh", language="zh-CN"))
    runner = CliRunner()
    with smtp_server() as (url, handler):
        result = runner.invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", url,
                                      "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output and "0 failed" in result.output
    assert len(handler.received) == 3


def test_cli_rejects_a_password_in_the_url(legal_repo):
    result = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root),
                                       "--smtp", "smtp://bob:hunter2@relay.example.com"])
    assert result.exit_code == 2
    assert "hunter2" not in result.output and "CLAUSEWISE_SMTP_PASSWORD" in result.output
