"""Publishing a version together with its ledger record and notice campaign.

The campaign and the ledger's publication record are written in one state-database transaction
that is opened before the branch moves and committed after: a database that cannot be written
(read-only, corrupt, full) stops the publish before anything is published, and a git failure rolls
the database back. Only a kill (or a failing COMMIT) between the branch move and the database
commit leaves a version without its campaign; ``missing_campaigns`` reports that (``verify``,
``notify status``) and ``reconcile_publications`` repairs it (``publish``, ``announce version``,
``notify send``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import ClausewiseError
from ..faults import checkpoint
from ..versions.notice_period import read_notice_period
from .campaigns import (
    build_version_campaign,
    clause_label,
    clause_text,
    notice_clause,
    notified_count,
    reconcile_publications,
    typographic_note,
    typographic_only,
)
from .schedule import plan_send_by
from .statedb import database_errors
from .store import Campaign, Customer, PublicationRecord, state_exists, state_location, store_for_repo

if TYPE_CHECKING:
    from ..versions import AgreementRepo, Version
    from ..versions.store import PublishPlan


@dataclass
class PublishOutcome:
    """What ``publish`` did (or, with ``dry_run``, would do)."""

    plan: PublishPlan
    version: Version | None  # None for a dry run
    campaign: Campaign | None
    notes: list[str] = field(default_factory=list)  # lines for the publisher, in order
    reach: int = 0  # customers the campaign reaches now
    emails: dict[str, str] = field(default_factory=dict)  # dry run: language -> one rendered email (text part)

    def lines(self) -> list[str]:
        """The notes, then the campaign's line."""
        lines = list(self.notes)
        if self.campaign is not None:
            lines.append(campaign_text(self.campaign, self.reach))
        return lines

    def dry_run_text(self) -> str:
        """What a dry run shows: the commit, the tag, the campaign."""
        p = self.plan.publication
        lines = ["Dry run: nothing was written.",
                 f"Would commit {self.plan.relative} as {p.agreement_id} v{p.number} (tag {p.tag}), effective "
                 f"{p.effective.isoformat()} with {p.notice_days} days' notice; text SHA-256 {p.text_sha256}.",
                 f"Summary (customers read it word for word): {p.summary or '(none)'}"]
        if p.short_notice_reason is not None:
            lines.append(f"Short notice would be recorded: {p.short_notice_reason}")
        lines += self.lines()
        for language, email in self.emails.items():
            lines += ["", f"--- the notice in {language}, as one customer would get it ---", email.rstrip("\n")]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        p = self.plan.publication
        campaign = self.campaign
        return {
            "dry_run": self.version is None, "agreement": p.agreement_id, "version": p.number, "tag": p.tag,
            "file": self.plan.relative, "effective": p.effective.isoformat(), "notice_days": p.notice_days,
            "summary": p.summary, "short_notice_reason": p.short_notice_reason, "text_sha256": p.text_sha256,
            "commit": self.version.commit if self.version else None, "notes": self.notes,
            "campaign": None if campaign is None else {
                "id": campaign.id, "customers": self.reach, "send_by": campaign.send_by.isoformat(),
                "clause": campaign.clause_label},
            "emails": self.emails,
        }


def campaign_text(campaign: Campaign, reach: int) -> str:
    """One line on a version campaign: id, reach, send-by and effective dates."""
    return (f"notice campaign {campaign.id}: {reach} customer{'s' if reach != 1 else ''} to notify by "
            f"{campaign.send_by.isoformat()} (effective {campaign.effective.isoformat()})")


def publish_version(repo: AgreementRepo, agreement_id: str, effective: date, *, notice_days: int | None = None,
                    summary: str = "", allow_short_notice: str | None = None, today: date | None = None,
                    dry_run: bool = False) -> PublishOutcome:
    """Publish the working text of ``agreement_id`` as its next version with its notice campaign.

    With ``dry_run`` everything is checked and planned, and nothing is written.
    """
    today = today or date.today()
    versions = repo.versions(agreement_id)
    required, cited = None, ""
    if versions:  # the notice clause of the version in force says how much notice a change needs
        clause = notice_clause(repo.text(agreement_id, versions[-1].number))
        if clause is not None:
            required = read_notice_period(clause_text(clause))
            cited = f"clause {clause_label(clause)} of {versions[-1].tag}"
    plan = repo.plan_publish(agreement_id, effective, notice_days=notice_days, summary=summary,
                             allow_short_notice=allow_short_notice, today=today, required=required, cited=cited)
    publication = plan.publication
    notes = list(plan.notes)
    campaign: Campaign | None = None
    decision = "first"
    if plan.previous is not None:
        previous_text = repo.text(agreement_id, plan.previous.number)
        if typographic_only(previous_text, plan.body):
            decision = "typographic"
            notes.append(typographic_note(agreement_id, publication.number))
        else:
            decision = "campaign"
            deadline = plan_send_by(effective, publication.notice_days, today, publication.short_notice_reason)
            campaign = build_version_campaign(previous_text, agreement_id, publication.number, effective,
                                              publication.notice_days, deadline, publication.summary,
                                              publication.short_notice_reason)
    if dry_run:
        customers = _affected_without_writing(repo, agreement_id, publication.number)
        emails = _sample_emails(repo, plan, campaign, customers) if campaign is not None else {}
        return PublishOutcome(plan, None, campaign, notes, len(customers), emails)
    version: Version | None = None
    try:
        with store_for_repo(repo) as store:
            prepared = repo.prepare_publish(plan)
            with store.transaction():
                if campaign is not None:
                    campaign = store.create_campaign(campaign)
                    store.sync_notices(campaign.id)
                store.record_publication(PublicationRecord(
                    agreement_id, publication.number, publication.tag, prepared.commit,
                    publication.text_sha256 or "", campaign.id if campaign else None, decision))
                checkpoint("ledger-written")
                version = repo.complete_publish(prepared)
            checkpoint("published")
            reach = notified_count(store, campaign) if campaign is not None else 0
    except database_errors() as exc:
        where = state_location(repo)
        if version is None:
            raise ClausewiseError(f"{where}: the state database failed ({exc}); nothing was published. Make it "
                                  "writable (or restore it from a backup) and publish again") from None
        raise ClausewiseError(f"published {version.tag}, but the state database failed ({exc}) so its notice "
                              f"campaign was not stored; fix {where} and run 'clausewise announce version "
                              f"{agreement_id}'") from None
    return PublishOutcome(plan, version, campaign, notes, reach)


def repair_missing_campaigns(repo: AgreementRepo) -> list[str]:
    """Create the campaigns that interrupted publishes left missing (see reconcile_publications);
    ``publish`` runs it first, whatever then happens to the new version. Without a state database
    there is nothing to repair (publish creates it)."""
    if not state_exists(repo):
        return []
    try:
        with store_for_repo(repo) as store:
            return reconcile_publications(repo, store)
    except database_errors() as exc:
        raise ClausewiseError(f"{state_location(repo)}: the state database failed ({exc}); nothing was published. "
                              "Make it writable (or restore it from a backup) and publish again") from None


def _affected_without_writing(repo: AgreementRepo, agreement_id: str, number: int) -> list[Customer]:
    """The customers on a version below ``number`` (none when there is no state database yet, or an
    empty PostgreSQL one: a dry run creates no schema)."""
    if not state_exists(repo):
        return []
    with store_for_repo(repo, migrate=False) as store:
        if store.schema_version() == 0:
            return []
        return [customer for customer in store.customers(agreement=agreement_id) if customer.version < number]


def _sample_emails(repo: AgreementRepo, plan: PublishPlan, campaign: Campaign,
                   customers: list[Customer]) -> dict[str, str]:
    """One rendered notice (text part) per language of the affected customers (of the agreement's
    own language when there are none yet), composed as if ``plan`` were published."""
    from .compose import Composer, _pending_notice, message_part
    from .message import date_header

    samples: dict[str, Customer] = {}
    for customer in customers:
        samples.setdefault(customer.language, customer)
    if not samples:
        language = "zh-CN" if plan.language.lower().startswith("zh") else "en"
        samples[language] = Customer("sample-customer", "Sample Customer", "customer@example.com", language,
                                     plan.publication.agreement_id, plan.publication.number - 1)
    composer = Composer(_Projected(repo, plan))
    return {language: message_part(composer.build(campaign, _pending_notice(campaign, customer), date_header()), "text")
            for language, customer in sorted(samples.items())}


class _Projected:
    """The repository as it will be once ``plan`` is published: what a dry run renders emails from."""

    def __init__(self, repo: AgreementRepo, plan: PublishPlan) -> None:
        from ..versions.store import Resolved, Version

        self._repo, self._plan = repo, plan
        p = plan.publication
        self._version = Version(p.agreement_id, p.number, p.tag, "0" * 40, p.effective, p.notice_days, p.summary,
                                datetime.now(timezone.utc), p.short_notice_reason, p.text_sha256)
        self._resolved = Resolved(ref=f"{p.agreement_id}@v{p.number}", title=plan.title, version=p.number,
                                  effective=p.effective.isoformat())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repo, name)

    def _is_new(self, agreement_id: str, number: object) -> bool:
        return agreement_id == self._version.agreement_id and number == self._version.number

    def resolve(self, ref: str) -> tuple[str, Any]:
        agreement_id, _, version = ref.partition("@v")
        if version.isdigit() and self._is_new(agreement_id, int(version)):
            return self._plan.body, self._resolved
        return self._repo.resolve(ref)

    def text(self, agreement_id: str, version: int | None = None) -> str:
        return self._plan.body if self._is_new(agreement_id, version) else self._repo.text(agreement_id, version)

    def version(self, agreement_id: str, number: int) -> Version:
        return self._version if self._is_new(agreement_id, number) else self._repo.version(agreement_id, number)

    def versions(self, agreement_id: str) -> list[Version]:
        versions = self._repo.versions(agreement_id)
        return versions + [self._version] if agreement_id == self._version.agreement_id else versions
