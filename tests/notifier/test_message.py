"""Message building: deterministic bytes, MIME structure, encoded headers, no header injection,
and what a notice says (from the real templates and the real differ)."""

from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.compose import PACKAGE_TEMPLATES, Composer, long_date, pick_language
from clausewise.notifier.message import (
    Mailbox,
    RenderedNotice,
    build_message,
    check_header_text,
    message_bytes,
    message_id_for,
    parse_mailbox,
    redline_part,
    validate_address,
)
from clausewise.notifier.store import Notice

from .notices import assignment_campaign, version_campaign

SENDER = Mailbox("Legal Team", "legal@example.com")
DATE = "Tue, 01 Jan 2030 09:00:00 +0000"


def rendered(attachment: bool = True) -> RenderedNotice:
    part = redline_part("redline-x-v1-v2.html", "<html><body>红线 &amp; redline</body></html>") if attachment else None
    return RenderedNotice(subject="关于《语音服务协议》变更的通知", text="尊敬的客户：\n内容\n",
                          html="<p>尊敬的客户：</p>", attachment=part)


def notice(customer_id: str = "C1", *, name: str = "Ada Lovelace", email_address: str = "ada@example.com",
           language: str = "en", accepted: int = 1, campaign_id: str = "trial-en/v2",
           agreement: str = "trial-en") -> Notice:
    return Notice(campaign_id, customer_id, agreement, name, email_address, language, accepted, "pending", 0,
                  None, None, None, None, None, None)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def test_same_inputs_give_the_same_bytes_and_boundaries_come_from_the_message_id():
    kwargs = dict(sender=SENDER, recipient=Mailbox("张三", "zhang@example.com"),
                  message_id=message_id_for("trial-en/v2", "C1", "example.com"), date=DATE, language="zh-CN")
    first = message_bytes(build_message(rendered(), **kwargs))
    assert first == message_bytes(build_message(rendered(), **kwargs))
    other = message_bytes(build_message(rendered(), **{**kwargs, "message_id": "<x.y@example.com>"}))
    assert first != other and b"==mixed_" in first and b"==alt_" in first


def test_the_shared_redline_is_serialized_once_and_the_bytes_equal_the_standard_generator():
    shared = rendered()
    kwargs = dict(sender=SENDER, message_id="<a.b@example.com>", date=DATE, language="en")
    for name, address in (("Ada", "ada@example.com"), ("Bob", "bob@example.com"), ("李雷", "李雷@example.cn")):
        msg = build_message(shared, recipient=Mailbox(name, address), **kwargs)
        assert message_bytes(msg) == msg.as_bytes()
    assert len(shared.attachment.serialized) == 2  # one per policy (plain SMTP, SMTPUTF8)


def test_structure_encoding_and_headers():
    msg = build_message(rendered(), sender=SENDER, recipient=Mailbox("张三", "zhang@example.com"),
                        message_id="<abc.trial-en-v2@example.com>", date=DATE, language="zh-CN")
    data = message_bytes(msg)
    assert data.isascii()  # 7-bit clean: RFC 2047 headers, base64/quoted-printable bodies
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    back = parse(data)
    assert back.get_content_type() == "multipart/mixed"
    alternative, attachment = back.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_filename() == "redline-x-v1-v2.html" and "红线" in attachment.get_content()
    assert back["Subject"] == "关于《语音服务协议》变更的通知"
    assert back["To"].addresses[0].display_name == "张三"
    assert (back["Date"], back["Message-ID"], back["Content-Language"]) == (DATE, "<abc.trial-en-v2@example.com>", "zh-CN")
    assert back["Auto-Submitted"] == "auto-generated" and back["List-Unsubscribe"] is None
    without = parse(message_bytes(build_message(rendered(attachment=False), sender=SENDER,
                                                recipient=Mailbox("Ada", "ada@example.com"),
                                                message_id="<a@example.com>", date=DATE, language="en")))
    assert without.get_content_type() == "multipart/alternative"


def test_non_ascii_address_uses_smtputf8_with_the_name_quoted():
    msg = build_message(rendered(False), sender=SENDER, recipient=Mailbox('李雷, "Bcc: x@y"', "李雷@example.cn"),
                        message_id="<a@example.com>", date=DATE, language="zh-CN")
    assert 'To: "李雷, \\"Bcc: x@y\\"" <李雷@example.cn>\r\n'.encode() in message_bytes(msg)


def test_message_ids_are_stable_per_campaign_and_customer():
    one = message_id_for("trial-en/v2", "C1", "example.com")
    assert one == message_id_for("trial-en/v2", "C1", "example.com")
    assert one.endswith(".trial-en-v2@example.com>") and one.startswith("<")
    assert len({one, message_id_for("trial-en/v2", "C2", "example.com"),
                message_id_for("trial-en/v3", "C1", "example.com")}) == 3


@pytest.mark.parametrize("bad", [
    "ada@example.com\r\nBcc: spy@evil.example", "ada@example.com\nRCPT TO:<spy@evil.example>",
    "ada@example.com>, <spy@evil.example", "Ada <ada@example.com>", "ada@example.com,spy@evil.example",
    "ada@@example.com", "ada", "ada @example.com", ".ada@example.com", "ada@-example.com", "ada@exa_mple.com",
    "ada@example.com SIZE=1",
])
def test_unsafe_addresses_are_refused_with_the_field_named(bad):
    with pytest.raises(ClausewiseError, match=r"^customer 'C9' email: "):
        validate_address(bad, "customer 'C9' email")


def test_good_addresses_pass():
    for good in ("ada@example.com", "a.b+tag@sub.example.co.uk", "李雷@例子.中国", "x@localhost"):
        assert validate_address(good, "email") == good


def test_line_breaks_in_names_and_subjects_are_refused():
    for bad in ("Eve\r\nBcc: spy@evil.example", "Eve\nX-Evil: 1", "Eve\rX", "Eve\x00", "Eve\u2028X"):
        with pytest.raises(ClausewiseError, match="line break or control character"):
            check_header_text(bad, "name")
    with pytest.raises(ClausewiseError, match="^subject: "):
        build_message(RenderedNotice("Notice\r\nBcc: spy@evil.example", "t", "<p>h</p>"), sender=SENDER,
                      recipient=Mailbox("Ada", "ada@example.com"), message_id="<a@b.c>", date=DATE, language="en")


def test_sender_parsing():
    assert parse_mailbox("Legal Team <legal@example.com>", "sender") == Mailbox("Legal Team", "legal@example.com")
    assert parse_mailbox("法务部 <legal@example.cn>", "sender").name == "法务部"
    for bad in ("a@example.com, b@example.com", "Legal", "Legal <legal@example.com>\r\nBcc: x@y.z"):
        with pytest.raises(ClausewiseError, match="^sender: "):
            parse_mailbox(bad, "sender")


def test_language_choice_and_dates():
    available = ["en", "zh-CN"]
    assert [pick_language(x, available) for x in ("en", "EN-gb", "zh-CN", "zh", "zh-Hans", "fr")] == \
        ["en", "en", "zh-CN", "zh-CN", "zh-CN", "en"]
    assert long_date(date(2030, 3, 1), "en") == "1 March 2030"
    assert long_date(date(2030, 3, 1), "zh-CN") == "2030年3月1日"


# -- what the notices say, from the real templates, repo and differ ----------------------------

def test_version_notice_lists_the_changes_the_customer_must_see(legal_repo):
    composer = Composer(legal_repo)
    msg = composer.build(version_campaign(), notice(), DATE)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert msg["Subject"] == "Notice of changes to Speech Trial Agreement (version 2, effective 1 March 2030)"
    for needle in ("Dear Ada Lovelace,", "You accepted version 1. Version 2 takes effect on 1 March 2030.",
                   "1.1", "free of charge for [-thirty-]{+fourteen+} days.", "Clause 2.1 of the agreement",
                   "requires us", "https://example.com/legal/trial-en/v2",
                   "https://example.com/legal/trial-en/v1-v2.html"):
        assert needle in text, needle
    assert "fees" in text.lower()  # the changed clause's topic tag
    assert '<del style="text-decoration: line-through; background: #fadcdc;" title="deleted">[−]thirty</del>' in html
    assert '<ins style="text-decoration: underline; background: #ddf4dd;" title="inserted">[+]fourteen</ins>' in html
    assert list(msg.iter_attachments()) == []  # the default redline delivery is a link


def test_assignment_notice_in_chinese_names_the_new_party_and_the_clause(legal_repo):
    msg = Composer(legal_repo).build(
        assignment_campaign(), notice(name="王小明", language="zh-CN", campaign_id="service-zh/assignment-2030-03-01",
                                      agreement="service-zh"), DATE)
    text = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith("关于《语音服务协议》权利义务转让予示例云计算（北京）有限公司的通知")
    for needle in ("尊敬的王小明：", "2030年3月1日", "示例云计算（北京）有限公司", "条款“2.1”", "转让给关联公司"):
        assert needle in text, needle
    assert list(msg.iter_attachments()) == []


def test_customer_and_agreement_text_are_escaped_in_html(legal_repo):
    campaign = assignment_campaign(new_party="<b>Evil & Co</b>")
    msg = Composer(legal_repo).build(campaign, notice(name="<script>alert(1)</script>", campaign_id=campaign.id,
                                                      agreement="service-zh"), DATE)
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Evil" not in html and "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in html
    text = msg.get_body(("plain",)).get_content()
    assert "Dear <script>alert(1)</script>," in text  # the text part is shown verbatim, never interpreted


def test_templates_in_the_repo_override_the_package(legal_repo):
    folder = legal_repo.root / "templates"
    folder.mkdir()
    (folder / "notice.en.subject.j2").write_text("[{{ agreement.id }}] Please read: {{ agreement.title }}\n")
    msg = Composer(legal_repo).build(version_campaign(), notice(), DATE)
    assert msg["Subject"] == "[trial-en] Please read: Speech Trial Agreement"
    assert "Dear Ada Lovelace," in msg.get_body(("plain",)).get_content()  # the rest from the package


def test_a_template_error_names_the_template(legal_repo):
    folder = legal_repo.root / "templates"
    folder.mkdir()
    (folder / "notice.en.subject.j2").write_text("{{ no_such_value }}\n")
    with pytest.raises(ClausewiseError, match=r"notice\.en\.subject\.j2.*no_such_value.*fix the template"):
        Composer(legal_repo).build(version_campaign(), notice(), DATE)


def test_one_diff_and_redline_per_agreement_and_version_pair(legal_repo):
    set_config(legal_repo, 'redline_delivery = "attach"')
    composer = Composer(legal_repo)
    first, second = (composer.build(version_campaign(), notice(f"C{i}"), DATE) for i in range(2))
    assert next(first.iter_attachments()) is next(second.iter_attachments())


def set_config(repo, settings: str = "", tables: str = "") -> None:
    """Set ``settings`` (lines ``key = value``) in [clausewise] and add ``tables`` at the end of the
    repository's clausewise.toml."""
    import re

    from clausewise.config import load_config

    path = repo.root / "clausewise.toml"
    text = path.read_text("utf-8")
    for line in filter(None, settings.splitlines()):
        key = line.split("=")[0].strip()
        text, found = re.subn(rf"(?m)^{key} = .*$", lambda _: line, text)
        if not found:
            text = text.replace("[clausewise]\n", f"[clausewise]\n{line}\n", 1)
    path.write_text(f"{text}\n{tables}\n", "utf-8")
    repo.config = load_config(repo.root)


# -- the fast path notify send takes: the same bytes as the email package's --------------------

@pytest.mark.parametrize("attachment", [True, False])
def test_the_assembler_writes_the_bytes_of_the_built_message(attachment):
    """MessageAssembler (what notify send uses) and build_message + message_bytes (what preview and
    the proof report use) give identical bytes, so a recorded SHA-256 always matches the rebuild."""
    from clausewise.notifier.message import MessageAssembler

    assembler = MessageAssembler()
    shared = redline_part("redline-x-v1-v2.html", "<html><body>红线 &amp; redline</body></html>" * 50)
    names = ("张三", "Ada Lovelace", 'Lovelace, Ada "The Countess"', "O'Brien (Accounts)", "", "李雷, Bcc: x@y")
    texts = ("尊敬的客户：\n内容\n", "Dear Ada,\n" + "a long line of notice text " * 12 + "\n", "short\n" * 30,
             "ünïcödé\r\nlines\r\n" * 12, "")
    htmls = ("<p>尊敬的客户：</p>", "<p>" + "plain ascii html " * 3 + "</p>\n", "<p>" + "é" * 120 + "</p>")
    subjects = ("关于《语音服务协议》变更的通知", "Notice of changes to " + "a long agreement title " * 5)
    addresses = ("ada@example.com", "李雷@example.cn")  # the second takes the SMTPUTF8 path
    for i, (name, text, html, subject, address) in enumerate(
            (n, t, h, s, a) for n in names for t in texts for h in htmls for s in subjects for a in addresses):
        notice_parts = RenderedNotice(subject=subject, text=text, html=html, attachment=shared if attachment else None)
        kwargs = dict(sender=SENDER, recipient=Mailbox(name, address), date=DATE, language="zh-CN",
                      message_id=message_id_for(f"campaign-{i % 3}/v2", f"C{i}", "example.com"))
        data = assembler.message_bytes(notice_parts, **kwargs)
        assert data == message_bytes(build_message(notice_parts, **kwargs)), (name, text, html, subject)
        if address.isascii() and text == texts[3]:
            back = parse(data)  # valid MIME that parses back to the same parts
            assert back["To"].addresses[0].display_name == name and back["Bcc"] is None
            assert back.get_body(("plain",)).get_content().splitlines() == ["ünïcödé", "lines"] * 12
            assert back.get_body(("html",)).get_content().splitlines() == html.splitlines()
    assert [a.get_filename() for a in back.iter_attachments()] == (["redline-x-v1-v2.html"] if attachment else [])


def test_the_assembler_refuses_header_injection_like_build_message():
    from clausewise.notifier.message import MessageAssembler

    for bad in (RenderedNotice("Notice\r\nBcc: spy@evil.example", "t", "<p>h</p>"),
                RenderedNotice("=?utf-8?q?Notice=0D=0ABcc:_spy@evil.example?=", "t", "<p>h</p>")):
        with pytest.raises(ClausewiseError, match="subject"):
            MessageAssembler().message_bytes(bad, sender=SENDER, recipient=Mailbox("Ada", "ada@example.com"),
                                             message_id="<a.b@example.com>", date=DATE, language="en")
    with pytest.raises(ClausewiseError, match="language"):
        MessageAssembler().message_bytes(rendered(), sender=SENDER, recipient=Mailbox("Ada", "ada@example.com"),
                                         message_id="<a.b@example.com>", date=DATE, language="en\r\nBcc: x@y")


def test_composer_bytes_equal_the_built_message_in_both_languages(legal_repo):
    set_config(legal_repo, 'redline_delivery = "both"')
    composer = Composer(legal_repo)
    cases = ((version_campaign(), notice("C1")),
             (version_campaign(), notice("C2", name="Zoë \"Z\" Ng", email_address="zoe@example.com")),
             (assignment_campaign(), notice("C3", name="王小明", language="zh-CN",
                                            campaign_id="service-zh/assignment-2030-03-01", agreement="service-zh")))
    for campaign, customer in cases:
        data = composer.build_bytes(campaign, customer, DATE)
        assert data == message_bytes(composer.build(campaign, customer, DATE))
        assert parse(data)["Message-ID"].strip() == composer.message_id(campaign.id, customer.customer_id)


def test_only_repository_templates_render_in_the_sandbox(legal_repo):
    """The package's templates are code shipped with clausewise and render in a plain environment;
    a language with any template in the repository renders in the immutable sandbox."""
    import jinja2.sandbox

    folder = legal_repo.root / "templates"
    folder.mkdir()
    (folder / "notice.en.labels.j2").write_text((PACKAGE_TEMPLATES / "notice.en.labels.j2").read_text("utf-8"))
    composer = Composer(legal_repo)
    assert composer.overridden == {"en"}
    assert not isinstance(composer.builtin_env, jinja2.sandbox.SandboxedEnvironment)
    assert isinstance(composer.env, jinja2.sandbox.ImmutableSandboxedEnvironment)
    (folder / "notice.en.labels.j2").write_text("{{ ''.__class__.__mro__ }}{% macro status_names() %}{% endmacro %}")
    with pytest.raises(ClausewiseError, match="sandbox"):
        Composer(legal_repo).build(version_campaign(), notice(), DATE)
