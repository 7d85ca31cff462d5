"""The demo's notification half: customers, campaigns, a real SMTP server, sending, proof.

These steps run after the demo has published v1 and v2 of every sample (see clausewise/demo.py):
import a few hundred generated customers (English and Chinese) who accepted v1, open the notice
campaigns of v2 and announce an assignment, write the HTML redlines, start aiosmtpd on 127.0.0.1
with a Maildir under the demo folder, send every notice, and print the status and where to look.
The demo's mail server behaves like a real one at two addresses: it refuses one with a typo in its
domain (550: the notice fails, the demo corrects the address and the notice is retried), and it
accepts another and later returns a delivery status notification (RFC 3464) for it, which the
demo collects as a bounce. The final status is honest about both.
What these steps write goes to ``.clausewise/demo/``, which git ignores with the rest of the local
state, so the agreements repository stays clean.
"""

from __future__ import annotations

import csv
import io
import socket
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .fileutil import atomic_write_text

if TYPE_CHECKING:
    from .demo import DemoRun

CUSTOMERS = 300
TYPO_CUSTOMER = 4  # index of the customer whose address has a typo in its domain (refused, then corrected)
BOUNCING_CUSTOMER = 6  # index of the customer whose mailbox is full (accepted, then bounced)
TYPO_DOMAIN = "exmaple"
ASSIGNEE = "Northwind Cloud Services (Ireland) Limited"
_GIVEN_EN = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Liam")
_FAMILY_EN = ("Archer", "Brooks", "Castillo", "Dubois", "Evans", "Fischer", "Gupta", "Hale", "Ito", "Jensen")
_FAMILY_ZH = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
              ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"))
_GIVEN_ZH = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"),
             ("洋", "yang"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("丽", "li"))


def output_dir(run: "DemoRun") -> Path:
    """Where the demo's customers file, redlines, mailbox and proof report go (git-ignored)."""
    return run.directory / ".clausewise" / "demo"


def customer_row(samples: list, i: int, *, corrected: bool = False) -> list[str]:
    """Customer ``i``: named in their agreement's language, on v1; customer TYPO_CUSTOMER's address
    has a typo in its domain unless ``corrected``."""
    sample = samples[i % len(samples)]
    if sample.language.startswith("zh"):
        family, given = _FAMILY_ZH[i % len(_FAMILY_ZH)], _GIVEN_ZH[(i // 3) % len(_GIVEN_ZH)]
        name, email = family[0] + given[0], f"{given[1]}.{family[1]}.{i:03d}@example.cn"
    else:
        given, family = _GIVEN_EN[i % len(_GIVEN_EN)], _FAMILY_EN[(i // 3) % len(_FAMILY_EN)]
        name, email = f"{given} {family}", f"{given.lower()}.{family.lower()}.{i:03d}@example.com"
    if i == TYPO_CUSTOMER and not corrected:
        email = email.replace("@example.", f"@{TYPO_DOMAIN}.")
    return [f"CUST-{i:04d}", name, email, sample.language, sample.id, "1"]


def customers_csv(samples: list, count: int = CUSTOMERS, only: list[int] | None = None,
                  corrected: bool = False) -> str:
    """``count`` customers spread over the samples (or just those of ``only``), all on v1."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer_id", "name", "email", "language", "agreement", "version"])
    for i in only if only is not None else range(count):
        writer.writerow(customer_row(samples, i, corrected=corrected))
    return out.getvalue()


def import_customers_step(run: "DemoRun") -> None:
    from .notifier.customers import import_customers, published_versions
    from .notifier.store import store_for_repo

    path = output_dir(run) / "customers.csv"
    atomic_write_text(path, customers_csv(run.samples))
    with store_for_repo(run.repo) as store:
        counts = import_customers(store, path, published_versions(run.repo))
    run.echo(f"Imported {counts.rows} customers (English and Chinese, all on v1) from {path}")


def open_campaigns(run: "DemoRun") -> None:
    from .notifier.campaigns import announce_assignment, create_version_campaign, notified_count
    from .notifier.store import store_for_repo

    with store_for_repo(run.repo) as store:
        for version in run.published[2]:
            campaign = create_version_campaign(run.repo, store, version, today=run.today)
            run.echo(f"Notice campaign {campaign.id}: {notified_count(store, campaign)} customers, send by "
                     f"{campaign.send_by.isoformat()}, citing clause {campaign.clause_label or '(none found)'}")
        english = next(s for s in run.samples if s.language == "en" and s.kind == "commercial")
        effective = run.effective(2) + timedelta(days=run.notice_days)
        campaign = announce_assignment(run.repo, store, english.id, ASSIGNEE, effective, today=run.today)
        run.echo(f"Announced the assignment of {english.id} to {ASSIGNEE} on {effective.isoformat()}: "
                 f"{notified_count(store, campaign)} customers, citing clause {campaign.clause_label}")


def write_redlines(run: "DemoRun") -> None:
    from .differ import diff_texts, render_html
    from .refs import resolve_in

    folder = output_dir(run) / "redlines"
    for sample in run.samples:
        old_text, old = resolve_in(run.repo, f"{sample.id}@v1")
        new_text, new = resolve_in(run.repo, f"{sample.id}@v2")
        path = folder / f"{sample.id}-v1-v2.html"
        atomic_write_text(path, render_html(diff_texts(old_text, new_text, old, new)))
    run.echo(f"Wrote the HTML redlines of v1 -> v2 to {folder}/")


class DemoMailServer:
    """An aiosmtpd handler that stores every accepted message in a Maildir, as a mail server would,
    refuses addresses in the TYPO_DOMAIN domains (550), and for the ``bouncing`` addresses accepts
    the message, then returns a delivery status notification (RFC 3464) to its envelope sender,
    written to the ``returned`` Maildir (the sender's mailbox for bounces)."""

    def __init__(self, maildir: Path, returned: Path, bouncing: set[str]) -> None:
        import mailbox

        self.mailbox = mailbox.Maildir(maildir, create=True)
        self.returned = mailbox.Maildir(returned, create=True)
        self.bouncing = bouncing

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd API)
        domain = address.rpartition("@")[2]
        if domain.split(".")[0] == TYPO_DOMAIN:
            return f"550 5.1.2 <{address}>: Recipient address rejected: Domain {domain} not found"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.mailbox.add(envelope.content)
        for recipient in envelope.rcpt_tos:
            if recipient in self.bouncing:
                self.returned.add(delivery_status_notification(envelope.content, recipient, envelope.mail_from))
        return "250 2.0.0 Ok: queued"


def delivery_status_notification(original: bytes, recipient: str, return_path: str) -> bytes:
    """The DSN (RFC 3464) a receiving mail server sends back for ``recipient``'s full mailbox: a
    human-readable part, the machine-readable delivery status, and the original's headers."""
    from email.utils import format_datetime, make_msgid
    from datetime import datetime, timezone

    headers = original.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    boundary = "dsn-boundary-clausewise-demo"
    now = format_datetime(datetime.now(timezone.utc))
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        f"To: {return_path}",
        f"Date: {now}",
        f"Message-ID: {make_msgid(domain='mx.example.com')}",
        "Subject: Undelivered Mail Returned to Sender",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"Your message could not be delivered to <{recipient}>: the mailbox is full.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.com",
        f"Arrival-Date: {now}",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        "Action: failed",
        "Status: 5.2.2",
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        headers,
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def send_notices(run: "DemoRun") -> None:
    from aiosmtpd.controller import Controller

    from .notifier.bounces import collect, maildir_messages
    from .notifier.customers import import_customers, published_versions
    from .notifier.report import report_rows, status_report, status_text, write_report_file
    from .notifier.smtp import send_pending
    from .notifier.store import store_for_repo

    maildir, returned = output_dir(run) / "mailbox", output_dir(run) / "returned"
    bouncing = {customer_row(run.samples, BOUNCING_CUSTOMER)[2]}
    port = _free_loopback_port()
    server = Controller(DemoMailServer(maildir, returned, bouncing), hostname="127.0.0.1", port=port,
                        enable_SMTPUTF8=True)
    smtp_url = f"smtp://127.0.0.1:{port}"
    server.start()
    try:
        with store_for_repo(run.repo) as store:
            report = send_pending(run.repo, store, smtp_url=smtp_url, concurrency=4, today=run.today)
            run.echo(f"Sent the notices through a local SMTP server (aiosmtpd): {report.summary()}")
            for campaign, customer, reply in report.failures:
                run.echo(f"  failed: {campaign} {customer}: {reply}")
            corrected = output_dir(run) / "customers-corrected.csv"
            atomic_write_text(corrected, customers_csv(run.samples, only=[TYPO_CUSTOMER], corrected=True))
            counts = import_customers(store, corrected, published_versions(run.repo))
            run.echo(f"Corrected the address of CUST-{TYPO_CUSTOMER:04d} ({counts.changed} updated from {corrected}); "
                     "its failed notice is queued again")
            retried = send_pending(run.repo, store, smtp_url=smtp_url, concurrency=4, today=run.today)
            run.echo(f"Sent again: {retried.summary()}")
    finally:
        server.stop()
    with store_for_repo(run.repo) as store:
        found = collect(store, maildir_messages(returned / ""))
        run.echo(f"Collected bounces from {returned}/: {found.summary()}")
        state = status_report(store, run.today)
        run.echo(status_text(state.campaigns, state.unreached))
        proof = output_dir(run) / "proof-of-notice.csv"
        count = write_report_file(report_rows(store), proof, "csv")
    run.echo(f"Mailbox (Maildir, one file per email): {maildir}/new/")
    run.echo(f"HTML redlines: {output_dir(run) / 'redlines'}/")
    run.echo(f"Proof of notice ({count} notices, with Message-ID, server reply, SHA-256, timing and bounces): "
             f"{proof}")


def _free_loopback_port() -> int:
    """A free port on 127.0.0.1 (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


NOTIFY_STEPS: list[Callable[["DemoRun"], None]] = [
    import_customers_step,
    open_campaigns,
    write_redlines,
    send_notices,
]
