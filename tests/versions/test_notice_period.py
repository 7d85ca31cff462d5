"""Reading the notice period from a clause's own words (en and zh phrasings), and settling it."""

from __future__ import annotations

import pytest

from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.versions.notice_period import (
    NoticeRequirement,
    preset_days,
    read_notice_period,
    settle_notice_days,
)


@pytest.mark.parametrize(("text", "days"), [
    ("We will give you notice of any change at least thirty (30) days before it takes effect.", 30),
    ("Either party may assign this Agreement upon 30 days' prior written notice to the other party.", 30),
    ("We will notify you not less than fifteen days before the change applies.", 15),
    ("We may amend these terms by giving you at least sixty days notice in advance.", 60),
    ("We will give you twenty-one days' prior notice of any change.", 21),
    ("We will notify you at least 10 business days in advance.", 14),
    ("We will give you at least two weeks' notice before a change.", 14),
    ("We will give you one month's prior notice of any change.", 31),
    ("The trial lasts thirty days. We will notify you of changes at least 45 days before they apply.", 45),
    ("我方有权修改本协议，并将提前三十（30）日通知您。", 30),
    ("本协议变更的，我方应提前15日以公告方式通知用户。", 15),
    ("平台规则修改时应当至少提前七日予以公示。", 7),
    ("我们将提前30天通知您。", 30),
    ("我方将提前十个工作日通知您。", 14),
    ("我方将提前一个月通知您。", 31),
    ("变更应当提前二十（20）日通知，重大变更提前三十日通知。", 30),
])
def test_the_number_of_days_is_read_from_the_clause(text: str, days: int) -> None:
    found = read_notice_period(text)
    assert found is not None and found.days == days, found


@pytest.mark.parametrize("text", [
    "The Provider may assign this Agreement to an affiliate after giving the Customer notice in advance.",
    "我方可在提前通知您后，将本协议项下的权利义务转让给关联公司。",
])
def test_in_advance_without_a_number_has_no_days(text: str) -> None:
    found = read_notice_period(text)
    assert found is not None and found.days is None and found.phrase


@pytest.mark.parametrize("text", [
    "The trial lasts thirty days from activation.",
    "This agreement is governed by the laws of England.",
    "试用期为三十日。",
])
def test_a_clause_without_advance_notice_requires_none(text: str) -> None:
    assert read_notice_period(text) is None


def test_presets_name_the_legal_minimums() -> None:
    assert preset_days("eu-p2b", "notice_days") == 15
    assert preset_days("prc-ecommerce", "notice_days") == 7
    assert preset_days(20, "notice_days") == 20 and preset_days(None, "notice_days") is None
    with pytest.raises(ClausewiseError, match="'eu-p2b' \\(15 days, EU Platform-to-Business Regulation"):
        preset_days("gdpr", "notice_days")


CLAUSE = "clause 2.1 of trial v1"


def test_a_shorter_given_period_is_refused_unless_a_reason_is_given() -> None:
    required = NoticeRequirement(30, "at least thirty (30) days")
    with pytest.raises(UsageProblem, match="--notice-days gives 10 days' notice, but clause 2.1 of trial v1 requires 30"):
        settle_notice_days(10, "--notice-days", 30, required, CLAUSE, None)
    days, notes = settle_notice_days(10, "--notice-days", 30, required, CLAUSE, "regulator's order")
    assert days == 10 and "the reason is recorded: regulator's order" in notes[0]
    assert settle_notice_days(45, "--notice-days", 30, required, CLAUSE, None) == (45, [])


def test_the_default_is_raised_to_the_clauses_period_and_kept_for_in_advance() -> None:
    days, notes = settle_notice_days(None, "", 30, NoticeRequirement(60, "sixty days' notice"), CLAUSE, None)
    assert days == 60 and "60 days, as clause 2.1 of trial v1 requires" in notes[0]
    days, notes = settle_notice_days(None, "", 30, NoticeRequirement(None, "notice in advance"), CLAUSE, None)
    assert days == 30 and "without a number of days; using the default, 30 days" in notes[0]
    assert settle_notice_days(None, "", 30, None, CLAUSE, None) == (30, [])
