"""The demo's notification half: customers, campaigns, a real SMTP server, sending, proof.

These steps run after the demo has published v1 and v2 of every sample (see clausewise/demo.py):
import a few hundred generated customers (English and Chinese) who accepted v1, open the notice
campaigns of v2 and announce an assignment, write the HTML redlines, start aiosmtpd on 127.0.0.1
with a Maildir under the demo folder, send every notice, and print the status and where to look.
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


def customers_csv(samples: list, count: int = CUSTOMERS) -> str:
    """``count`` customers spread over the samples, named in each agreement's language, all on v1."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer_id", "name", "email", "language", "agreement", "version"])
    for i in range(count):
        sample = samples[i % len(samples)]
        if sample.language.startswith("zh"):
            family, given = _FAMILY_ZH[i % len(_FAMILY_ZH)], _GIVEN_ZH[(i // 3) % len(_GIVEN_ZH)]
            name, email = family[0] + given[0], f"{given[1]}.{family[1]}.{i:03d}@example.cn"
        else:
            given, family = _GIVEN_EN[i % len(_GIVEN_EN)], _FAMILY_EN[(i // 3) % len(_FAMILY_EN)]
            name, email = f"{given} {family}", f"{given.lower()}.{family.lower()}.{i:03d}@example.com"
        writer.writerow([f"CUST-{i:04d}", name, email, sample.language, sample.id, "1"])
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


def send_notices(run: "DemoRun") -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    from .notifier.report import campaign_statuses, report_rows, status_text, write_report_file
    from .notifier.smtp import send_pending
    from .notifier.store import store_for_repo

    maildir = output_dir(run) / "mailbox"
    port = _free_loopback_port()
    server = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    server.start()
    try:
        with store_for_repo(run.repo) as store:
            report = send_pending(run.repo, store, smtp_url=f"smtp://127.0.0.1:{port}", concurrency=4)
            run.echo(f"Sent the notices through a local SMTP server (aiosmtpd): {report.summary()}")
            run.echo(status_text(campaign_statuses(store, run.today)))
            proof = output_dir(run) / "proof-of-notice.csv"
            count = write_report_file(report_rows(store), proof, "csv")
    finally:
        server.stop()
    run.echo(f"Mailbox (Maildir, one file per email): {maildir}/new/")
    run.echo(f"HTML redlines: {output_dir(run) / 'redlines'}/")
    run.echo(f"Proof of notice ({count} notices, with Message-ID, server reply and SHA-256): {proof}")


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
