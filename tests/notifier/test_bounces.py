"""Bounces: delivery status notifications (RFC 3464) parsed, matched to notices by VERP token or
Message-ID, recorded once, and shown by status and the proof report."""

from __future__ import annotations

import email
import os
import json
import mailbox
from email.policy import compat32
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.demo_notify import DemoMailServer, delivery_status_notification
from clausewise.notifier.bounces import (
    collect,
    maildir_messages,
    parse_dsn,
    parse_dsn_message,
    parse_imap_url,
    verp_address,
)
from clausewise.notifier.smtp import send_pending
from clausewise.versions import open_repo

from .notices import assignment_campaign, customers, setup
from .smtp_server import free_port

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

CAMPAIGN = "service-zh/assignment-2030-03-01"


def cli(legal_repo, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(legal_repo.root)])


def rfc3464_simple(message_id: str, recipient: str) -> bytes:
    """RFC 3464 appendix example 'simple DSN' (the sendmail one), with our notice as the original."""
    return f"""Date: Thu, 7 Jul 1994 17:16:05 -0400
From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>
Message-Id: <199407072116.RAA14128@CS.UTK.EDU>
Subject: Returned mail: Cannot send message for 5 days
To: <owner-info-mime@cs.utk.edu>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
     boundary="RAA14128.773615765/CS.UTK.EDU"

--RAA14128.773615765/CS.UTK.EDU

The original message was received at Sat, 2 Jul 1994 17:10:28 -0400
from root@localhost

   ----- The following addresses had delivery problems -----
<{recipient}>  (unrecoverable error)

   ----- Transcript of session follows -----
<{recipient}>... Deferred: Connection timed out
        with larry.slip.umd.edu.
Message could not be delivered for 5 days
Message will be deleted from queue

--RAA14128.773615765/CS.UTK.EDU
content-type: message/delivery-status

Reporting-MTA: dns; cs.utk.edu

Original-Recipient: rfc822;{recipient}
Final-Recipient: rfc822;{recipient}
Action: failed
Status: 4.0.0
Diagnostic-Code: smtp; 426 connection timed out
Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400

--RAA14128.773615765/CS.UTK.EDU
content-type: message/rfc822

Message-ID: {message_id}
Subject: the notice
From: legal@example.com

[original message goes here]
--RAA14128.773615765/CS.UTK.EDU--
""".replace("\n", "\r\n").encode("ascii")


def rfc3464_multi(message_id: str, failed: str, delayed: str) -> bytes:
    """RFC 3464 appendix example 'multi-recipient DSN' (one failed, one delayed), with returned headers."""
    return f"""Date: Fri, 8 Jul 1994 09:21:47 -0400
From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>
Subject: Returned mail: User unknown
To: <owner-ups-mib@CS.UTK.EDU>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
              boundary="JAA13167.773673707/CS.UTK.EDU"

--JAA13167.773673707/CS.UTK.EDU
content-type: text/plain; charset=us-ascii

   ----- The following addresses had delivery problems -----
<{failed}>  (unrecoverable error)
<{delayed}>  (transient failure)

--JAA13167.773673707/CS.UTK.EDU
content-type: message/delivery-status

Reporting-MTA: dns; cs.utk.edu
Arrival-Date: Fri, 8 Jul 1994 09:21:45 -0400

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1 (user unknown)
Diagnostic-Code: smtp; 550 User unknown
Remote-MTA: dns; arstest.ups.com

Final-Recipient: rfc822; {delayed}
Action: delayed
Status: 4.0.0
Will-Retry-Until: Mon, 11 Jul 1994 09:21:45 -0400

--JAA13167.773673707/CS.UTK.EDU
content-type: text/rfc822-headers

Return-Path: <owner-ups-mib@CS.UTK.EDU>
Message-ID: {message_id}
Subject: the notice

--JAA13167.773673707/CS.UTK.EDU--
""".replace("\n", "\r\n").encode("ascii")


def sent_notices(legal_repo, repo_store, count=3):
    rows = customers(count, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    from .smtp_server import smtp_server

    with smtp_server() as (url, _):
        assert send_pending(legal_repo, repo_store, smtp_url=url).sent == count
    return {n.customer_id: n for n in repo_store.notices()}


def test_the_rfc_examples_parse_into_recipient_reports():
    [simple] = parse_dsn(rfc3464_simple("<abc.x@example.com>", "louisl@larry.slip.umd.edu"))
    assert (simple.recipient, simple.action, simple.status) == ("louisl@larry.slip.umd.edu", "failed", "4.0.0")
    assert simple.diagnostic == "smtp; 426 connection timed out"
    assert (simple.message_id, simple.dsn_id) == ("<abc.x@example.com>", "<199407072116.RAA14128@CS.UTK.EDU>")
    assert simple.arrived_at == datetime(1994, 7, 7, 21, 16, 5, tzinfo=timezone.utc)
    failed, delayed = parse_dsn(rfc3464_multi("<def.y@example.com>", "a@ups.example", "b@ups.example"))
    assert (failed.action, failed.status, delayed.action) == ("failed", "5.1.1 (user unknown)", "delayed")
    assert failed.message_id == delayed.message_id == "<def.y@example.com>"
    assert failed.dsn_id.startswith("sha256:")  # the example has no Message-ID of its own
    assert failed.arrived_at == datetime(1994, 7, 8, 13, 21, 45, tzinfo=timezone.utc)
    assert parse_dsn(b"From: a@b.example\r\nSubject: hello\r\n\r\nnot a report\r\n") == []


def test_the_fast_report_parser_agrees_with_the_full_parse():
    samples = [rfc3464_simple("<abc.x@example.com>", "louisl@larry.slip.umd.edu"),
               rfc3464_multi("<def.y@example.com>", "a@ups.example", "b@ups.example"),
               delivery_status_notification(b"Message-ID: <0123456789abcdef01234567.c@example.com>\r\n\r\nbody",
                                            "a@example.com", "legal+0123456789abcdef01234567@example.com")]
    for data in samples:
        full = parse_dsn_message(email.message_from_bytes(data, policy=compat32), data)
        assert parse_dsn(data) == full and full
    # A report wrapped in another multipart (as some forwarders do) still parses, by the full parser.
    wrapped = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'
               + samples[1].replace(b"MIME-Version: 1.0\r\n", b"") + b"\r\n--outer--\r\n")
    assert [b.recipient for b in parse_dsn(wrapped)] == ["a@ups.example", "b@ups.example"]


def test_dsns_are_matched_by_message_id_recorded_once_and_shown(legal_repo, repo_store, tmp_path):
    notices = sent_notices(legal_repo, repo_store)
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    first, second = notices["C00000"], notices["C00001"]
    box.add(rfc3464_multi(first.message_id, first.email, "other@ups.example"))
    box.add(rfc3464_multi(second.message_id, "x@ups.example", second.email))  # C00001 only delayed
    box.add(b"From: someone@example.com\r\nSubject: out of office\r\n\r\nback monday\r\n")
    box.add(rfc3464_simple("<unknown.x@example.com>", "stranger@example.org"))
    result = cli(legal_repo, "notify", "bounces", "--maildir", str(tmp_path / "bounces"))
    assert result.exit_code == 0, result.output
    # A report on another recipient of the same DSN is not the notice's (a notice has one recipient).
    assert result.stdout.startswith("read 4 messages: 5 recipient reports in 3 DSNs; 1 notices newly bounced, "
                                    "1 other reports (delayed, relayed), 0 collected before, 3 matching no notice")
    again = cli(legal_repo, "notify", "bounces", "--maildir", str(tmp_path / "bounces"))
    assert "0 notices newly bounced" in again.stdout and "2 collected before" in again.stdout

    bounced = repo_store.notice(CAMPAIGN, "C00000")
    assert bounced.status == "sent" and bounced.bounce == "failed; 5.1.1 (user unknown); smtp; 550 User unknown"
    assert repo_store.notice(CAMPAIGN, "C00001").bounced_at is None  # delayed is not a bounce
    assert [e for _, _, _, e, _ in repo_store.events(CAMPAIGN, "C00001")] == ["sent", "bounce (delayed)"]

    status = cli(legal_repo, "notify", "status")
    assert status.exit_code == 1
    row = next(line for line in status.stdout.splitlines() if line.startswith(CAMPAIGN))
    assert row.split()[-3:] == ["0", "1", "BOUNCED"]
    assert f"C00000  {first.email}  bounced: failed; 5.1.1" in status.stdout
    data = json.loads(cli(legal_repo, "notify", "status", "--format", "json").stdout)
    assert data["unreached"][0]["customer_id"] == "C00000" and data["attention"] == [CAMPAIGN]
    report = json.loads(cli(legal_repo, "notify", "report", "--format", "json").stdout)["notices"]
    proof = {n["customer_id"]: n for n in report}
    assert proof["C00000"]["bounce"].startswith("failed; 5.1.1") and proof["C00000"]["bounced_at"]
    assert proof["C00001"]["bounce"] is None and proof["C00000"]["sha256"] == first.sha256


def test_a_bounce_made_by_the_mail_server_matches_by_verp_return_path(legal_repo, repo_store, tmp_path):
    from aiosmtpd.controller import Controller

    config = legal_repo.root / "clausewise.toml"
    config.write_text(config.read_text("utf-8").replace("bounce_verp = false", "bounce_verp = true"), "utf-8")
    legal_repo = open_repo(legal_repo.root)  # with the new setting
    rows = customers(3, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    port = free_port()
    server = Controller(DemoMailServer(tmp_path / "mx", tmp_path / "returned", {rows[2].email}),
                        hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    server.start()
    try:
        assert send_pending(legal_repo, repo_store, smtp_url=f"smtp://127.0.0.1:{port}").sent == 3
    finally:
        server.stop()
    notice = repo_store.notice(CAMPAIGN, rows[2].customer_id)
    [dsn] = list(maildir_messages(tmp_path / "returned"))
    assert f"To: {verp_address('legal@example.com', notice.message_id)}".encode() in dsn
    # Without the returned headers only the VERP token can match it.
    headers_cut = dsn.split(b"Content-Type: text/rfc822-headers")[0]
    [report] = parse_dsn(headers_cut)
    assert report.message_id is None and report.verp_token == notice.message_id[1:25]
    found = collect(repo_store, [headers_cut])
    assert (found.bounced, found.unmatched) == (1, [])
    assert repo_store.notice(CAMPAIGN, rows[2].customer_id).bounce == "failed; 5.2.2; smtp; 552 5.2.2 Mailbox full"
    assert [n.customer_id for n in repo_store.unreached()] == [rows[2].customer_id]


def test_delivery_status_notification_of_the_demo_server_is_rfc3464():
    original = b"Message-ID: <0123456789abcdef01234567.c@example.com>\r\nSubject: x\r\n\r\nbody\r\n"
    [report] = parse_dsn(delivery_status_notification(original, "a@example.com", "legal@example.com"))
    assert (report.recipient, report.action, report.status) == ("a@example.com", "failed", "5.2.2")
    assert report.message_id == "<0123456789abcdef01234567.c@example.com>"


def test_imap_urls_need_tls_and_no_password():
    source = parse_imap_url("imaps://bounces%40example.com@127.0.0.1:10993/Returned%20mail")
    assert (source.username, source.host, source.port, source.folder) == (
        "bounces@example.com", "127.0.0.1", 10993, "Returned mail")
    assert parse_imap_url("imaps://u@mail.example.com").port == 993
    for bad in ("imap://u@host", "imaps://host", "imaps://u:secret@host"):
        result = CliRunner().invoke(main, ["notify", "bounces", "--imap", bad, "--repo", "."])
        assert result.exit_code == 2 and "secret" not in result.output


def test_bounces_are_collected_over_imap_with_tls(legal_repo, repo_store, monkeypatch):
    from .imap_server import imap_server

    notices = sent_notices(legal_repo, repo_store, count=2)
    first = notices["C00000"]
    with imap_server("bounces", "Imap-s3cret") as (port, maildir, cert):
        box = mailbox.Maildir(maildir, create=False)
        box.add(rfc3464_simple(first.message_id, first.email))
        box.add(b"From: a@example.com\r\nSubject: hello\r\n\r\nnot a bounce\r\n")
        for path in maildir.rglob("*"):
            os.chown(path, *(maildir.stat().st_uid, maildir.stat().st_gid))
        url = f"imaps://bounces@127.0.0.1:{port}/INBOX"
        monkeypatch.setenv("CLAUSEWISE_IMAP_PASSWORD", "Imap-s3cret")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert.parent / "no-such-ca.pem"))
        untrusted = cli(legal_repo, "notify", "bounces", "--imap", url)
        assert untrusted.exit_code == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        result = cli(legal_repo, "notify", "bounces", "--imap", url)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("read 2 messages: 1 recipient reports in 1 DSNs; 1 notices newly bounced")
        monkeypatch.setenv("CLAUSEWISE_IMAP_PASSWORD", "wrong")
        refused = cli(legal_repo, "notify", "bounces", "--imap", url)
        assert refused.exit_code == 1 and "login as 'bounces' refused" in refused.stderr
        for output in (untrusted.output, result.output, refused.output):
            assert "Imap-s3cret" not in output
    assert repo_store.notice(CAMPAIGN, "C00000").bounce == "failed; 4.0.0; smtp; 426 connection timed out"
