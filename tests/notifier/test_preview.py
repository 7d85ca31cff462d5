"""notify preview: the exact email, before sending, without writing anything."""

from __future__ import annotations

import hashlib

from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.compose import message_part, preview_message
from clausewise.notifier.smtp import send_pending
from clausewise.notifier.store import CustomerRow

from .notices import assignment_campaign, customers, version_campaign
from .smtp_server import smtp_server


def preview(repo, *args: str):
    return CliRunner().invoke(main, ["notify", "preview", "--repo", str(repo.root), *args])


def test_preview_shows_headers_text_and_html_and_writes_nothing(legal_repo, repo_store):
    repo_store.upsert_customers(customers(2, agreement="trial-en"))
    repo_store.create_campaign(version_campaign())
    result = preview(legal_repo, "trial-en/v2")
    assert result.exit_code == 0, result.output
    for needle in ("Subject: Notice of changes to Speech Trial Agreement", "To: Customer 0 <c00000@example.com>",
                   "clause by clause: https://example.com/legal/trial-en/v1-v2.html", "----- text part -----",
                   "Dear Customer 0,",
                   "----- HTML part -----", '<html lang="en">'):
        assert needle in result.output, needle
    assert list(repo_store.notices()) == []  # preview never adds to the ledger


def test_preview_of_one_customer_and_one_part(legal_repo, repo_store):
    repo_store.upsert_customers([CustomerRow("Z7", "<i>赵</i>", "zhao@example.cn", "zh-CN", "service-zh", 1)])
    repo_store.create_campaign(assignment_campaign())
    html = preview(legal_repo, "service-zh/assignment-2030-03-01", "--customer", "Z7", "--part", "html")
    assert html.exit_code == 0, html.output
    assert "尊敬的&lt;i&gt;赵&lt;/i&gt;：" in html.output and "<i>" not in html.output
    text = preview(legal_repo, "service-zh/assignment-2030-03-01", "--customer", "Z7", "--part", "text")
    assert text.output.startswith("尊敬的<i>赵</i>：")


def test_preview_raw_of_a_sent_notice_is_the_message_as_sent(legal_repo, repo_store, tmp_path):
    repo_store.upsert_customers(customers(1, agreement="service-zh", language="zh-CN"))
    repo_store.create_campaign(assignment_campaign())
    with smtp_server() as (url, handler):
        send_pending(legal_repo, repo_store, smtp_url=url)
    notice, message = preview_message(legal_repo, repo_store, "service-zh/assignment-2030-03-01", "C00000")
    assert hashlib.sha256(message.as_bytes()).hexdigest() == notice.sha256 == \
        hashlib.sha256(handler.received[0].data).hexdigest()
    out = tmp_path / "raw.eml"
    result = preview(legal_repo, "service-zh/assignment-2030-03-01", "--part", "raw", "-o", str(out))
    assert result.exit_code == 0
    assert out.read_bytes() == handler.received[0].data == message_part(message, "raw").encode()


def test_preview_problems_are_one_clear_line(legal_repo, repo_store):
    repo_store.upsert_customers(customers(1, agreement="trial-en", version=2))
    repo_store.create_campaign(version_campaign())
    unknown = preview(legal_repo, "nope/v9")
    assert unknown.exit_code == 2 and "unknown campaign 'nope/v9'; known campaigns: trial-en/v2" in unknown.output
    current = preview(legal_repo, "trial-en/v2", "--customer", "C00000")
    assert current.exit_code == 1 and "already accepted v2" in current.output
    stranger = preview(legal_repo, "trial-en/v2", "--customer", "X1")
    assert stranger.exit_code == 1 and "'X1' is not a customer of trial-en" in stranger.output
    nobody = preview(legal_repo, "trial-en/v2")
    assert nobody.exit_code == 1 and "no affected customers" in nobody.output
