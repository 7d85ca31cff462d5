"""Structure found in documents as they are really written: Chinese statutes, numbers past 999,
web-extracted Markdown, line endings, deep nesting. Every fixture sentence is made up here."""

from __future__ import annotations

import json

import pytest

from clausewise.differ import diff_texts, parse_agreement
from clausewise.differ.labels import read_labels
from clausewise.differ.model import Clause, DocumentRef
from clausewise.differ.render_html import render_html
from clausewise.differ.render_json import render_json
from clausewise.differ.render_markdown import render_markdown
from clausewise.differ.render_text import render_text


def labelled(root: Clause) -> list[str | None]:
    return [node.label for node in root.walk()[1:] if node.label]


def round_trips(text: str) -> bool:
    return "".join(node.source for node in parse_agreement(text).walk()) == text


def diff(old: str, new: str):
    return diff_texts(old, new, DocumentRef("old"), DocumentRef("new"))


STATUTE = """\
# 示范条例

## 第一编 总则

### 第一章　总　　则

第一条 为了说明结构，制定本条例。

第二条 本条例适用于示范活动。

### 第二章 分则

#### 第一节 一般规定

第五十条 示范单位应当登记。

#### 第二节 特别规定

第五十一条 示范单位有下列情形之一的，应当报告：

（一）变更名称；

（二）变更住所。

前款规定的报告应当在十日内提出。

第五十一条之一 报告的格式由主管部门制定。

第五十二条 本条例自公布之日起施行。

## 第二编 附则

第一千零三十二条 本条是大号条文。

第一千二百六十条 本条是最后一条。
"""


def test_every_article_of_a_statute_is_its_own_clause_whatever_heading_precedes_it():
    root = parse_agreement(STATUTE)
    articles = [node for node in root.walk() if node.kind == "section" and node.label and "条" in node.label]
    assert [node.label for node in articles] == [
        "第一条", "第二条", "第五十条", "第五十一条", "第五十一条之一", "第五十二条", "第一千零三十二条",
        "第一千二百六十条"]
    by_label = {node.label: node for node in root.walk() if node.label}
    assert by_label["第五十一条"].path == ("第一编", "第二章", "第二节", "第五十一条")
    assert [child.label for child in by_label["第五十一条"].children][:2] == ["（一）", "（二）"]
    assert by_label["第一章"].heading == "总　　则"
    assert by_label["第一千二百六十条"].path == ("第二编", "第一千二百六十条")
    assert round_trips(STATUTE)


def test_plain_chinese_headings_nest_bian_fenbian_zhang_jie():
    text = ("第一编　总则\n第一分编　通则\n第一章　一般规定\n第一节　适用\n第一条　甲。\n第二节　其他\n"
            "第二条　乙。\n第二章　附则\n第三条　丙。\n第二编　分则\n第四条　丁。\n")
    root = parse_agreement(text)
    paths = [node.path for node in root.walk()[1:]]
    assert ("第一编", "第一分编", "第一章", "第一节", "第一条") in paths
    assert ("第一编", "第一分编", "第一章", "第二节", "第二条") in paths
    assert ("第一编", "第一分编", "第二章", "第三条") in paths
    assert ("第二编", "第四条") in paths


def test_bold_articles_are_labels_without_their_marks():
    text = "### 第一章　总　　则\n\n**第一条**　甲方应当付款。\n\n**第二百四十九条** 　乙方应当交货。\n"
    root = parse_agreement(text)
    assert labelled(root) == ["第一章", "第一条", "第二百四十九条"]
    article = root.walk()[-1]
    assert article.text == "乙方应当交货。" and article.heading is None
    assert round_trips(text)


def test_numbers_beyond_999_are_not_glued_into_999():
    old = "".join(f"{n}. Term number {n} applies.\n" for n in range(1, 1003))
    root = parse_agreement(old)
    assert labelled(root) == [f"{n}." for n in range(1, 1003)]
    assert root.children[998].text == "Term number 999 applies."
    decimals = "".join(f"4.{n} Part {n} applies.\n" for n in range(1, 1002))
    assert labelled(parse_agreement(decimals))[-2:] == ["4.1000", "4.1001"]
    items = "".join(f"({n}) item {n};\n" for n in range(1, 1002))
    assert labelled(parse_agreement(items))[-2:] == ["(1000)", "(1001)"]


def test_empty_heading_lines_do_not_crash_and_are_no_clause():
    for text in ("### \n", "###\n", "## 1. A\n\n###   \n\nText.\n", "| ### |\n"):
        root = parse_agreement(text)
        assert round_trips(text)
    assert read_labels("### ")[1] == []
    root = parse_agreement("## 1. Scope\n\n### \n\nThe scope is narrow.\n")
    assert labelled(root) == ["1."] and root.children[0].text == "The scope is narrow."


LF_TEXT = "# Terms\n\n1. First\nline one.\n\n2. Second\n\n2.1 Inner text.\n"


@pytest.mark.parametrize("text", [LF_TEXT.replace("\n", "\r"), LF_TEXT.replace("\n", "\r\n"),
                                  "# Terms\r\n\r1. First\nline one.\r\r\n2. Second\n\r\n2.1 Inner text.\r"])
def test_cr_and_mixed_line_endings_parse_like_lf(text):
    assert round_trips(text)
    lf = parse_agreement(LF_TEXT)
    other = parse_agreement(text)
    assert [(n.label, n.heading, n.text, n.line) for n in other.walk()] == \
        [(n.label, n.heading, n.text, n.line) for n in lf.walk()]
    result = diff(LF_TEXT, text)
    assert {change.status for change in result.changes} == {"unchanged"}


def deep(levels: int, word: str) -> str:
    return "".join(".".join(["1"] * depth) + f" {word} at depth {depth}\n" for depth in range(2, levels + 2))


def test_numbering_nested_1000_deep_parses_diffs_and_renders():
    old, new = deep(1000, "alpha"), deep(1000, "beta")
    root = parse_agreement(old)
    assert max(node.level for node in root.walk()) == 1000
    assert round_trips(old)
    result = diff(old, new)
    assert sum(change.status == "modified" for change in result.changes) == 1000
    for render in (render_text, render_markdown, render_html):
        assert render(result)
    bullets = "".join("  " * depth + f"- item {depth}\n" for depth in range(1000))
    assert max(node.level for node in parse_agreement(bullets).walk()) == 1000
    assert json.loads(render_json(diff(bullets, bullets.replace("item 999", "item x"))))["summary"]["modified"] == 1


def test_json_labels_and_paths_carry_no_markdown_marks():
    old = "## A. Scope\n\n**2.12 Fees**\n\nFees are due.\n\n### 7\\. Law\n\nIrish law.\n"
    new = old.replace("Irish", "French")
    data = json.loads(render_json(diff(old, new)))
    labels = {change["new_label"] for change in data["changes"]} - {None}
    assert labels == {"A.", "2.12", "7."}
    for change in data["changes"]:
        assert not any(mark in part for part in change["new_path"] or [] for mark in ("#", "*", "\\"))


def nodes(root: Clause) -> list[tuple[int, str, str | None, str | None]]:
    return [(node.level, node.kind, node.label, node.heading) for node in root.walk()[1:]]


def test_setext_headings_of_any_underline_length_with_escaped_numbers():
    text = ("Service Terms\n=============\n\nIntro text.\n\n1\\. Scope\n---\n\nThe scope is small.\n\n"
            "2\\. Payment\n------------------------\n\nPay on time.\n\nSchedules\n--\n\nNone yet.\n")
    root = parse_agreement(text)
    assert [(n.label, n.heading, n.kind) for n in root.walk()[1:] if n.kind == "heading"] == [
        ("1.", "Scope", "heading"), ("2.", "Payment", "heading"), (None, "Schedules", "heading")]
    assert root.text.startswith("Service Terms")  # the only level-1 heading on top: the title
    assert parse_agreement(text).children[0].text == "The scope is small."
    longer = text.replace("---\n", "-------------\n", 1)
    assert {c.status for c in diff(text, longer).changes} == {"unchanged"}
    assert round_trips(text)


def test_a_rule_under_a_paragraph_is_not_an_underline():
    text = "1. First clause text\nruns on here.\n---\n\n2. Second clause.\n"
    assert labelled(parse_agreement(text)) == ["1.", "2."]


@pytest.mark.parametrize("line, label, heading", [
    ("**2.12 Fees and taxes**", "2.12", "Fees and taxes"),
    ("**3.5.** Customers may not scrape content.", "3.5.", None),
    ("**7\\.** “Tweet” means a short message.", "7.", None),
    ("**3**. Modify content only to format it.", "3.", None),
    ("#### [](#6-5-data-sharing)6.5. Data sharing", "6.5.", "Data sharing"),
    ("| ### 3\\. Customer duties | [Back to top](#top) |", "3.", "Customer duties"),
    ("<strong>4.2</strong> Notices go by email.", "4.2", None),
    ("### A. Definitions", "A.", "Definitions"),
])
def test_labels_written_with_web_markup(line, label, heading):
    root = parse_agreement(line + "\n\nMore text.\n")
    node = root.children[0]
    assert (node.label, node.heading) == (label, heading)
    assert round_trips(line + "\n")


def test_bold_label_with_bold_title_then_body():
    root = parse_agreement("**2.1 Definitions.** In these terms words mean what they say.\n")
    node = root.children[0]
    assert (node.label, node.heading, node.text) == ("2.1", "Definitions.", "In these terms words mean what they say.")


def test_bold_numbers_where_the_numbering_slips_are_still_clauses():
    text = "**I. Terms**\n\n**1.** Alpha means a.\n\n**7.** Beta means b.\n\n**7.** Gamma means c.\n\n**8.** Delta.\n"
    assert labelled(parse_agreement(text)) == ["I.", "1.", "7.", "7.", "8."]


def test_a_number_alone_on_its_line_takes_the_title_below():
    text = "7.\n\nLimitation of Liability\n\nNeither party is liable for lost profits.\n\n8.\nGoverning Law\n\nIrish law applies.\n"
    root = parse_agreement(text)
    assert [(n.label, n.heading, n.text) for n in root.children] == [
        ("7.", "Limitation of Liability", "Neither party is liable for lost profits."),
        ("8.", "Governing Law", "Irish law applies.")]
    assert round_trips(text)


def test_html_remnants_and_empty_headings_are_no_text():
    text = "## 1. Scope\n\n<br>\n\n###\n\nThe scope is small.\n\n<div class=\"x\"></div>\n"
    root = parse_agreement(text)
    assert labelled(root) == ["1."] and root.children[0].text == "The scope is small."


def test_a_table_of_contents_is_not_taken_for_the_sections():
    contents = "".join(f"Article {n} Heading {n}\n" for n in range(1, 7))
    body = "".join(f"Article {n} Heading {n}\n\nBody of article {n} says something.\n\n" for n in range(1, 7))
    root = parse_agreement("Contents\n\n" + contents + "\n" + body)
    assert labelled(root) == [f"Article {n}" for n in range(1, 7)]
    assert all(f"Body of article {n}" in root.children[n - 1].text for n in range(1, 7))
    assert max(len(node.source) for node in root.children) < 60
    chinese = ("目录\n\n第一章　总则\n第二章　合同\n第三章　附则\n\n第一章　总则\n\n第一条　甲。\n\n"
               "第二章　合同\n\n第二条　乙。\n\n第三章　附则\n\n第三条　丙。\n")
    root = parse_agreement(chinese)
    assert labelled(root) == ["第一章", "第一条", "第二章", "第二条", "第三章", "第三条"]
    assert "第一章 总则第二章 合同" in root.text


def test_a_number_repeated_just_above_its_heading_is_no_clause():
    text = "2. Your Duties\n\n2\\. Your Duties\n---------------\n\nBe kind.\n"
    root = parse_agreement(text)
    assert nodes(root) == [(1, "heading", "2.", "Your Duties")] and root.children[0].text == "Be kind."
    other = parse_agreement("2. Your Duties\n\n2\\. Payment\n---\n\nPay.\n")
    assert [node.heading for node in other.walk()[1:]] == ["Your Duties", "Payment"]


def test_lists_restart_inside_sections_and_under_numbered_clauses():
    sections = "## 1. Use\n\n1. Do not copy.\n2. Do not sell.\n\n## 2. Fees\n\n1. Pay monthly.\n2. Pay in euro.\n"
    paths = [node.path for node in parse_agreement(sections).walk()[1:]]
    assert paths == [("1.",), ("1.", "1."), ("1.", "2."), ("2.",), ("2.", "1."), ("2.", "2.")]
    clauses = ("3. Fees\n3.1 The customer shall:\n1. pay monthly;\n2. report usage.\n"
               "3.2 Late payments bear interest.\n4. Term\n4.1 One year.\n")
    root = parse_agreement(clauses)
    assert [node.path for node in root.walk()[1:]] == [
        ("3.",), ("3.", "3.1"), ("3.", "3.1", "1."), ("3.", "3.1", "2."), ("3.", "3.2"), ("4.",), ("4.", "4.1")]


def test_a_paragraph_after_a_list_does_not_join_the_last_item():
    text = ("## 4. Duties\n\nThe customer shall:\n\n- keep records;\n- allow audits.\n\n"
            "These duties survive termination.\n\n5.2 Excluded losses are:\n(a) fraud;\n(b) death.\n\n"
            "Nothing else is excluded.\n")
    root = parse_agreement(text)
    last_bullet = [node for node in root.walk() if node.kind == "list-item"][-1]
    assert last_bullet.text == "allow audits."
    closing = [node for node in root.walk() if node.kind == "paragraph"]
    assert [node.text for node in closing] == ["These duties survive termination.", "Nothing else is excluded."]
    assert closing[0].path == ("4.", "¶") and closing[1].path[-2:] == ("5.2", "¶")
    indented = "- first item\n\n  still the first item.\n- second\n"
    assert [n.text for n in parse_agreement(indented).walk()[1:]] == ["first item\n\nstill the first item.", "second"]


PROSE = """\
Privacy Notice

### What we collect

We collect your name and email address when you sign up.

We collect usage logs to keep the service running.

### How we share it

We share data with payment processors only.

We never sell personal data to anyone.
"""


def test_paragraphs_under_unnumbered_headings_are_units_that_move_on_their_own():
    root = parse_agreement(PROSE)
    assert nodes(root) == [(1, "heading", None, "What we collect"), (2, "paragraph", None, None),
                           (2, "paragraph", None, None), (1, "heading", None, "How we share it"),
                           (2, "paragraph", None, None), (2, "paragraph", None, None)]
    moved = PROSE.replace("We collect usage logs to keep the service running.\n\n", "").replace(
        "We never sell", "We collect usage logs to keep the service running.\n\nWe never sell")
    result = diff(PROSE, moved)
    changed = [change for change in result.changes if change.status != "unchanged" or change.moved]
    assert len(changed) == 1 and changed[0].moved and changed[0].new.text.startswith("We collect usage logs")
    assert changed[0].new.path == ("How we share it", "¶")


def test_text_output_names_a_paragraph_by_its_heading():
    moved = PROSE.replace("We collect usage logs to keep the service running.\n\n", "").replace(
        "We never sell", "We collect usage logs to keep the service running.\n\nWe never sell")
    shown = render_text(diff(PROSE, moved), context="none")
    assert "< ¶ in What we collect  [moved to How we share it]" in shown
    assert "¶ in How we share it  [unchanged; moved from What we collect]" in shown
    assert "(preamble)" not in shown


def test_a_paragraph_split_in_two_names_the_paragraph_it_came_from():
    old = ("### Data\n\nWe collect your name and email address when you sign up for the service today. "
           "We keep it for a year after you leave the service.\n")
    new = ("### Data\n\nWe collect your name and email address when you sign up for the service.\n\n"
           "We keep it for a year after you leave the service.\n")
    notes = [change.note for change in diff(old, new).changes if change.note]
    assert notes == ["split from ¶ in Data"]


def test_html_headings_and_a_contents_list_in_another_case():
    html = "<h2>1. Scope</h2>\n<p>The scope is small.</p>\n<h2 class=\"t\">2. Fees</h2>\n<p>Pay monthly.</p>\n"
    root = parse_agreement(html)
    assert [(n.label, n.heading, n.kind) for n in root.children] == [("1.", "Scope", "heading"), ("2.", "Fees", "heading")]
    contents = "".join(f"Article {n} - Heading {n}\n\n" for n in range(1, 5))
    body = "".join(f"ARTICLE {n}. HEADING {n}\n\nBody {n} says something.\n\n" for n in range(1, 5))
    assert labelled(parse_agreement(contents + body)) == [f"ARTICLE {n}." for n in range(1, 5)]


def test_letter_and_number_labels():
    text = "L. Remedies\nL.1 The seller repairs.\nL.2 The seller refunds.\nM. Other\nM.1 Nothing else.\n"
    assert [node.path for node in parse_agreement(text).walk()[1:]] == [
        ("L.",), ("L.", "L.1"), ("L.", "L.2"), ("M.",), ("M.", "M.1")]
    headings = parse_agreement("### A1. Definitions\n\nWords.\n\n### A2. About these terms\n\nMore.\n")
    assert [(n.label, n.heading) for n in headings.children] == [("A1.", "Definitions"), ("A2.", "About these terms")]
    assert labelled(parse_agreement("A4 paper is used.\nI2C is a bus.\n")) == []


def test_dates_in_a_change_log_are_not_numbered_clauses():
    text = "## 9. Changes\n\n**25\\. März 2019**\n\n- Section 3 updated.\n\n1. January 2024\n\n12. Dezember 2021\n"
    assert labelled(parse_agreement(text)) == ["9.", "-"]
    assert labelled(parse_agreement("1. Definitions\n2. March deliveries\n")) == ["1.", "2."]


def test_a_bold_year_is_not_a_clause_number():
    assert labelled(parse_agreement("**2024** was a good year.\n\n**7** Term\n")) == ["7"]


def test_french_and_german_article_words():
    text = ("Article 1er – Objet\n\nTexte un.\n\nArticle 2 – Prix\n\nTexte deux.\n\nARTICLE 3 : Durée\n\nTexte.\n\n"
            "Artikel 4 Haftung\n\nText.\n")
    assert [(n.label, n.heading) for n in parse_agreement(text).walk()[1:]] == [
        ("Article 1er", "Objet"), ("Article 2", "Prix"), ("ARTICLE 3", "Durée"), ("Artikel 4", "Haftung")]


def contents_page(sections: list[str]) -> str:
    """A web page: a heading, a contents list of in-page links, then numbered sections."""
    entries = [f"[{n}\\. {title}](#{n}-{title.lower().replace(' ', '-')})" for n, title in enumerate(sections, 1)]
    body = [f"{n}\\. {title}\n---\n\nThe rules on {title.lower()} apply to every order." for n, title in
            enumerate(sections, 1)]
    return "**Store Terms**\n---\n\n" + "\n\n".join(entries) + "\n\n" + "\n\n".join(body) + "\n"


def test_a_contents_list_of_page_links_is_one_unit_not_one_per_entry():
    text = contents_page(["Orders", "Delivery", "Returns", "Warranty"])
    root = parse_agreement(text)
    [contents] = [node for node in root.walk() if node.text.startswith("[1\\. Orders]")]
    assert contents.kind == "paragraph" and contents.text.count("](#") == 4
    assert labelled(root) == ["1.", "2.", "3.", "4."] and round_trips(text)


def test_sections_renumbered_by_an_insertion_change_the_contents_list_once():
    old = contents_page(["Orders", "Delivery", "Returns", "Warranty"])
    new = contents_page(["Orders", "Gift cards", "Delivery", "Returns", "Warranty"])
    result = diff(old, new)
    changed = [change for change in result.changes if change.status != "unchanged"]
    contents = [change for change in changed if change.new and "](#" in change.new.text]
    assert len(contents) == 1 and contents[0].status == "modified"
    assert result.summary()["renumbered"] == 3 and result.summary()["added"] == 1
