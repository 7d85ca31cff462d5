"""Publication messages, the short-notice rule and version refs (pure functions)."""

from __future__ import annotations

from datetime import date

import git
import pytest

from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.versions.publication import Publication, check_notice, format_message, parse_date, parse_message, split_ref


def test_message_round_trips() -> None:
    publication = Publication("cloud-trial", 3, date(2031, 5, 1), 15, "Assignment to affiliates", "required by regulator")
    assert parse_message(format_message(publication)) == publication


def test_git_reads_the_same_trailers(tmp_path) -> None:
    publication = Publication("trial", 2, date(2031, 5, 1), 30, "Fees: lower", None)
    raw = git.Repo.init(tmp_path)
    message_file = tmp_path / "msg"
    message_file.write_text(format_message(publication))
    trailers = raw.git.interpret_trailers("--parse", str(message_file))
    assert trailers.splitlines() == [
        "Clausewise-Agreement: trial",
        "Clausewise-Version: 2",
        "Effective-Date: 2031-05-01",
        "Notice-Days: 30",
    ]


@pytest.mark.parametrize(
    "message",
    ["Add draft agreement trial\n", "Publish x v1\n\nClausewise-Agreement: x\nClausewise-Version: 1\n",
     "Publish x v1\n\nClausewise-Agreement: x\nClausewise-Version: one\nEffective-Date: 2031-01-01\nNotice-Days: 3\n"],
)
def test_other_messages_are_not_publications(message: str) -> None:
    assert parse_message(message) is None


def test_notice_exactly_long_enough_passes() -> None:
    check_notice(date(2031, 3, 31), 30, date(2031, 3, 1), None)


def test_short_notice_names_the_earliest_date_and_the_way_out() -> None:
    with pytest.raises(ClausewiseError, match=r"use 2031-03-31 or later, or pass --allow-short-notice REASON"):
        check_notice(date(2031, 3, 30), 30, date(2031, 3, 1), None)
    check_notice(date(2031, 3, 30), 30, date(2031, 3, 1), "court order")


def test_a_past_date_is_short_notice_even_with_zero_days() -> None:
    with pytest.raises(ClausewiseError):
        check_notice(date(2031, 2, 28), 0, date(2031, 3, 1), None)


@pytest.mark.parametrize("bad", ["2031-02-30", "31-01-2031", "20310101", "tomorrow", ""])
def test_invalid_dates_are_usage_problems(bad: str) -> None:
    with pytest.raises(UsageProblem, match="--effective .* use YYYY-MM-DD"):
        parse_date(bad, "--effective")


def test_split_ref() -> None:
    assert split_ref("trial") == ("trial", None)
    assert split_ref("trial@v12") == ("trial", 12)
    assert split_ref("trial@3") == ("trial", 3)
    assert split_ref("trial@latest") == ("trial", "latest")


@pytest.mark.parametrize("bad", ["trial@v0", "trial@vx", "trial@", "trial@v1@v2"])
def test_malformed_refs_are_usage_problems(bad: str) -> None:
    with pytest.raises(UsageProblem, match="v1, v2"):
        split_ref(bad)
