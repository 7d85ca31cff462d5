"""Clause trees: numbering styles, nesting, wrapped lines, and the exact round trip."""

from __future__ import annotations

import pytest

from clausewise.differ import parse_agreement
from clausewise.differ.model import Clause

from .pairs import NEW_EN, OLD_ZH

ARTICLES = """\
数据服务协议

第一条 定义
本协议所称数据，指客户上传的信息。

第二条 费用
（一）基础费用按月支付；
（二）超额部分按量计费，单价为每千次0.5元，
50%的费用于次月结清。
（三）费用调整须提前通知。

第十二条 争议解决
双方协商不成的，提交仲裁。
"""

ENGLISH_PLAIN = """\
MASTER SERVICES AGREEMENT

Article 5 Liability

5.1 The Supplier's total liability under this Agreement shall not exceed the fees paid in the
2026. calendar year, and the limits in Section 9.3
Section 9.3 of the Order Form apply as well.
5.2 Neither party excludes liability for:
(a) fraud;
(b) death or personal injury, including
   (i) injury caused by negligence; and
   (ii) injury caused by defective equipment;
(c) anything that cannot be excluded by law.
9.3.1 stray numbering
"""

MARKDOWN_LIST = """\
## 9. General

1. Notices must be in writing.
1. Either party may assign this Agreement
   with consent.
1. This Agreement is governed by Irish law.

### 9.1 Entire agreement
This is the entire agreement.
"""


def labels(root: Clause) -> list[tuple[int, str | None]]:
    return [(node.level, node.label) for node in root.walk()[1:]]


@pytest.mark.parametrize("text", [ARTICLES, ENGLISH_PLAIN, MARKDOWN_LIST, NEW_EN, OLD_ZH,
                                  "\ufeff \u200b\r\n1. a\r\n\r\n", "", "no clauses at all"])
def test_round_trip_gives_the_original_text(text):
    root = parse_agreement(text)
    assert "".join(node.source for node in root.walk()) == text


def test_seed_round_trip(corpus_path):
    text = corpus_path.read_text("utf-8")
    assert "".join(node.source for node in parse_agreement(text).walk()) == text


def test_chinese_articles_and_items():
    root = parse_agreement(ARTICLES)
    assert labels(root) == [(1, "第一条"), (1, "第二条"), (2, "（一）"), (2, "（二）"), (2, "（三）"), (1, "第十二条")]
    assert root.text == "数据服务协议"
    fees = root.children[1]
    assert fees.heading == "费用" and fees.path == ("第二条",)
    assert fees.children[1].text == "超额部分按量计费，单价为每千次0.5元，50%的费用于次月结清。"
    assert fees.children[1].path == ("第二条", "（二）")


def test_decimal_under_chinese_sections():
    root = parse_agreement(OLD_ZH)
    assert [n.label for n in root.children] == ["一、", "二、", "三、", "四、"]
    assert [c.label for c in root.children[0].children] == ["1.1", "1.2", "1.3"]
    assert root.children[0].heading == "定义"
    assert root.children[0].children[0].line == 6


def test_wrapped_years_and_cross_references_do_not_split():
    root = parse_agreement(ENGLISH_PLAIN)
    assert labels(root) == [(1, "Article 5"), (2, "5.1"), (2, "5.2"), (3, "(a)"), (3, "(b)"), (4, "(i)"),
                            (4, "(ii)"), (3, "(c)")]
    assert "2026. calendar year" in root.children[0].children[0].text
    assert "Section 9.3 of the Order Form" in root.children[0].children[0].text
    assert root.children[0].heading == "Liability"
    assert root.text == "MASTER SERVICES AGREEMENT"
    assert "9.3.1 stray numbering" in root.walk()[-1].text


def test_markdown_headings_and_repeated_one_lists():
    root = parse_agreement(MARKDOWN_LIST)
    assert labels(root) == [(1, "9."), (2, "1."), (2, "1."), (2, "1."), (2, "9.1")]
    general = root.children[0]
    assert general.heading == "General" and general.kind == "heading"
    assert general.children[1].text == "Either party may assign this Agreement with consent."
    assert general.children[3].heading == "Entire agreement"
