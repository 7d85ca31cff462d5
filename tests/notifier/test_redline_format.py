"""``redline_format``: the redline attached to notices as HTML, PDF or Word, sent to a real aiosmtpd
on 127.0.0.1 and opened on arrival (pdftotext; unzip and the document's XML)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import shutil
import io
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.compose import Composer
from clausewise.notifier.message import (
    Mailbox,
    MessageAssembler,
    RenderedNotice,
    build_message,
    message_bytes,
    message_id_for,
    redline_file_part,
)
from clausewise.notifier.smtp import send_pending

from .notices import customers, setup, version_campaign
from .smtp_server import smtp_server
from .test_message import DATE, SENDER, notice, set_config

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="poppler-utils (pdftotext) is not installed")


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode("utf-8")


@needs_pdftotext
def test_pdf_redline_reaches_every_customer_opens_and_is_in_the_proof(legal_repo, repo_store):
    set_config(legal_repo, 'redline_delivery = "attach"\nredline_format = "pdf"')
    setup(repo_store, version_campaign(), rows=customers(3, agreement="trial-en"))
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url, concurrency=2)
    assert (report.sent, report.failed) == (3, 0)
    attachments = set()
    notices = {n.email: n for n in repo_store.notices()}
    for item in handler.received:
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        [part] = message.iter_attachments()
        assert part.get_content_type() == PDF_TYPE
        assert part.get_content_disposition() == "attachment"
        assert part.get_filename() == "redline-trial-en-v1-v2.pdf"
        assert part["Content-Transfer-Encoding"] == "base64"
        data = part.get_content()
        assert data.startswith(b"%PDF-")
        text = " ".join(pdf_text(data).split())
        assert "Redline: Speech Trial Agreement v1 → Speech Trial Agreement v2" in text
        assert "[−thirty−][+fourteen+]" in text  # the removed and the new words
        assert "redline-trial-en-v1-v2.pdf" in message.get_body(("plain",)).get_content()  # the notice names it
        attachments.add(data)
        # The proof: the ledger's hash is of the bytes received, attachment included, and a rebuild
        # from the ledger (as notify preview --part raw does) gives those bytes again.
        recorded = notices[item.rcpt_tos[0]]
        assert recorded.sha256 == hashlib.sha256(item.data).hexdigest()
        rebuilt = message_bytes(Composer(legal_repo).build(repo_store.campaign(recorded.campaign_id), recorded,
                                                           recorded.date_header))
        assert rebuilt == item.data
    assert len(attachments) == 1  # one file for the campaign and version pair


def test_word_redline_reaches_customers_with_tracked_changes_by_the_configured_author(legal_repo, repo_store):
    set_config(legal_repo, 'redline_delivery = "both"\nredline_format = "docx"\nredline_author = "Legal Team"')
    setup(repo_store, version_campaign(), rows=customers(2, agreement="trial-en"))
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url)
    assert report.sent == 2
    notices = {n.email: n for n in repo_store.notices()}
    for item in handler.received:
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        [part] = message.iter_attachments()
        assert (part.get_content_type(), part.get_filename()) == (DOCX_TYPE, "redline-trial-en-v1-v2.docx")
        with zipfile.ZipFile(io.BytesIO(part.get_content())) as docx:
            assert docx.testzip() is None
            body = ElementTree.fromstring(docx.read("word/document.xml"))
        deleted = "".join(t.text or "" for d in body.iter(f"{W}del") for t in d.iter(f"{W}delText"))
        inserted = "".join(t.text or "" for i in body.iter(f"{W}ins") for t in i.iter(f"{W}t"))
        assert "thirty" in deleted and "fourteen" in inserted
        authors = {e.get(f"{W}author") for tag in ("ins", "del") for e in body.iter(f"{W}{tag}")}
        dates = {e.get(f"{W}date") for tag in ("ins", "del") for e in body.iter(f"{W}{tag}")}
        assert authors == {"Legal Team"} and dates == {"2030-03-01T00:00:00Z"}  # the new version's effective date
        recorded = notices[item.rcpt_tos[0]]
        assert recorded.sha256 == hashlib.sha256(item.data).hexdigest()
        rebuilt = message_bytes(Composer(legal_repo).build(repo_store.campaign(recorded.campaign_id), recorded,
                                                           recorded.date_header))
        assert rebuilt == item.data


def test_the_pdf_is_rendered_once_per_agreement_and_version_pair(legal_repo):
    set_config(legal_repo, 'redline_delivery = "both"\nredline_format = "pdf"')
    composer = Composer(legal_repo)
    first, second = (composer.build(version_campaign(), notice(f"C{i}"), DATE) for i in range(2))
    assert next(first.iter_attachments()) is next(second.iter_attachments())


def test_html_stays_the_default_attachment(legal_repo):
    set_config(legal_repo, 'redline_delivery = "attach"')
    [part] = Composer(legal_repo).build(version_campaign(), notice(), DATE).iter_attachments()
    assert (part.get_content_type(), part.get_filename()) == ("text/html", "redline-trial-en-v1-v2.html")


def test_a_binary_redline_has_its_type_and_an_rfc2231_name_on_both_message_paths():
    part = redline_file_part("修订 redline-v1-v2.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40, PDF_TYPE)
    notice_parts = RenderedNotice(subject="Notice", text="Dear Ada,\n", html="<p>Dear Ada,</p>", attachment=part)
    kwargs = dict(sender=SENDER, recipient=Mailbox("Ada Lovelace", "ada@example.com"), date=DATE, language="en",
                  message_id=message_id_for("trial-en/v2", "C1", "example.com"))
    data = MessageAssembler().message_bytes(notice_parts, **kwargs)
    assert data == message_bytes(build_message(notice_parts, **kwargs))  # what send writes = what preview rebuilds
    assert b"filename*=utf-8''%E4%BF%AE%E8%AE%A2%20redline-v1-v2.pdf" in data
    [back] = email.message_from_bytes(data, policy=email.policy.default).iter_attachments()
    assert back.get_filename() == "修订 redline-v1-v2.pdf" and back.get_content_type() == PDF_TYPE
    assert back.get_content() == b"%PDF-1.4\n" + bytes(range(256)) * 40


def test_a_bad_redline_format_names_the_allowed_values(legal_repo):
    with pytest.raises(ClausewiseError, match=r"clausewise.toml: 'redline_format' must be one of html, pdf, docx "
                                              r"\(the file attached when redline_delivery is attach or both\), "
                                              r"not 'doc'"):
        set_config(legal_repo, 'redline_format = "doc"')
    result = CliRunner().invoke(main, ["notify", "status", "--repo", str(legal_repo.root)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "'redline_format' must be one of html, pdf, docx" in result.output
    assert "Traceback" not in result.output


def test_a_missing_browser_stops_the_send_and_leaves_the_notices_pending(legal_repo, repo_store, monkeypatch,
                                                                          tmp_path: Path):
    set_config(legal_repo, 'redline_delivery = "attach"\nredline_format = "pdf"')
    setup(repo_store, version_campaign(), rows=customers(2, agreement="trial-en"))
    monkeypatch.setenv("CLAUSEWISE_CHROMIUM", str(tmp_path / "no-chromium"))
    with smtp_server() as (url, handler), pytest.raises(ClausewiseError, match=r"install chromium"):
        send_pending(legal_repo, repo_store, smtp_url=url)
    assert handler.received == []
    assert {n.status for n in repo_store.notices()} == {"pending"}
