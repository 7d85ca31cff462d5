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
