"""Send-by dates and campaign states (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.schedule import campaign_state, plan_send_by, send_by


def test_send_by_is_effective_minus_notice_period() -> None:
    assert send_by(date(2030, 3, 1), 30) == date(2030, 1, 30)  # across February
    assert send_by(date(2030, 3, 1), 0) == date(2030, 3, 1)


def test_plan_send_by_accepts_enough_notice_and_refuses_short_notice() -> None:
    assert plan_send_by(date(2030, 3, 1), 30, date(2030, 1, 30), None) == date(2030, 1, 30)
    with pytest.raises(ClausewiseError, match=r"leaves 29 days of notice, less than the 30 days required; "
                                              r"use 2030-03-02 or later, or pass --allow-short-notice REASON"):
        plan_send_by(date(2030, 3, 1), 30, date(2030, 1, 31), None)


def test_short_notice_with_a_reason_is_due_today() -> None:
    assert plan_send_by(date(2030, 3, 1), 30, date(2030, 2, 20), "regulator order") == date(2030, 2, 20)


@pytest.mark.parametrize(("today", "not_sent", "state"), [
    (date(2030, 1, 29), 5, "on track"),
    (date(2030, 1, 30), 5, "due"),
    (date(2030, 1, 31), 5, "OVERDUE"),
    (date(2030, 1, 31), 0, "done"),
    (date(2030, 1, 1), 0, "done"),
])
def test_campaign_state(today: date, not_sent: int, state: str) -> None:
    assert campaign_state(date(2030, 1, 30), not_sent, today) == state


def test_a_past_effective_date_is_said_to_be_in_the_past_not_negative_days() -> None:
    with pytest.raises(ClausewiseError, match=r"effective date 2029-12-30 leaves no notice: it is in the past "
                                              r"\(2 days ago\), less than the 30 days required; use 2030-01-31"):
        plan_send_by(date(2029, 12, 30), 30, date(2030, 1, 1), None)
    with pytest.raises(ClausewiseError, match=r"leaves no notice: it is today"):
        plan_send_by(date(2030, 1, 1), 30, date(2030, 1, 1), None)
