"""What the notifier reports: customer listings, campaign status, and the proof-of-notice report.

Listings and the report are streamed row by row from the database, so a million customers or
notices never sit in memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from ..fileutil import output_file
from .schedule import campaign_status, needs_attention
from .store import Campaign, Customer, Notice, SenderRecord, Store, to_text, utc_now

REPORT_SCHEMA = "clausewise.notice-report/2"
STATUS_SCHEMA = "clausewise.notify-status/2"
REPORT_FIELDS = ("campaign", "kind", "agreement", "from_version", "to_version", "effective", "send_by",
                 "customer_id", "name", "email", "language", "status", "timing", "after_effective_reason",
                 "attempts", "sent_at", "message_id", "reply", "sha256", "date_header", "last_error", "bounced_at",
                 "bounce", "cancelled", "cancel_reason")
CUSTOMER_FIELDS = ("customer_id", "agreement", "version", "language", "email", "name")
# OWASP CSV injection: a spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNREACHED_SHOWN = 50  # customers listed by `notify status` text output (JSON lists them all)


# -- customers -------------------------------------------------------------------------------------


def customer_dict(customer: Customer) -> dict[str, object]:
    return {"customer_id": customer.customer_id, "agreement": customer.agreement, "version": customer.version,
            "language": customer.language, "email": customer.email, "name": customer.name,
            "updated_at": to_text(customer.updated_at) if customer.updated_at else None}


def customer_lines(customers: Iterable[Customer], fmt: str) -> Iterator[str]:
    """A customer listing, line by line: ``text`` (aligned columns), ``csv`` or ``json`` (JSON Lines)."""
    if fmt == "json":
        for customer in customers:
            yield json.dumps(customer_dict(customer), ensure_ascii=False)
        return
    if fmt == "csv":
        yield _csv_line(CUSTOMER_FIELDS)
        for customer in customers:
            yield _csv_line([spreadsheet_safe(customer_dict(customer)[field]) for field in CUSTOMER_FIELDS])
        return
    yield f"{'CUSTOMER':<16} {'AGREEMENT':<20} {'VERSION':<8} {'LANG':<6} {'EMAIL':<32} NAME"
    for c in customers:
        yield f"{c.customer_id:<16} {c.agreement:<20} {'v' + str(c.version):<8} {c.language:<6} {c.email:<32} {c.name}"


def customer_detail(customer_id: str, rows: list[Customer], notices: list[Notice], fmt: str) -> str:
    """One customer: each agreement row, and each notice the ledger holds for them."""
    if fmt == "json":
        return json.dumps({"customer_id": customer_id, "agreements": [customer_dict(c) for c in rows],
                           "notices": [_notice_summary(n) for n in notices]}, ensure_ascii=False, indent=2)
    lines = [f"customer {customer_id}"]
    for c in rows:
        lines.append(f"  {c.agreement} v{c.version}: {c.name} <{c.email}> ({c.language})")
    lines.append("notices:" if notices else "notices: none yet")
    for n in notices:
        sent = f", sent {to_text(n.sent_at)} ({n.timing})" if n.sent_at else ""
        bounced = f", BOUNCED ({n.bounce})" if n.bounced_at else ""
        why = f" ({n.cancel_reason})" if n.cancel_reason else f" ({n.last_error})" if n.status == "failed" else ""
        lines.append(f"  {n.campaign_id}: {n.status}{why} to {n.email}, {n.attempts} attempts{sent}{bounced}")
    return "\n".join(lines)


def _notice_summary(notice: Notice) -> dict[str, object]:
    return {"campaign": notice.campaign_id, "status": notice.status, "email": notice.email,
            "attempts": notice.attempts, "sent_at": to_text(notice.sent_at) if notice.sent_at else None,
            "timing": notice.timing, "message_id": notice.message_id, "last_error": notice.last_error,
            "bounced_at": to_text(notice.bounced_at) if notice.bounced_at else None, "bounce": notice.bounce,
            "cancel_reason": notice.cancel_reason}


# -- campaign status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignStatus:
    campaign: Campaign
    totals: dict[str, int]  # pending, sending, sent, failed, cancelled
    outcomes: dict[str, int]  # late, after_effective, bounced
    state: str  # see schedule.campaign_status

    @property
    def not_sent(self) -> int:
        return self.totals["pending"] + self.totals["sending"] + self.totals["failed"]

    @property
    def late(self) -> int:
        """Notices sent after the send-by date, the effective date included."""
        return self.outcomes["late"] + self.outcomes["after_effective"]

    def to_dict(self) -> dict[str, object]:
        c = self.campaign
        return {"campaign": c.id, "kind": c.kind, "agreement": c.agreement, "from_versions": c.from_versions,
                "to_version": c.to_version, "new_party": c.new_party, "send_by": c.send_by.isoformat(),
                "effective": c.effective.isoformat(), "notice_days": c.notice_days, "state": self.state,
                "totals": dict(self.totals), "late": self.outcomes["late"],
                "after_effective": self.outcomes["after_effective"], "bounced": self.outcomes["bounced"],
                "clause": c.clause_label, "short_notice_reason": c.short_notice_reason,
                "cancelled_at": to_text(c.cancelled_at) if c.cancelled_at else None, "cancel_reason": c.cancel_reason}


@dataclass(frozen=True)
class StatusReport:
    campaigns: list[CampaignStatus]
    unreached: list[Notice]  # failed or bounced: these customers need another channel (or a corrected address)
    senders: list[SenderRecord] = field(default_factory=list)  # `notify send` processes holding a lease


def campaign_statuses(store: Store, today: date) -> list[CampaignStatus]:
    """Every campaign with its totals and state. Newly affected customers are added to the ledger
    first (as ``notify send`` would), so that they count as pending."""
    store.sync_notices()
    totals = store.totals()
    outcomes = store.outcomes()
    result = []
    for campaign in store.campaigns():
        counts = totals[campaign.id]
        found = outcomes.get(campaign.id, {"late": 0, "after_effective": 0, "bounced": 0})
        not_sent = counts["pending"] + counts["sending"] + counts["failed"]
        state = campaign_status(campaign.send_by, not_sent, today, failed=counts["failed"], bounced=found["bounced"],
                                late=found["late"] + found["after_effective"],
                                cancelled=campaign.cancelled_at is not None)
        result.append(CampaignStatus(campaign, counts, found, state))
    return result


def status_report(store: Store, today: date) -> StatusReport:
    """Every campaign's status, and the customers the ledger says were not reached."""
    return StatusReport(campaign_statuses(store, today), store.unreached(), store.senders())


def status_text(statuses: list[CampaignStatus], unreached: list[Notice] | None = None,
                senders: list[SenderRecord] | None = None) -> str:
    if not statuses:
        return "no notice campaigns yet; 'clausewise publish' and 'clausewise announce' create them"
    width = max(len("CAMPAIGN"), *(len(s.campaign.id) for s in statuses))
    lines = [f"{'CAMPAIGN':<{width}}  {'VERSIONS':<12} {'SEND BY':<10}  {'EFFECTIVE':<10}  "
             f"{'PENDING':>7} {'SENDING':>7} {'SENT':>7} {'LATE':>5} {'FAILED':>7} {'BOUNCED':>7}  STATE"]
    for s in statuses:
        c, t = s.campaign, s.totals
        versions = f"{c.from_versions} -> v{c.to_version}" if c.from_versions else f"v{c.to_version}"
        lines.append(f"{c.id:<{width}}  {versions:<12} {c.send_by.isoformat():<10}  {c.effective.isoformat():<10}  "
                     f"{t['pending']:>7} {t['sending']:>7} {t['sent']:>7} {s.late:>5} {t['failed']:>7} "
                     f"{s.outcomes['bounced']:>7}  {s.state}")
    if unreached:
        lines.append("")
        lines.append(f"Not reached ({len(unreached)}): correct the address and run 'clausewise notify retry', "
                     "or reach these customers another way:")
        for n in unreached[:UNREACHED_SHOWN]:
            why = f"bounced: {n.bounce}" if n.bounced_at else f"failed: {n.last_error}"
            lines.append(f"  {n.campaign_id}  {n.customer_id}  {n.email}  {why}")
        if len(unreached) > UNREACHED_SHOWN:
            lines.append(f"  ... and {len(unreached) - UNREACHED_SHOWN} more (see 'clausewise notify status "
                         "--format json')")
    if senders:
        now = utc_now()
        lines.append("")
        lines.append(f"Senders ({len(senders)}):")
        for sender in senders:
            state = "running" if sender.lease_until >= now else "LEASE EXPIRED (its notices go to the next sender)"
            lines.append(f"  {sender.host} pid {sender.pid}  since {to_text(sender.started_at)}  {state}, lease until "
                         f"{to_text(sender.lease_until)}  {sender.sent} sent  {sender.connections} connections to "
                         f"{sender.relay}" + (f"  campaign {sender.campaign_id}" if sender.campaign_id else ""))
    return "\n".join(lines)


def sender_dict(sender: SenderRecord) -> dict[str, object]:
    return {"worker_id": sender.worker_id, "host": sender.host, "pid": sender.pid, "relay": sender.relay,
            "campaign": sender.campaign_id, "started_at": to_text(sender.started_at),
            "renewed_at": to_text(sender.renewed_at), "lease_until": to_text(sender.lease_until),
            "expired": sender.lease_until < utc_now(), "connections": sender.connections, "sent": sender.sent}


def status_json(statuses: list[CampaignStatus], today: date, unreached: list[Notice] | None = None,
                senders: list[SenderRecord] | None = None) -> str:
    return json.dumps({"schema": STATUS_SCHEMA, "today": today.isoformat(),
                       "overdue": [s.campaign.id for s in statuses if "OVERDUE" in s.state.split(", ")],
                       "attention": [s.campaign.id for s in statuses if needs_attention(s.state)],
                       "campaigns": [s.to_dict() for s in statuses],
                       "unreached": [{"campaign": n.campaign_id, "customer_id": n.customer_id, "email": n.email,
                                      "status": n.status, "last_error": n.last_error, "bounce": n.bounce}
                                     for n in unreached or []],
                       "senders": [sender_dict(s) for s in senders or []]}, ensure_ascii=False, indent=2)


def attention_message(statuses: list[CampaignStatus]) -> str | None:
    """One line naming the campaigns that are OVERDUE or have failed or bounced notices, and what to
    do, or None when none needs attention."""
    flagged = [s for s in statuses if needs_attention(s.state)]
    if not flagged:
        return None
    named = ", ".join(f"{s.campaign.id} ({_problem(s)})" for s in flagged)
    return (f"{len(flagged)} campaign{'s' if len(flagged) > 1 else ''} need{'' if len(flagged) > 1 else 's'} "
            f"attention: {named}; send pending notices with 'clausewise notify send', retry failed ones with "
            "'clausewise notify retry' after correcting the address, and reach bounced customers another way")


def _problem(status: CampaignStatus) -> str:
    parts = []
    if "OVERDUE" in status.state:
        parts.append(f"OVERDUE: send by {status.campaign.send_by.isoformat()}, {status.not_sent} not sent")
    if status.totals["failed"]:
        parts.append(f"{status.totals['failed']} FAILED")
    if status.outcomes["bounced"]:
        parts.append(f"{status.outcomes['bounced']} BOUNCED")
    return ", ".join(parts)


# -- proof of notice -------------------------------------------------------------------------------


def report_rows(store: Store, campaign_id: str | None = None) -> Iterator[dict[str, object]]:
    """One row per ledger notice with the fields of REPORT_FIELDS, in (campaign, customer) order.

    An unknown ``campaign_id`` raises at once, before any row is written.
    """
    campaigns = {c.id: c for c in store.campaigns()} if campaign_id is None else {
        campaign_id: store.campaign(campaign_id)}
    return _report_rows(store.notices(campaign_id), campaigns)


def _report_rows(notices: Iterator[Notice], campaigns: dict[str, Campaign]) -> Iterator[dict[str, object]]:
    for n in notices:
        c = campaigns[n.campaign_id]
        yield {"campaign": c.id, "kind": c.kind, "agreement": c.agreement, "from_version": f"v{n.accepted_version}",
               "to_version": f"v{c.to_version}", "effective": c.effective.isoformat(),
               "send_by": c.send_by.isoformat(), "customer_id": n.customer_id, "name": n.name, "email": n.email,
               "language": n.language, "status": n.status, "timing": n.timing,
               "after_effective_reason": n.after_effective_reason, "attempts": n.attempts,
               "sent_at": to_text(n.sent_at) if n.sent_at else None, "message_id": n.message_id, "reply": n.reply,
               "sha256": n.sha256, "date_header": n.date_header, "last_error": n.last_error,
               "bounced_at": to_text(n.bounced_at) if n.bounced_at else None, "bounce": n.bounce,
               "cancelled": n.status == "cancelled", "cancel_reason": n.cancel_reason}


def write_report(rows: Iterable[dict[str, object]], out: TextIO, fmt: str) -> int:
    """Stream ``rows`` to ``out`` as CSV (header + rows) or one JSON document; returns the row count."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for count, row in enumerate(rows, start=1):
            writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
        return count
    out.write(f'{{"schema": "{REPORT_SCHEMA}", "notices": [')
    for count, row in enumerate(rows, start=1):
        out.write(("\n  " if count == 1 else ",\n  ") + json.dumps(row, ensure_ascii=False))
    out.write("\n]}\n" if count else "]}\n")
    return count


def write_report_file(rows: Iterable[dict[str, object]], path: str | os.PathLike[str], fmt: str) -> int:
    """Like :func:`write_report`, into the output file ``path`` (see fileutil.output_file): readers
    see the old file or the whole new one."""
    with output_file(path, newline="") as handle:
        return write_report(rows, handle, fmt)


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: one starting with ``= + - @``, tab or CR gets a
    leading single quote (OWASP). Only text is changed; numbers, booleans and None pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()
