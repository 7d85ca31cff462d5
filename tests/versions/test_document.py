"""The agreement file format and the checks on agreement bytes (pure functions)."""

from __future__ import annotations

import pytest

from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.versions.document import (
    Metadata,
    check_id,
    decode_agreement,
    format_document,
    parse_document,
    same_body,
    suggest_id,
)


def test_format_then_parse_round_trips_metadata_and_body() -> None:
    metadata = Metadata('Cloud "Speech" 试用协议', "zh-CN", "trial", 15)
    body = "一、定义\n1.1 本服务：指语音识别服务。\n"
    metadata_back, body_back = parse_document(format_document(metadata, body), "x.txt")
    assert metadata_back == metadata
    assert body_back == body


def test_notice_days_is_optional() -> None:
    text = format_document(Metadata("T", "en", "general"), "Body text.\n")
    assert "notice_days" not in text
    assert parse_document(text, "x.md")[0].notice_days is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No front matter here.\n", "no front matter"),
        ("+++\ntitle = 'T'\n", "never closed"),
        ("+++\ntitle = \n+++\nBody\n", "invalid TOML"),
        ("+++\ntitle = 'T'\nlanguage = 'en'\nkind = 'trial'\nnotice_day = 3\n+++\nBody\n", "unknown front matter field 'notice_day'"),
        ("+++\ntitle = 'T'\nkind = 'trial'\n+++\nBody\n", "'language' is missing"),
        ("+++\ntitle = 'T'\nlanguage = 'english!'\nkind = 'trial'\n+++\nBody\n", "not a language tag"),
        ("+++\ntitle = 'T'\nlanguage = 'en'\nkind = 'trial'\nnotice_days = -1\n+++\nBody\n", "notice_days"),
    ],
)
def test_bad_front_matter_names_the_file_and_the_problem(text: str, expected: str) -> None:
    with pytest.raises(ClausewiseError) as caught:
        parse_document(text, "agreements/x.md")
    assert type(caught.value) is ClausewiseError  # a data problem (exit 1), not a usage problem
    assert str(caught.value).startswith("agreements/x.md")
    assert expected in str(caught.value)


def test_non_utf8_names_the_byte_offset() -> None:
    data = "一、定义\n".encode("utf-8") + "服务".encode("gb18030")
    with pytest.raises(ClausewiseError, match=r"in\.txt is not UTF-8 \(byte 0x.. at offset 13\)"):
        decode_agreement(data, "in.txt")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        ("  \n\u200b\ufeff\n\t".encode("utf-8"), "is empty"),
        (b"1.1 2.2 3.3 ---\n", "no letters"),
        (b"PK\x03\x04\x14\x00\x00\x00", "NUL byte at offset 5"),
        (b"%PDF-1.7\nbinary", "clausewise import"),
    ],
)
def test_files_that_are_not_agreements_are_refused(data: bytes, expected: str) -> None:
    with pytest.raises(ClausewiseError, match=expected):
        decode_agreement(data, "input")


def test_bom_is_dropped() -> None:
    assert decode_agreement("\ufeffAgreement".encode("utf-8"), "x") == "Agreement"


@pytest.mark.parametrize("good", ["trial", "cloud-speech-2024", "a1"])
def test_valid_ids(good: str) -> None:
    assert check_id(good) == good


@pytest.mark.parametrize("bad", ["Trial", "cloud speech", "-x", "x--y", "x/y", "", "a" * 65, "试用"])
def test_invalid_ids_are_usage_problems_with_a_suggestion(bad: str) -> None:
    with pytest.raises(UsageProblem, match="is not a slug"):
        check_id(bad)


def test_suggest_id() -> None:
    assert suggest_id("Cloud Speech Trial!") == "cloud-speech-trial"


def test_same_body_ignores_only_trailing_whitespace() -> None:
    assert same_body("1.1 Fees.  \n1.2 Data.\n\n\n", "1.1 Fees.\r\n1.2 Data.")
    assert not same_body("1.1 Fees.\n", "1.1  Fees.\n")
    assert not same_body("1.1 Fees.\n", " 1.1 Fees.\n")
