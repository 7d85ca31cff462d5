"""When notices must go out, and whether a campaign is on time. Pure logic, no I/O."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from ..errors import ClausewiseError

CampaignState = Literal["done", "on track", "due", "OVERDUE"]


def send_by(effective: date, notice_days: int) -> date:
    """The last day on which a notice still gives ``notice_days`` days before ``effective``."""
    return effective - timedelta(days=notice_days)


def plan_send_by(effective: date, notice_days: int, today: date, allow_short_notice: str | None) -> date:
    """The send-by date of a new campaign.

    Refuses an effective date that leaves less than the notice period from ``today``, unless a
    reason for the short notice is given; a short-notice campaign is due at once (send-by today).
    """
    deadline = send_by(effective, notice_days)
    if deadline >= today:
        return deadline
    if allow_short_notice is None:
        raise ClausewiseError(
            f"effective date {effective.isoformat()} leaves {(effective - today).days} days of notice, less than "
            f"the {notice_days} days required; use {(today + timedelta(days=notice_days)).isoformat()} or "
            "later, or pass --allow-short-notice REASON")
    return today


def campaign_state(send_by_date: date, not_sent: int, today: date) -> CampaignState:
    """``done`` when every notice is sent; else ``on track`` before the send-by date, ``due`` on
    it, and ``OVERDUE`` after it. ``not_sent`` counts pending, in-flight and failed notices."""
    if not_sent == 0:
        return "done"
    if today < send_by_date:
        return "on track"
    if today == send_by_date:
        return "due"
    return "OVERDUE"
