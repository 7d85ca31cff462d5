"""The demo's notification half: every notice lands in the Maildir and in the proof report."""

from __future__ import annotations

import csv
import email
import email.policy
import mailbox
from collections import Counter
from datetime import date

import git

from clausewise.demo import run_demo
from clausewise.demo_notify import BOUNCING_CUSTOMER, CUSTOMERS, TYPO_CUSTOMER, TYPO_DOMAIN, output_dir
from clausewise.notifier.store import store_for_repo


def test_demo_sends_every_notice_to_the_local_maildir_and_writes_the_proof(tmp_path):
    lines: list[str] = []
    run = run_demo(tmp_path / "demo", lines.append, today=date(2031, 3, 1))
    out = output_dir(run)
    with store_for_repo(run.repo) as store:
        notices = list(store.notices())
    assert Counter(n.status for n in notices) == {"sent": len(notices)}
    assert len({n.customer_id for n in notices}) == CUSTOMERS
    assert {n.language for n in notices} == {"en", "zh-CN"}
    assert any(n.campaign_id.startswith("speech-commercial/assignment-") for n in notices)

    messages = list(mailbox.Maildir(out / "mailbox", create=False))
    assert len(messages) == len(notices)
    by_id = {n.message_id: n for n in notices}
    assert {m["Message-ID"] for m in messages} == set(by_id)

    with (out / "proof-of-notice.csv").open(newline="", encoding="utf-8") as handle:
        proof = list(csv.DictReader(handle))
    assert len(proof) == len(notices)
    assert {row["sha256"] for row in proof} == {n.sha256 for n in notices}
    assert sorted(p.name for p in (out / "redlines").iterdir()) == sorted(
        f"{s.id}-v1-v2.html" for s in run.samples)
    assert any(line.startswith("Mailbox (Maildir") for line in lines)
    # One address was refused (a typo), corrected and retried; one notice bounced after its 250.
    typo = next(n for n in notices if n.customer_id == f"CUST-{TYPO_CUSTOMER:04d}")
    assert typo.status == "sent" and typo.attempts == 2 and TYPO_DOMAIN not in typo.email
    assert any(line.startswith(f"  failed: {typo.campaign_id} {typo.customer_id}: 550 5.1.2") for line in lines)
    assert any(line.startswith("Sent again: 1 sent, 0 failed") for line in lines)
    bounced = [n for n in notices if n.bounced_at is not None]
    assert [n.customer_id for n in bounced] == [f"CUST-{BOUNCING_CUSTOMER:04d}"]
    assert any("1 notices newly bounced" in line for line in lines)
    printed = "\n".join(lines).splitlines()
    status = next(line for line in printed if line.startswith("CAMPAIGN"))
    table = printed[printed.index(status) + 1:]
    assert any(line.startswith(bounced[0].campaign_id) and line.endswith("BOUNCED") for line in table)
    assert any(f"{bounced[0].customer_id}  {bounced[0].email}  bounced: failed; 5.2.2" in line for line in table)
    assert not any(line.rstrip().endswith(("FAILED", "on track")) for line in table[:6])
    assert {row["bounce"] for row in proof if row["customer_id"] == bounced[0].customer_id} == {
        "failed; 5.2.2; smtp; 552 5.2.2 Mailbox full"}
    for message in messages:  # the demo's clausewise.toml names the provider and the assignee
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        text = parsed.get_body(("plain",)).get_content()
        notice = by_id[message["Message-ID"]]
        assert ("12 Harbour Square, Dublin 2" if notice.language == "en" else "北风云计算有限公司") in text
        if "/assignment-" in notice.campaign_id:
            assert "Contact: contracts@northwind-services.example" in text
        assert "legal@northwind-cloud.example" in text
    assert git.Repo(run.repo.root).git.status("--porcelain") == ""
