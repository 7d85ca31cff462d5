"""Finding the agreements in a compiled document."""

from __future__ import annotations

from clausewise.versions.pdfclean import clean_extracted_text
from clausewise.versions.split import guess_kind, is_title_line, split_agreements, split_document


def seed_document(corpus_path):
    return split_document(clean_extracted_text(corpus_path.read_text(encoding="utf-8")).text)


def clause(text: str, label: str) -> str:
    """The lines of clause ``label`` up to the next blank line."""
    start = text.index(f"\n{label} ") + 1
    end = text.find("\n\n", start)
    return text[start:end if end >= 0 else None]


def test_seed_holds_four_agreements_with_titles_ids_and_kinds(corpus_path):
    document = seed_document(corpus_path)
    found = document.agreements
    assert [a.kind for a in found] == ["sla", "general", "trial", "commercial"]
    assert [a.id for a in found] == ["agreement-1-sla", "agreement-2-general", "agreement-3-trial",
                                     "agreement-4-commercial"]
    assert found[2].title == "智能语音交互试用服务及服务改进计划协议"
    assert found[3].title == "智能语音合成服务及服务改进计划协议"
    assert found[1].title == "阿里云产品服务协议（通用）"
    assert {a.language for a in found} == {"zh-CN"}
    for agreement in found:
        assert agreement.text.startswith(agreement.title + "\n\n")
        assert "法律声明" not in agreement.text and "文档版本" not in agreement.text


def test_seed_front_matter_is_dropped_and_reported(corpus_path):
    document = seed_document(corpus_path)
    assert len(document.dropped) == 1
    part = document.dropped[0]
    assert part.first_line == 1
    assert part.description == "cover, legal notice, conventions"
    assert "法律声明" in part.text and "通用约定" in part.text


def test_seed_trial_and_commercial_bodies_line_up_for_the_differ(corpus_path):
    trial, commercial = seed_document(corpus_path).agreements[2:]
    for label in ("5.1", "5.2", "5.3"):
        assert clause(trial.text, label) == clause(commercial.text, label)
        assert clause(trial.text, label).count("承担任何责任") == 1
    assert clause(trial.text, "7.3") == clause(commercial.text, "7.2").replace("7.2", "7.3", 1)
    assert clause(trial.text, "9.4").startswith("9.4 本协议适用中国法律。")
    assert trial.text.endswith("人民法院提起诉讼。\n")
    for label in ("1.6", "2.6", "2.7"):
        assert clause(commercial.text, label)
    assert "2.6 " not in trial.text
    # the trial's body continues after its title was moved back to the top
    assert "三、服务内容\n阿里云将本服务" in trial.text


def test_markdown_compilation_splits_on_titles_not_on_clause_headings():
    text = ("# Terms of Service\n\n1. Services\nAcme provides the Service.\n\n12. Entire Agreement\n"
            "This agreement is the whole agreement.\n\n# Privacy Policy\n\n1. Data\nWe keep your data safe.\n")
    found = split_agreements(text)
    assert [(a.id, a.title, a.kind, a.language) for a in found] == [
        ("terms-of-service", "Terms of Service", "general", "en"),
        ("privacy-policy", "Privacy Policy", "general", "en"),
    ]
    assert "12. Entire Agreement" in found[0].text
    assert found[1].text.startswith("# Privacy Policy\n\n1. Data")


def test_english_title_lines_and_id_prefix():
    text = ("Cloud Trial Agreement\n\n1. Trial\n1.1 The trial lasts 30 days.\n\n"
            "Cloud Commercial Agreement\n\n1. Fees\n1.1 Fees are due monthly.\n")
    found = split_agreements(text, id_prefix="acme")
    assert [(a.id, a.kind) for a in found] == [("acme-cloud-trial-agreement", "trial"),
                                               ("acme-cloud-commercial-agreement", "commercial")]


def test_agreement_named_only_in_its_preamble():
    text = ("乙方使用本服务前应阅读《云盘服务协议》（以下简称“本协议”）。\n\n第一条 定义\n本服务指云盘。\n\n"
            "乙方使用试用版前应阅读《云盘试用协议》（以下简称“本协议”）。\n\n第一条 试用\n试用期为三十日。\n")
    found = split_agreements(text)
    assert [(a.title, a.kind, a.id) for a in found] == [("云盘服务协议", "general", "agreement-1-general"),
                                                        ("云盘试用协议", "trial", "agreement-2-trial")]
    assert found[1].text.startswith("乙方使用试用版前")


def test_untitled_text_with_clauses_is_one_agreement_and_other_text_is_none():
    clauses = "1. The parties agree as follows.\n2. The Customer shall pay.\n3. Either party may terminate.\n"
    found = split_agreements(clauses)
    assert len(found) == 1 and found[0].text == clauses
    assert split_agreements("Shopping list\n\neggs\nmilk\nbread\n") == []
    assert split_agreements("今天天气很好。\n我们去公园散步。\n") == []


def test_title_lines():
    assert is_title_line("3.智能云盘服务及服务改进计划协议")
    assert is_title_line("云存储服务协议（通用）")
    assert is_title_line("Terms of Service")
    assert is_title_line("# Data Processing Addendum")
    for not_title in ("12. Entire Agreement", "一、定义", "本协议适用中国法律。", "法律声明",
                      "Each party signs this agreement.", "termination of this agreement"):
        assert not is_title_line(not_title), not_title


def test_kind_guess_reads_the_title_then_the_opening():
    assert guess_kind("云存储服务等级协议", "") == "sla"
    assert guess_kind("语音合成服务协议", "您在使用商业版语音合成服务时") == "commercial"
    assert guess_kind("Beta Evaluation Agreement", "") == "trial"
    assert guess_kind("Master Agreement", "") == "general"
