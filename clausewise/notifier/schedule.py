"""When notices must go out, and whether a campaign is on time. Pure logic, no I/O."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from ..errors import ClausewiseError
from ..versions.publication import short_notice_message

CampaignState = Literal["done", "on track", "due", "OVERDUE"]
NoticeTiming = Literal["on time", "late", "after effective"]
# Problems that make `notify status` exit 1 (LATE is shown, but it is history, not something to act on).
ATTENTION = ("OVERDUE", "FAILED", "BOUNCED")


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
        raise ClausewiseError(short_notice_message(effective, notice_days, today))
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


def campaign_status(send_by_date: date, not_sent: int, today: date, *, failed: int = 0, bounced: int = 0,
                    late: int = 0, cancelled: bool = False) -> str:
    """The state `notify status` shows: :func:`campaign_state`, never ``done`` or ``on track``
    while a notice failed or bounced (``FAILED``, ``BOUNCED`` instead, joined to ``due`` or
    ``OVERDUE`` when those apply), ``LATE`` for a campaign all sent but some of it late, and
    ``cancelled`` for a cancelled campaign."""
    if cancelled:
        return "cancelled"
    base = campaign_state(send_by_date, not_sent, today)
    problems = [name for name, count in (("FAILED", failed), ("BOUNCED", bounced)) if count]
    if base == "done" and late and not problems:
        return "LATE"
    if not problems:
        return base
    return ", ".join(problems if base in ("done", "on track") else [base, *problems])


def needs_attention(state: str) -> bool:
    """Whether a state from :func:`campaign_status` should make `notify status` exit 1."""
    return any(problem in state.split(", ") for problem in ATTENTION)


def notice_timing(sent_on: date, send_by_date: date, effective: date) -> NoticeTiming:
    """How a notice sent on ``sent_on`` (UTC) stands: ``on time`` by the send-by date, ``late``
    after it but before the effective date, ``after effective`` on or after the effective date
    (no advance notice at all)."""
    if sent_on <= send_by_date:
        return "on time"
    if sent_on < effective:
        return "late"
    return "after effective"
