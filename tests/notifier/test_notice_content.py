"""What the customer reads: every edit at word level, the customer's options, the provider and the
assignee, how the redline arrives, the published title, the summary, the real notice given, and the
clause of the version in force for that customer. Real repositories, the real differ and templates;
the sending tests use a real aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import hashlib
from datetime import date, timedelta

import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.changes import change_item, change_list, segments, visible
from clausewise.notifier.compose import Composer, notice_given
from clausewise.notifier.message import message_bytes
from clausewise.notifier.smtp import send_pending
from clausewise.notifier.store import Notice

from .conftest import TODAY, edit_agreement
from .notices import assignment_campaign, customers, setup, version_campaign
from .smtp_server import smtp_server
from .test_message import set_config

DATE = "Tue, 01 Jan 2030 09:00:00 +0000"  # on time for campaigns effective 1 March 2030 (send-by 30 Jan)
FILLER = " ".join(f"word{i}" for i in range(120))


def notice(customer_id: str = "C1", *, campaign_id: str = "trial-en/v2", agreement: str = "trial-en",
           language: str = "en", accepted: int = 1, name: str = "Ada Lovelace") -> Notice:
    return Notice(campaign_id, customer_id, agreement, name, f"{customer_id.lower()}@example.com", language,
                  accepted, "pending", 0, None, None, None, None, None, None)


def parts(msg) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def publish(repo, agreement_id: str, old: str, new: str, effective: date, summary: str = "Changed") -> None:
    edit_agreement(repo, agreement_id, old, new)
    repo.publish(agreement_id, effective, summary=summary, today=TODAY)


# -- every edit, at word level ---------------------------------------------------------------

def test_every_edit_of_a_long_clause_is_shown_in_whole_words(legal_repo):
    """Two edits 120 words apart: the second (a waiver at the end) is in the email as well as the first."""
    publish(legal_repo, "trial-en", "free of charge for fourteen days.",
            f"free of charge for fourteen days. {FILLER} You keep all rights.", date(2030, 3, 10))
    publish(legal_repo, "trial-en", f"for fourteen days. {FILLER} You keep all rights.",
            f"for seven days. {FILLER} You keep all rights and waive every claim against us.", date(2030, 3, 20))
    campaign = version_campaign(to_version=4, effective=date(2030, 3, 20))
    text, html = parts(Composer(legal_repo).build(campaign, notice(accepted=3), DATE))
    assert "free of charge for [-fourteen-]{+seven+} days. word0 word1" in text
    assert "{+and waive every claim against us+}" in text or "rights{+ and waive every claim against us+}" in text
    assert "word60" not in text and "… word1" in text  # long unchanged text between edits is shortened
    for piece in text.split("…")[1:]:
        assert piece.startswith(" ") or piece.startswith("\n")  # cut between words, never inside one
    assert html.count("<ins ") >= 3 and "[−]fourteen</del>" in html and "waive every claim" in html


def test_chinese_changes_are_shown_by_character_with_units_kept(legal_repo):
    publish(legal_repo, "service-zh", "我方可在提前通知您后", "我方可在提前三十日通知您后", date(2030, 3, 1))
    publish(legal_repo, "service-zh", "提前三十日通知您后，将本协议项下的权利义务转让给关联公司",
            "提前十五个工作日通知您后，将本协议项下的权利义务转让给任何第三方", date(2030, 4, 1))
    campaign = version_campaign("service-zh", to_version=3, effective=date(2030, 4, 1), notice_days=15)
    text, html = parts(Composer(legal_repo).build(campaign, notice(campaign_id=campaign.id, agreement="service-zh",
                                                                    language="zh-CN", accepted=2), DATE))
    assert "提前[-三十日-]{+十五个工作日+}通知您后，将本协议项下的权利义务转让给[-关联公司-]{+任何第三方+}。" in text
    assert '<del style="text-decoration: line-through; background: #fadcdc;" title="删除">[−]三十日</del>' in html


def test_a_changed_heading_is_shown_as_an_edit(legal_repo):
    publish(legal_repo, "trial-en", "## 1. Fees", "## 1. Charges", date(2030, 3, 10))
    campaign = version_campaign(to_version=3, effective=date(2030, 3, 10))
    text, html = parts(Composer(legal_repo).build(campaign, notice(accepted=2), DATE))
    assert "Heading: [-Fees-]{+Charges+}" in text
    assert "Heading: <del" in html and "[−]Fees</del>" in html and "[+]Charges</ins>" in html


def test_context_is_cut_between_words_and_every_edit_kept():
    words = " ".join(f"w{i}" for i in range(200))
    shown = segments([("=", words + " "), ("-", "old"), ("+", "new"), ("=", " " + words + " "), ("+", "end"),
                      ("=", " tail.")])
    assert [s.op for s in shown] == ["=", "-", "+", "=", "+", "="]
    first, middle = shown[0].text, shown[3].text
    assert first.startswith("… ") and first.rstrip().endswith("w199") and len(first) < 80
    assert middle.startswith(" w0 w1") and " … " in middle and middle.rstrip().endswith("w199")
    assert all(token.startswith("w") or token == "…" for token in middle.split())


def test_invisible_characters_are_made_visible_and_bidi_controls_never_pass_raw():
    assert visible("pay \u202eus\u200b", edited=True) == "pay [U+202E]us[U+200B]"
    assert visible("pay \u202eus\u200b", edited=False) == "pay [U+202E]us"  # context: bidi shown, ZWSP dropped
    from clausewise.differ import diff_texts
    from clausewise.differ.model import DocumentRef

    old = "# T\n\n1. We may assign this agreement.\n"
    diff = diff_texts(old, old.replace("may assign", "may \u202eassign"), DocumentRef("a"), DocumentRef("b"))
    shown = change_list(diff).items
    assert len(shown) == 1 and ("+", "[U+202E]") in [(s.op, s.text) for s in shown[0].segments]


def test_a_note_on_invisible_or_look_alike_characters_is_stated_in_both_languages(legal_repo):
    """The differ names such edits in its note ("inserted U+202E RIGHT-TO-LEFT OVERRIDE"); the
    notice states it, in the customer's language."""
    from clausewise.differ.model import Clause, ClauseChange

    def clause(text: str) -> Clause:
        return Clause("1.", ("1.",), None, text, f"1. {text}", 1, 1)

    change = ClauseChange("modified", clause("Pay Acme."), clause("Pay Аcme."),
                          ops=[("=", "Pay "), ("-", "Acme"), ("+", "Аcme"), ("=", ".")],
                          note="replaced Latin A with look-alike CYRILLIC CAPITAL LETTER A (U+0410)")
    item = change_item(change)
    assert item.hidden_characters and item.note.endswith("(U+0410)")
    assert not change_item(ClauseChange("added", None, clause("x"), note="split from 3.2")).hidden_characters
    composer = Composer(legal_repo)
    for language, needle in (("en", "Attention: invisible or look-alike characters changed here"),
                             ("zh-CN", "请注意：此处有不可见字符或形似字符发生变化")):
        context = {**_context(composer, language), "changes": [item]}
        for part in ("txt", "html"):
            rendered = composer._render(f"notice.{language}.{part}.j2", context)
            assert needle in rendered and "U+0410" in rendered, (language, part)


def test_an_invisible_edit_sent_through_a_real_server_is_named_and_shown(legal_repo, repo_store):
    """v3 only inserts a right-to-left override and swaps a Latin letter for a Cyrillic one."""
    publish(legal_repo, "trial-en", "We may assign our rights", "We may \u202eassign our rights", date(2030, 3, 10))
    publish(legal_repo, "trial-en", "to an affiliate", "to an аffiliate", date(2030, 3, 20))
    setup(repo_store, version_campaign(to_version=3, effective=date(2030, 3, 10)),
          version_campaign(to_version=4, effective=date(2030, 3, 20)),
          rows=customers(1, agreement="trial-en", version=2))
    with smtp_server() as (url, handler):
        send_pending(legal_repo, repo_store, smtp_url=url)
    assert len(handler.received) == 2
    for item in handler.received:
        msg = email.message_from_bytes(item.data, policy=email.policy.default)
        text, html = parts(msg)
        assert "Attention: invisible or look-alike characters changed here" in text
        assert "invisible or look-alike characters changed here</strong>" in html
        assert "\u202e" not in text and "\u202e" not in html  # never raw: it would reorder the email itself
        if "version 3" in msg["Subject"]:
            assert "We may {+[U+202E]+}assign" in text and "U+202E RIGHT-TO-LEFT OVERRIDE" in text
        else:
            assert "CYRILLIC SMALL LETTER A" in text and "[-affiliate-]{+аffiliate+}" in text


def _context(composer: Composer, language: str) -> dict:
    campaign = version_campaign()
    context = composer._context(campaign, notice(language=language), None, language,
                                notice_given(campaign, DATE))
    return {**context, "subject": "s"}


def test_a_long_change_list_says_how_many_more_and_names_them(legal_repo):
    clauses = "\n\n".join(f"## {n}. Section {n}\n\n{n}.1 Term {n} applies for thirty days." for n in range(4, 40))
    publish(legal_repo, "trial-en", "after notifying you in advance.", "after notifying you in advance.\n\n" + clauses,
            date(2030, 3, 10))
    changed = "\n\n".join(f"## {n}. Section {n}\n\n{n}.1 Term {n} applies for ninety days." for n in range(4, 40))
    publish(legal_repo, "trial-en", clauses, changed, date(2030, 3, 20))
    campaign = version_campaign(to_version=4, effective=date(2030, 3, 20))
    text, html = parts(Composer(legal_repo).build(campaign, notice(accepted=3), DATE))
    listed = text.count("[-thirty-]{+ninety+}")
    assert listed == 25
    assert "... and 11 more changed clauses, not shown here for length: 29.1, 30.1" in text
    assert "39.1. Read them in the full comparison at https://example.com/legal/trial-en/v3-v4.html" in text
    assert "and 11 more changed clauses" in html


def test_the_change_list_stops_at_its_character_budget_and_counts_the_rest():
    from clausewise.differ import diff_texts
    from clausewise.differ.model import DocumentRef

    old = "\n\n".join(f"{n}. Clause {n} " + "text " * 50 for n in range(1, 6))
    new = old.replace("text text", "prose text")
    diff = diff_texts(old, new, DocumentRef("a"), DocumentRef("b"))
    shown = change_list(diff, max_chars=300)
    assert len(shown.items) + shown.more == len(diff.changed()) == 5 and shown.more >= 3
    assert shown.more_labels == [c.label for c in diff.changed()][len(shown.items):]


# -- who, what the customer can do, and how the redline arrives ------------------------------

PROVIDER = '''[provider]
name = "Northwind Cloud Ltd"
address = "1 Harbour Road, Dublin 2, Ireland"
contact = "legal@northwind.example"

[provider."zh-CN"]
name = "北风云（北京）有限公司"
address = "北京市朝阳区示例路1号"

[assignees."示例云计算（北京）有限公司"]
address = "上海市浦东新区示例大道2号"
contact = "legal@shili.example"
'''


def test_provider_rights_and_assignee_in_english_and_chinese(legal_repo):
    set_config(legal_repo, tables=PROVIDER)
    composer = Composer(legal_repo)
    text, html = parts(composer.build(version_campaign(), notice(), DATE))
    for needle in ("WHO SENDS THIS NOTICE\nNorthwind Cloud Ltd\n1 Harbour Road, Dublin 2, Ireland\n"
                   "legal@northwind.example",
                   "If you do not accept version 2, you may object to it or end the agreement, free of charge, "
                   "until 28 February 2030 by writing to legal@northwind.example.",
                   "If you do nothing, version 2 applies to you from 1 March 2030."):
        assert needle in text.replace("\r\n", "\n"), needle
    assert "Northwind Cloud Ltd<br>1 Harbour Road, Dublin 2, Ireland<br>legal@northwind.example" in html
    campaign = assignment_campaign()
    text, html = parts(composer.build(campaign, notice(campaign_id=campaign.id, agreement="service-zh",
                                                       language="zh-CN"), DATE))
    text = text.replace("\r\n", "\n")
    for needle in ("示例云计算（北京）有限公司\n    地址：上海市浦东新区示例大道2号\n    联系方式：legal@shili.example",
                   "如您不同意本次转让，可在2030年2月28日（含当日）之前致函legal@northwind.example解除协议",
                   "如您不作任何表示，自2030年3月1日起由示例云计算（北京）有限公司继续履行您的协议。",
                   "通知方\n北风云（北京）有限公司\n北京市朝阳区示例路1号\nlegal@northwind.example"):
        assert needle in text, needle


def test_an_assignee_without_contact_details_is_reached_through_the_provider(legal_repo):
    campaign = assignment_campaign(new_party="Example Cloud Ltd")
    text, _ = parts(Composer(legal_repo).build(campaign, notice(campaign_id=campaign.id, agreement="service-zh"),
                                               DATE))
    assert "To reach Example Cloud Ltd, write to us at legal@example.com and we will pass your message on." in text


def test_configured_wording_replaces_the_shipped_one_and_bad_wording_is_one_clear_error(legal_repo):
    shipped = (legal_repo.root / "clausewise.toml").read_text("utf-8")
    set_config(legal_repo, tables='[notice_text.en]\nobject_change = "Object by {last_day} at {contact}, '
                                  'or leave us."\n')
    text, _ = parts(Composer(legal_repo).build(version_campaign(), notice(), DATE))
    assert "Object by 28 February 2030 at legal@example.com, or leave us." in text
    assert "If you do nothing, version 2 applies to you" in text  # the rest stays shipped
    (legal_repo.root / "clausewise.toml").write_text(shipped, "utf-8")
    with pytest.raises(ClausewiseError, match=r"clausewise.toml: \[notice_text.'en'\] 'silence_change' uses "
                                              r"\{effective.__class__\}; the placeholders are \{effective\}"):
        set_config(legal_repo, tables='[notice_text.en]\nsilence_change = "From {effective.__class__}."\n')


@pytest.mark.parametrize("delivery, attached, linked", [("link", False, True), ("attach", True, False),
                                                        ("both", True, True)])
def test_how_the_redline_reaches_customers_is_a_setting(legal_repo, delivery, attached, linked):
    set_config(legal_repo, f'redline_delivery = "{delivery}"\n'
                           'redline_url = "https://legal.example/{agreement}/{from_version}...{to_version}"')
    msg = Composer(legal_repo).build(version_campaign(), notice(), DATE)
    text, _ = parts(msg)
    names = [a.get_filename() for a in msg.iter_attachments()]
    assert names == (["redline-trial-en-v1-v2.html"] if attached else [])
    assert ("https://legal.example/trial-en/1...2" in text) is linked


def test_a_bad_redline_setting_is_one_clear_error(legal_repo):
    with pytest.raises(ClausewiseError, match="'redline_delivery' must be one of link, attach, both, not 'email'"):
        set_config(legal_repo, 'redline_delivery = "email"')


# -- the published text, the summary, the real notice given ----------------------------------

def test_notices_use_the_published_title_never_the_working_copy(legal_repo):
    path = legal_repo.agreement("trial-en").path
    path.write_text(path.read_text("utf-8").replace('title = "Speech Trial Agreement"',
                                                    'title = "Draft Title Nobody Published"'), "utf-8")
    msg = Composer(legal_repo).build(version_campaign(), notice(), DATE)
    assert msg["Subject"] == "Notice of changes to Speech Trial Agreement (version 2, effective 1 March 2030)"
    assert "Draft Title" not in message_bytes(msg).decode("ascii")


def test_the_summary_goes_word_for_word_to_version_and_assignment_notices(legal_repo):
    summary = "We moved the data centre to Frankfurt;  fees are unchanged (see 4.2)."
    composer = Composer(legal_repo)
    version = version_campaign().__class__(**{**version_campaign().__dict__, "summary": summary})
    assignment = assignment_campaign(new_party="Example Cloud Ltd")
    assignment = assignment.__class__(**{**assignment.__dict__, "summary": summary})
    for campaign, agreement in ((version, "trial-en"), (assignment, "service-zh")):
        text, html = parts(composer.build(campaign, notice(campaign_id=campaign.id, agreement=agreement), DATE))
        assert f"Summary: {summary}" in text and f"Summary: {summary}" in html


@pytest.mark.parametrize("kind", ["version", "assignment"])
def test_a_late_notice_states_the_real_notice_given_and_never_claims_advance_notice(legal_repo, kind):
    campaign = version_campaign() if kind == "version" else assignment_campaign(new_party="Example Cloud Ltd")
    agreement = "trial-en" if kind == "version" else "service-zh"
    composer = Composer(legal_repo)

    def read(date_header: str) -> str:
        text, html = parts(composer.build(campaign, notice(campaign_id=campaign.id, agreement=agreement),
                                          date_header))
        assert ("advance notice" in text) == ("advance notice" in html.replace("<strong>", "").replace("</strong>", ""))
        return text

    on_time = read("Mon, 14 Jan 2030 09:00:00 +0000")
    assert "give you advance notice" in on_time
    late = read("Wed, 20 Feb 2030 23:30:00 -0500")  # 21 February in UTC: 8 days before 1 March
    assert "give you advance notice" not in late and "We are writing to notify you" in late
    assert f"This notice is dated 21 February 2030, 8 days before the {kind.replace('version', 'change')} " \
           f"takes effect: less than the {campaign.notice_days} days' notice the agreement provides." in late
    after = read("Mon, 04 Mar 2030 09:00:00 +0000")
    assert "give you advance notice" not in after and "3 days after the" in after
    assert "it is not advance notice" in after and "This notice reaches you after 1 March 2030" in after
    assert "until 28 February 2030" not in after  # no deadline that already passed


def test_a_late_send_through_a_real_server_says_so_and_rebuilds_to_its_hash(legal_repo, repo_store):
    today = date.today()
    effective = today + timedelta(days=5)  # 30 days' notice: the send-by date is long past
    late = version_campaign(effective=effective)
    setup(repo_store, late, rows=customers(2, agreement="trial-en"))
    with smtp_server() as (url, handler):
        report = send_pending(legal_repo, repo_store, smtp_url=url)
    assert report.sent == 2
    composer = Composer(legal_repo)
    for item in handler.received:
        msg = email.message_from_bytes(item.data, policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        assert "advance notice" not in text and ", 5 days before the change takes effect" in text
        recorded = next(n for n in repo_store.notices() if n.email == item.rcpt_tos[0])
        rebuilt = message_bytes(composer.build(late, recorded, recorded.date_header))
        assert hashlib.sha256(rebuilt).hexdigest() == recorded.sha256 == hashlib.sha256(item.data).hexdigest()


# -- the version in force for each customer --------------------------------------------------

ASSIGNMENT_V1 = """# Hosting Agreement

## 12. Fees

12.1 Fees are due monthly.

## 13. Assignment

13.1 We may assign this agreement to an affiliate after notifying you in advance.
"""


def test_each_customer_is_cited_the_clause_of_the_version_that_binds_them(tmp_path):
    """v2 inserts a clause before the assignment clause (13 -> 14) and rewords it, effective 1 June.
    An assignment effective 1 April cites v1's clause 13 to customers on v1 and v2's clause 14 to a
    customer who already accepted v2; one effective 1 July cites clause 14 to everybody."""
    from clausewise.notifier.campaigns import announce_assignment
    from clausewise.notifier.store import CustomerRow, store_for_repo
    from clausewise.versions import init_repo

    repo = init_repo(tmp_path / "legal")
    repo.add("hosting", ASSIGNMENT_V1, title="Hosting Agreement", language="en", kind="commercial", notice_days=30)
    repo.publish("hosting", date(2030, 2, 1), today=TODAY)
    publish(repo, "hosting", "## 13. Assignment\n\n13.1 We may assign this agreement to an affiliate",
            "## 13. Data\n\n13.1 Data stays in the EU.\n\n## 14. Assignment\n\n"
            "14.1 We may assign this agreement to any successor", date(2030, 6, 1))
    rows = [CustomerRow("OLD", "Olga", "olga@example.com", "en", "hosting", 1),
            CustomerRow("NEW", "Nina", "nina@example.com", "en", "hosting", 2)]
    with store_for_repo(repo) as store:
        store.upsert_customers(rows)
        april = announce_assignment(repo, store, "hosting", "Example Cloud Ltd", date(2030, 4, 1), today=TODAY)
        july = announce_assignment(repo, store, "hosting", "Example Cloud Ltd", date(2030, 7, 1), today=TODAY)
    assert april.clause_label == "14.1"  # the campaign is announced on the latest version
    composer = Composer(repo)

    def cited(campaign, customer: CustomerRow) -> str:
        text, _ = parts(composer.build(campaign, notice(customer.customer_id, campaign_id=campaign.id,
                                                        agreement="hosting", accepted=customer.version), DATE))
        return text.split("WHY YOU RECEIVE THIS NOTICE")[1].split("READ THE FULL TEXT")[0]

    old = cited(april, rows[0])
    assert "clause 13.1 of the agreement (version 1, which binds you on 1 April 2030)" in old
    assert "to an affiliate after notifying you" in old and "successor" not in old
    new = cited(april, rows[1])
    assert "clause 14.1 of the agreement (version 2" in new and "any successor" in new
    for row in rows:
        assert "clause 14.1 of the agreement (version 2, which binds you on 1 July 2030)" in cited(july, row)
