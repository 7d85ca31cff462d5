"""Cleaning text extracted from PDFs: each artifact kind, and real text that must stay."""

from __future__ import annotations

import re

from clausewise.versions.pdfclean import clean_extracted_text, join_split_words, undouble_line


def kinds(text: str) -> dict[str, int]:
    return clean_extracted_text(text).counts()


def test_line_printed_twice_is_kept_once_with_or_without_its_label():
    assert undouble_line("一、费用条款一、费用条款") == "一、费用条款"
    assert undouble_line("3.1 甲方应按月向乙方付款甲方应按月向乙方付款") == "3.1 甲方应按月向乙方付款"
    assert undouble_line("Definitions Definitions") == "Definitions"
    assert undouble_line("4. Fees4. Fees") == "4. Fees"


def test_lines_that_only_look_doubled_stay():
    assert undouble_line("常常") is None  # one character reduplicated is a real word
    assert undouble_line("1.1 1.1") is None  # no letters: nothing to undouble
    assert undouble_line("乙方应按月付款，甲方应按月收款") is None


def test_clause_body_doubled_line_by_line_comes_out_single():
    text = ("5.1 甲方可随时调整服务内容和提供方式甲方可随时调整服务内容和提供方式\n"
            "并提前通知乙方。并提前通知乙方。\n")
    result = clean_extracted_text(text)
    assert result.text == "5.1 甲方可随时调整服务内容和提供方式\n并提前通知乙方。\n"
    assert result.counts() == {"doubled-line": 2}
    assert [fix.line for fix in result.fixes] == [1, 2]


def test_sentence_doubled_inside_a_line_is_kept_once_but_a_tripled_one_stays():
    text = ("7.2 乙方同意加入服务改进计划。乙方同意加入服务改进计划。在此期间乙方授权甲方存储数据。\n"
            "2.2 The Customer pays all taxes. The Customer pays all taxes. The Customer pays all taxes.\n")
    result = clean_extracted_text(text)
    assert result.text.splitlines()[0] == "7.2 乙方同意加入服务改进计划。在此期间乙方授权甲方存储数据。"
    assert result.text.splitlines()[1].count("The Customer pays all taxes.") == 3
    assert result.counts() == {"doubled-sentence": 1}


def test_paragraph_repeated_right_after_itself_is_dropped_but_a_later_repeat_stays():
    preamble = "乙方在使用本服务前应当仔细阅读本协议全部条款，\n特别是免除或者限制责任的条款。"
    text = f"{preamble}\n\n{preamble}\n\n1.1 定义。\n\n{preamble}\n"
    result = clean_extracted_text(text)
    assert result.text.count("特别是免除或者限制责任的条款。") == 2
    assert result.text.startswith(preamble + "\n\n1.1 定义。")
    assert result.counts() == {"repeated-paragraph": 1}


def test_running_headers_and_page_numbers_between_form_feeds_are_removed():
    text = ("Acme Terms of Service | Page 1 of 3\nTerms of Service\n\n1. Fees\n1.1 Fees are due\n"
            "Page 1 of 3\n\fAcme Terms of Service | Page 2 of 3\nwithin thirty days.\n"
            "\fAcme Terms of Service | Page 3 of 3\n2. Assignment\n2.1 Acme may assign this agreement.\n")
    result = clean_extracted_text(text)
    assert "Page" not in result.text
    assert "\f" not in result.text
    assert "1.1 Fees are due within thirty days." in result.text  # the sentence flows on across the break
    assert result.counts()["running-header"] == 3
    assert result.counts()["page-number"] == 1


def test_leader_header_its_wrapped_tail_and_single_space_page_starts():
    text = ("协议汇编\n\n一、服务内容\n1.1 甲方向乙方提供云存储服务，\n\n协议汇编··云存储服务协议（标准\n）\n"
            " 服务期限为一年。\n\n1.2 乙方按月付费。\n协议汇编··云存储服务协议\n"
            " 1.3 乙方应妥善保管账号。\n\n协议汇编··云存储服务协议\n 1.4 本协议适用中国法律。\n")
    result = clean_extracted_text(text)
    assert "··" not in result.text and "\n）" not in result.text
    assert "1.1 甲方向乙方提供云存储服务，\n服务期限为一年。" in result.text
    assert "1.2 乙方按月付费。\n\n1.3 乙方应妥善保管账号。" in result.text
    assert not re.search(r"^ ", result.text, re.MULTILINE)
    assert result.counts()["running-header"] == 4  # three headers and one wrapped tail


def test_title_broken_doubled_and_printed_after_its_page_text_is_joined_and_moved_first():
    text = ("前言页\n 乙方使用本服务前应阅读《云存储服务协议》（以下简称“本协议”）。\n\n一、定义一、定义\n"
            "1.1 服务：指云存储。\n\n7.云存储服务7.云存储服务\n协议协议\n"
            " 1.2 用户：指乙方。\n")
    result = clean_extracted_text(text)
    lines = result.text.splitlines()
    assert lines[:4] == ["前言页", "", "7.云存储服务协议", ""]
    assert lines[4].startswith("乙方使用本服务前")
    assert "1.1 服务：指云存储。\n\n1.2 用户：指乙方。" in result.text
    assert {"broken-title", "misplaced-title", "doubled-line"} <= set(result.counts())


def test_split_words_join_only_when_plausible():
    words = {"terms", "service", "instance"}
    assert join_split_words("Press Ct rl+A to select all.", words) == "Press Ctrl+A to select all."
    assert join_split_words("Ter ms of Ser vice", words) == "Terms of Service"
    assert join_split_words("the Inst ance_ID field", words) == "the Instance_ID field"
    for real in ("I am in a hurry.", "Mr and Mrs Smith", "at one time", "bank fee", "data use", "200 ms"):
        assert join_split_words(real, words | {"atone"}) == real


def test_hyphenation_joins_words_and_keeps_real_compounds():
    text = "1.1 This agree-\nment binds the non-\nexclusive licensee of this agreement.\n"
    result = clean_extracted_text(text)
    assert result.text == "1.1 This agreement\nbinds the non-exclusive\nlicensee of this agreement.\n"
    assert result.counts() == {"hyphenation": 2}


def test_invisible_characters_are_normalised():
    text = "\ufeff1.1 甲方\u200b应付款。\n\u3000\u3000\n1.2 Fees\u00a0apply.\n"
    result = clean_extracted_text(text)
    assert result.text == "1.1 甲方应付款。\n\n1.2 Fees apply.\n"
    assert result.counts() == {"invisible-char": 3}


def test_clean_text_is_left_alone():
    text = "第一条 定义\n本协议中的术语含义如下。\n\n第二条 费用\n费用按月支付。费用按月支付前应开具发票。\n"
    assert clean_extracted_text(text).text == text
    assert clean_extracted_text(text).fixes == []


def test_seed_corpus_artifacts_are_gone_and_real_repeats_stay(corpus_path):
    raw = corpus_path.read_text(encoding="utf-8")
    result = clean_extracted_text(raw)
    text = result.text
    for line in text.splitlines():
        assert undouble_line(line) is None, line
    assert "··" not in text
    assert "Ct rl" not in text and "Ctrl+A" in text
    assert not re.search(r"^ ", text, re.MULTILINE)
    # the preamble of each agreement was printed twice; each copy is now single
    assert text.count("您在使用试用版智能语音交互服务时") == 1
    assert text.count("您在使用商业版智能语音合成服务时") == 1
    # sentences the two agreements share legitimately stay in both
    assert text.count("本协议任一方若违反本协议的约定") == 2
    assert text.count("9.3 阿里云有权在提前通知您后") == 2
    counts = result.counts()
    assert counts["doubled-line"] >= 40 and counts["running-header"] >= 4
    assert counts["repeated-paragraph"] == 2 and counts["misplaced-title"] == 4
    line_fixes = [f for f in result.fixes if f.kind in ("page-break", "doubled-line", "running-header")]
    for fix in line_fixes:  # each points at the input line it changed
        assert fix.before.strip() in raw.splitlines()[fix.line - 1]
