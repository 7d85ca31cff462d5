"""No text from data becomes a header other than the one it was put in, and repository templates
cannot leave Jinja's sandbox: hostile customer names, agreement titles, assignees and templates,
sent through `notify send` to a real aiosmtpd on 127.0.0.1 and parsed as they arrived.

Runs on the lowest supported Python (3.11); before 3.11.10 the email package itself turns an
RFC 2047 encoded word holding CR/LF into a header break (CVE-2024-6923).
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.compose import Composer
from clausewise.notifier.message import Mailbox, check_generated_headers, check_header_text, validate_address

from .notices import assignment_campaign, customers, setup, version_campaign
from .smtp_server import smtp_server

REPLY_TO = "=?utf-8?q?Bob=0D=0AReply-To:_attacker@evil.example?="
BODY_SWAP = "=?utf-8?q?Bob=0D=0A=0D=0AYour_account_is_closed._Pay_at_evil.example?="
BCC = "=?utf-8?q?Terms=0D=0ABcc:_spy@evil.example?="
HOSTILE = [REPLY_TO, BODY_SWAP, BCC, "=?UTF-8?B?Qm9iDQpSZXBseS1UbzogYUBldmlsLmV4YW1wbGU=?="]
DATE = "Tue, 01 Jan 2030 09:00:00 +0000"


def _arrived_cleanly(data: bytes, recipient: str) -> EmailMessage:
    """The message as the server got it, checked: only the headers the notifier writes, one To."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    names = sorted(name.lower() for name in msg.keys())
    assert names == sorted(["subject", "from", "to", "date", "message-id", "auto-submitted", "mime-version",
                            "content-type", "content-language"]), names
    assert [a.addr_spec for a in msg["To"].addresses] == [recipient]
    assert "evil.example" not in msg.get_body(("plain",)).get_content()
    return msg


@pytest.mark.parametrize("name", HOSTILE)
def test_encoded_words_are_refused_in_every_header_value(name):
    with pytest.raises(ClausewiseError, match=r"^customer name: .*'=\?'.*encoded word"):
        check_header_text(name, "customer name")
    with pytest.raises(ClausewiseError, match=r"encoded word"):
        validate_address("=?utf-8?q?a=0D=0AX-Evil=3A=20y?=@example.com", "email")


@pytest.mark.parametrize("value", HOSTILE)
def test_the_generated_header_check_catches_what_the_email_package_would_decode(value):
    """The last line of defence, on the bytes as they will be written: whatever this Python's email
    package does with an encoded word, the check either refuses it or the result has one header."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = value
    msg["To"] = Mailbox(value, "bob@example.com").header()
    msg.set_content("the real body")
    try:
        check_generated_headers(msg)
    except ClausewiseError as exc:
        assert "would break into another header or the body" in str(exc)
    else:
        back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
        assert back["Reply-To"] is None and back["Bcc"] is None and "real body" in back.get_content()


def test_customers_import_refuses_encoded_words_in_names_and_addresses(legal_repo, tmp_path: Path):
    rows = ["customer_id,name,email,language,agreement,version",
            f"C1,{REPLY_TO},bob@example.com,en,trial-en,1"]
    (tmp_path / "names.csv").write_text("\n".join(rows) + "\n", "utf-8")
    result = CliRunner().invoke(main, ["customers", "import", str(tmp_path / "names.csv"),
                                       "--repo", str(legal_repo.root)])
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert result.output.startswith("Error: ") and ":2:" in result.output and "(column name)" in result.output
    rows[1] = "C1,Bob,=?utf-8?q?x=0D=0AX-Evil=3A=20y?=@example.com,en,trial-en,1"
    (tmp_path / "emails.csv").write_text("\n".join(rows) + "\n", "utf-8")
    result = CliRunner().invoke(main, ["customers", "import", str(tmp_path / "emails.csv"),
                                       "--repo", str(legal_repo.root)])
    assert result.exit_code == 1 and "(column email)" in result.output, result.output


def test_announce_refuses_an_assignee_with_an_encoded_word(legal_repo):
    result = CliRunner().invoke(main, ["announce", "assignment", "trial-en", "--to", BCC, "--effective",
                                       "2031-06-01", "--repo", str(legal_repo.root)])
    assert result.exit_code == 2 and result.output.startswith("Error: --to") and "'=?'" in result.output
    assert "Traceback" not in result.output


def test_add_refuses_a_title_with_an_encoded_word(legal_repo, tmp_path: Path):
    (tmp_path / "t.md").write_text("# T\n\n1. Hello.\n", "utf-8")
    result = CliRunner().invoke(main, ["add", "hello", str(tmp_path / "t.md"), "--title", BCC, "--lang", "en",
                                       "--kind", "trial", "--repo", str(legal_repo.root)])
    assert result.exit_code == 2 and result.output.startswith("Error: ") and "'=?'" in result.output, result.output
    assert "hello" not in [a.id for a in legal_repo.agreements()]


def test_hostile_names_already_in_the_database_never_reach_the_wire(legal_repo, repo_store):
    """Rows stored before the import check existed: the send refuses to build them, and what the
    server receives for everyone else carries exactly the notifier's headers."""
    rows = customers(3, agreement="trial-en")
    hostile = [row.__class__(**{**row.__dict__, "customer_id": f"H{i}", "name": name,
                                "email": f"h{i}@example.com"}) for i, (row, name) in enumerate(zip(rows, HOSTILE))]
    setup(repo_store, version_campaign(), rows=rows + hostile)
    with smtp_server() as (url, handler):
        CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", url])
    for item in handler.received:
        _arrived_cleanly(item.data, item.rcpt_tos[0])
    assert not {item.rcpt_tos[0] for item in handler.received} & {row.email for row in hostile}
    assert all(repo_store.notice("trial-en/v2", row.customer_id).status != "sent" for row in hostile)


def test_a_clean_message_arrives_with_exactly_its_headers(legal_repo, repo_store):
    setup(repo_store, version_campaign(), assignment_campaign(new_party="Example Cloud Ltd"),
          rows=customers(2, agreement="trial-en") + customers(2, agreement="service-zh", language="zh-CN",
                                                              prefix="Z"))
    with smtp_server() as (url, handler):
        result = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", url])
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 4
    for item in handler.received:
        _arrived_cleanly(item.data, item.rcpt_tos[0])


# -- templates from the repository run in the sandbox ------------------------------------------

ESCAPES = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ joiner.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ lipsum.__globals__['os'].popen('touch MARKER') }}",
    "{{ customer.__class__.__init__.__globals__ }}",
    "{% set x = changes.append(1) %}{{ x }}",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_a_template_that_tries_to_leave_the_sandbox_is_refused_and_runs_nothing(legal_repo, repo_store,
                                                                                escape, tmp_path: Path):
    marker = tmp_path / "escaped"
    folder = legal_repo.root / "templates"
    folder.mkdir()
    (folder / "notice.en.txt.j2").write_text("Dear {{ customer.name }},\n\n" + escape.replace("MARKER", str(marker)) + "\n")
    setup(repo_store, version_campaign(), rows=customers(2, agreement="trial-en"))
    preview = CliRunner().invoke(main, ["notify", "preview", "trial-en/v2", "--repo", str(legal_repo.root)])
    assert preview.exit_code == 1 and preview.output.count("\n") == 1, preview.output
    assert preview.output.startswith("Error: ") and "notice.en.txt.j2:3: the template tries to leave Jinja's sandbox" \
        in preview.output
    with smtp_server() as (url, handler):
        send = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", url])
    assert send.exit_code == 1 and "sandbox" in send.output and "Traceback" not in send.output
    assert handler.received == [] and not marker.exists()
    assert {n.status for n in repo_store.notices()} == {"pending"}  # a local error, not the customers' failure


def test_the_shipped_templates_render_in_the_sandbox(legal_repo):
    composer = Composer(legal_repo)
    from clausewise.notifier.store import Notice

    for campaign, language, agreement in ((version_campaign(), "en", "trial-en"),
                                          (assignment_campaign(), "zh-CN", "service-zh")):
        notice = Notice(campaign.id, "C1", agreement, "Ada", "ada@example.com", language, 1, "pending", 0,
                        None, None, None, None, None, None)
        msg = composer.build(campaign, notice, DATE)
        assert msg.get_body(("plain",)).get_content().startswith(("Dear Ada,", "尊敬的Ada："))
