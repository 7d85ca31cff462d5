"""Inline ops, invisible characters, typographic-only changes, topics and the renderers."""

from __future__ import annotations

import json

from clausewise.differ import diff_texts, find_clauses, render_json, render_markdown, render_text, topic_tags
from clausewise.differ.inline import inline_ops
from clausewise.differ.model import DocumentRef


def run(old: str, new: str):
    return diff_texts(old, new, DocumentRef("old", version=1), DocumentRef("new"))


def test_chinese_number_and_unit_change_reads_as_one_replacement():
    assert inline_ops("您应当在三十日内付款。", "您应当在十五个工作日内付款。") == [
        ("=", "您应当在"), ("-", "三十日"), ("+", "十五个工作日"), ("=", "内付款。")]


def test_english_changes_are_whole_words_and_width_is_no_change():
    ops = inline_ops("Interest at 1.5% per month（net）.", "Interest at 2% per month (net).")
    assert [(op, t) for op, t in ops if op != "="] == [("-", "1.5%"), ("+", "2%")]


def test_invisible_characters_width_and_line_breaks_are_unchanged():
    old = "二、费用\n2.1 您应在发票日期后三十日内\n支付费用（含税）。\n"
    new = "二、费用\n2.1 \u200b您应在发票日期后三十日内支付费用(含税)。\ufeff\u3000\n"
    assert [c.status for c in run(old, new).changes] == ["unchanged", "unchanged"]


def test_punctuation_only_and_renumbered_reference_are_not_substantive():
    old = "1. Scope.\n\n2. Fees are due monthly.\n\n3. As set out in Clause 2, fees are due -- always.\n"
    new = "1. Scope.\n\n2. Support is included.\n\n3. Fees are due monthly.\n\n4. As set out in Clause 3, fees are due, always.\n"
    changes = {c.new_label: c for c in run(old, new).changes}
    assert changes["4."].status == "modified" and not changes["4."].substantive
    assert changes["3."].status == "unchanged" and changes["3."].renumbered


def test_topics_in_both_languages():
    assert topic_tags("The Provider may assign this Agreement after written notice.") == ["assignment", "notice"]
    assert topic_tags("本协议适用中华人民共和国法律，争议提交杭州仲裁委员会。") == ["governing-law"]
    clauses = find_clauses("一、其他\n1.1 服务方有权在通知您后转让本协议。\n1.2 本协议自签署之日起生效。\n", "assignment")
    assert [c.label for c in clauses] == ["1.1"]


def test_text_markdown_and_json_agree_and_escape():
    diff = run("1. Pay <b>30</b> days *net*.\n", "1. Pay <b>15</b> days *net*.\n")
    plain = render_text(diff, context="none")
    assert plain.splitlines()[0] == "--- old (version 1)"
    assert "[-30-]{+15+}" in plain and "\x1b[" not in plain
    assert "\x1b[" in render_text(diff, color=True)
    md = render_markdown(diff)
    assert "\\<b\\>" in md and "~~30~~**15**" in md and "<b>" not in md
    data = json.loads(render_json(diff))
    assert data["schema"] == "clausewise.diff/1"
    assert data["changes"][0]["ops"] == [["=", "Pay <b>"], ["-", "30"], ["+", "15"], ["=", "</b> days *net*."]]


def test_json_change_lines_are_exactly_what_json_encodes_from_to_dict():
    """render_json writes change lines by hand for speed; they must stay the encoder's bytes."""
    from .pairs import NEW_EN, NEW_ZH, OLD_EN, OLD_ZH

    tricky = ('1. Quote " backslash \\ tab\t and \u2028 and <script>\n\n2. 控制\x07字符\n',
              '1. Quote " backslash \\ tab\t and \u2029 changed\n\n2. 控制字符\n\n3. New \ud7ff clause\n')
    for old, new in ((OLD_EN, NEW_EN), (OLD_ZH, NEW_ZH), tricky):
        diff = run(old, new)
        lines = render_json(diff).split("\n")
        start = lines.index('  "changes": [') + 1
        written = [line.strip().rstrip(",") for line in lines[start:start + len(diff.changes)]]
        expected = [json.dumps(change.to_dict(), ensure_ascii=False) for change in diff.changes]
        assert written == expected
