"""Notice campaigns: one for each newly published version, one for each announced assignment.

A campaign records what customers are told and by when; the ledger (store.sync_notices) decides
who is affected, so customers imported later are picked up by the next send. Creating a campaign
again with the same arguments returns the one already stored.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from ..differ import find_clauses, parse_agreement, topic_tags
from ..differ.model import Clause
from ..errors import ClausewiseError, UsageProblem
from ..versions.notice_period import read_notice_period, settle_notice_days
from ..versions.publication import check_effective_range, check_notice_days
from .message import header_text_problem
from .schedule import plan_send_by, send_by
from .store import Campaign, PublicationRecord, Store, utc_now

if TYPE_CHECKING:
    from ..versions import AgreementRepo, Version

# Words that say a clause is about changing the terms (preferred when citing the notice clause).
_CHANGE_WORDS = re.compile(r"\b(?:chang|amend|modif|revis|updat|vary|variation)\w*|变更|修改|修订|调整|更新",
                           re.IGNORECASE)
_WHOLE_AGREEMENT = re.compile(r"\b(?:this|the) (?:agreement|terms)\b|these terms|本协议|本条款", re.IGNORECASE)


def version_campaign_id(agreement_id: str, number: int) -> str:
    return f"{agreement_id}/v{number}"


def assignment_campaign_id(agreement_id: str, effective: date) -> str:
    return f"{agreement_id}/assignment-{effective.isoformat()}"


def create_version_campaign(repo: AgreementRepo, store: Store, version: Version, *,
                            allow_short_notice: str | None = None, today: date | None = None,
                            repair: bool = False) -> Campaign | None:
    """The campaign telling every customer on an earlier version about ``version`` (None for a
    first version, which nobody accepted before). Cites the agreement's clause about notice of
    changes, if it has one, as worded in the version in force until now (the terms that govern how
    they may be changed).

    ``repair``: the version was published (and its notice checked) by a publish that was
    interrupted before its campaign was stored; the campaign gets the send-by date it would have
    had, even if that is past (``notify status`` then shows it as OVERDUE)."""
    if version.number == 1:
        return None
    campaign_id = version_campaign_id(version.agreement_id, version.number)
    existing = store.find_campaign(campaign_id)
    if existing is not None:
        return existing
    reason = version.short_notice_reason or allow_short_notice
    if repair:
        deadline = send_by(version.effective, version.notice_days)
        if reason is not None:
            deadline = min(deadline, version.published_at.date())
    else:
        deadline = plan_send_by(version.effective, version.notice_days, today or date.today(), reason)
    return store.create_campaign(build_version_campaign(
        repo.text(version.agreement_id, version.number - 1), version.agreement_id, version.number,
        version.effective, version.notice_days, deadline, version.summary, reason))


def build_version_campaign(previous_text: str, agreement_id: str, number: int, effective: date, notice_days: int,
                           deadline: date, summary: str, short_notice_reason: str | None) -> Campaign:
    """The campaign of version ``number`` (not stored), citing the notice clause of ``previous_text``."""
    earlier = number - 1
    clause = notice_clause(previous_text)
    return Campaign(
        id=version_campaign_id(agreement_id, number), kind="version", agreement=agreement_id,
        from_versions="v1" if earlier == 1 else f"v1-v{earlier}", to_version=number,
        effective=effective, notice_days=notice_days, send_by=deadline, created_at=utc_now(),
        summary=summary, clause_label=clause_label(clause) if clause else None,
        clause_text=clause_text(clause) if clause else None, new_party=None, short_notice_reason=short_notice_reason)


def announce_assignment(repo: AgreementRepo, store: Store, agreement_id: str, to_party: str, effective: date,
                        notice_days: int | None = None, *, clause: str | None = None, summary: str = "",
                        allow_short_notice: str | None = None, today: date | None = None,
                        notes: list[str] | None = None) -> Campaign:
    """The campaign telling every customer of ``agreement_id`` that it is assigned to ``to_party``
    on ``effective``, citing the clause that allows the assignment: the one tagged ``assignment``
    in the latest published version, or the clause labelled ``clause``. The notice period must be
    at least what that clause requires (see ``settle_notice_days``); lines about how it was settled
    are appended to ``notes``. ``summary`` is stored on the campaign and told to customers."""
    to_party = to_party.strip()
    if not to_party or header_text_problem(to_party):
        raise UsageProblem(f"--to {to_party!r} must name the new party on one line, without control characters "
                           "or '=?' (it goes into the email's subject), e.g. --to 'Example Cloud Ltd'")
    agreement = repo.agreement(agreement_id)
    versions = repo.versions(agreement_id)
    if not versions:
        raise ClausewiseError(f"{agreement_id} has no published version, so no customer has accepted it; "
                              "publish it first")
    latest = versions[-1]
    campaign_id = assignment_campaign_id(agreement_id, effective)
    existing = store.find_campaign(campaign_id)
    if existing is not None:
        if existing.new_party != to_party:
            raise ClausewiseError(f"campaign {campaign_id} already announces the assignment to "
                                  f"{existing.new_party!r}; an agreement is assigned to one party on one date")
        return existing
    check_effective_range(effective)
    text = repo.text(agreement_id, latest.number)
    cited = labelled_clause(text, clause, f"{agreement_id} v{latest.number}") if clause else assignment_clause(text)
    if cited is None:
        raise ClausewiseError(
            f"no clause of {agreement_id} v{latest.number} reads as an assignment clause, so the notice cannot cite "
            f"the clause that allows the assignment; cite one by hand with --clause LABEL (see 'clausewise show "
            f"{agreement_id}@v{latest.number}')")
    if notice_days is not None:
        given, source = check_notice_days(notice_days, "--notice-days"), "--notice-days"
    elif agreement.notice_days_set:
        given, source = agreement.notice_days, f"notice_days in {agreement.path.name}"
    else:
        given, source = None, ""
    days, settled = settle_notice_days(given, source, repo.config.default_notice_days,
                                       read_notice_period(clause_text(cited)),
                                       f"clause {clause_label(cited)} of {latest.tag}", allow_short_notice)
    if notes is not None:
        notes += settled
    deadline = plan_send_by(effective, days, today or date.today(), allow_short_notice)
    return store.create_campaign(Campaign(
        id=campaign_id, kind="assignment", agreement=agreement_id, from_versions=None, to_version=latest.number,
        effective=effective, notice_days=days, send_by=deadline, created_at=utc_now(), summary=summary.strip(),
        clause_label=clause_label(cited), clause_text=clause_text(cited), new_party=to_party,
        short_notice_reason=allow_short_notice))


def notified_count(store: Store, campaign: Campaign) -> int:
    """How many customers the campaign reaches now (adding newly affected ones to the ledger)."""
    store.sync_notices(campaign.id)
    return sum(store.totals()[campaign.id].values())


def assignment_clause(text: str) -> Clause | None:
    """The clause allowing assignment: tagged ``assignment`` by its own words, preferring one
    that also speaks of notice."""
    return _best(find_clauses(text, "assignment"), "assignment", prefer="notice")


def notice_clause(text: str) -> Clause | None:
    """The clause requiring notice of changes: tagged ``notice`` by its own words and speaking of
    changes; never an assignment clause (its notice is about something else). None when there is
    no such clause: citing a clause about some other notice would mislead the customer."""
    candidates = [c for c in _own(find_clauses(text, "notice"), "notice")
                  if "assignment" not in topic_tags(_own_words(c))]
    about_changes = [c for c in candidates if _CHANGE_WORDS.search(_own_words(c))]
    # A clause on changing the agreement itself beats one on changing, say, prices.
    about_changes.sort(key=lambda c: not _WHOLE_AGREEMENT.search(_own_words(c)))
    return about_changes[0] if about_changes else None


def labelled_clause(text: str, label: str, where: str) -> Clause:
    """The clause of ``text`` whose label reads ``label`` (ignoring '#', spaces and a final dot)."""
    wanted = _label_key(label)
    nodes = [n for n in parse_agreement(text).walk() if n.label is not None]
    for node in nodes:
        if _label_key(node.label) == wanted:
            return node
    sample = ", ".join(clause_label(n) for n in nodes[:12]) or "none"
    raise UsageProblem(f"no clause labelled {label!r} in {where}; its labels are: {sample}"
                       f"{' ...' if len(nodes) > 12 else ''}")


def clause_label(clause: Clause) -> str:
    """How the clause is cited: its label as written, without Markdown '#'; its heading if unlabelled."""
    if clause.label is None:
        return clause.heading or ""
    return clause.label.lstrip("#").strip()


def clause_text(clause: Clause) -> str:
    """The clause's words: its own text (or heading) and its sub-clauses as written."""
    parts = [clause.text.strip() or (clause.heading or "")]
    parts += ["".join(node.source for node in child.walk()).strip() for child in clause.children]
    return "\n".join(part for part in parts if part)


def _label_key(label: str) -> str:
    return label.lstrip("#").strip().rstrip(".．、").casefold()


def _own_words(clause: Clause) -> str:
    return f"{clause.heading or ''}\n{clause.text}"


def _own(clauses: list[Clause], tag: str) -> list[Clause]:
    """Those clauses whose own heading or text carries ``tag`` (not only a heading above them)."""
    return [c for c in clauses if tag in topic_tags(_own_words(c)) and c.text.strip()]


def _best(clauses: list[Clause], tag: str, prefer: str) -> Clause | None:
    own = _own(clauses, tag)
    preferred = [c for c in own if prefer in topic_tags(_own_words(c))]
    return (preferred or own or clauses or [None])[0]


def typographic_only(old_text: str, new_text: str) -> bool:
    """True when no change from ``old_text`` to ``new_text`` is substantive: only punctuation,
    spacing, character width or numbering changed (see the differ's ``substantive`` flag)."""
    from ..differ import diff_texts
    from ..differ.model import DocumentRef

    diff = diff_texts(old_text, new_text, DocumentRef("old"), DocumentRef("new"))
    return not any(change.substantive for change in diff.changes)


def typographic_note(agreement_id: str, number: int) -> str:
    return (f"no notice campaign: every change from v{number - 1} to v{number} is typographic only "
            "(punctuation, spacing, character width or numbering); to notify customers anyway, run "
            f"'clausewise announce version {agreement_id}'")


def reconcile_publications(repo: AgreementRepo, store: Store) -> list[str]:
    """Record every published version the ledger misses (see ``_unrecorded``), creating the campaign
    of each that needs one: this repairs a publish that was killed (or failed) after its commit and
    before its campaign. Returns a line for each campaign created."""
    lines: list[str] = []
    for version in _unrecorded(repo, store):
        decision, campaign = _decision(repo, store, version)
        if decision == "campaign" and campaign is None:
            campaign = create_version_campaign(repo, store, version, repair=True)
            lines.append(f"created the missing notice campaign of {version.tag} (its publish was interrupted "
                         f"before it): {campaign_line(store, campaign)}")
        store.record_publication(PublicationRecord(
            version.agreement_id, version.number, version.tag, version.commit,
            version.text_sha256 or repo.published_sha256(version), campaign.id if campaign else None, decision))
    return lines


def missing_campaigns(repo: AgreementRepo, store: Store) -> list[str]:
    """One line for each published version that needs a notice campaign and has none (read only)."""
    problems = []
    for version in _unrecorded(repo, store):
        decision, campaign = _decision(repo, store, version)
        if decision == "campaign" and campaign is None:
            problems.append(
                f"{version.tag} is published but its notice campaign is missing (the publish was interrupted); "
                f"create it with 'clausewise announce version {version.agreement_id} --version {version.number}' "
                "(or any 'clausewise publish' or 'clausewise notify send')")
    return problems


def _unrecorded(repo: AgreementRepo, store: Store) -> list[Version]:
    """Published versions the ledger should have recorded and has not: those later than a version
    it did record (a publish records its version in the same transaction as the campaign, so a
    gap is an interrupted publish). Versions published before the ledger kept records, or with the
    library's git-only ``AgreementRepo.publish``, are not the ledger's to judge."""
    records = store.publications()
    first_recorded: dict[str, int] = {}
    for agreement, number in records:
        first_recorded[agreement] = min(number, first_recorded.get(agreement, number))
    return [v for v in repo.all_versions() if (v.agreement_id, v.number) not in records
            and v.number > first_recorded.get(v.agreement_id, v.number)]


def _decision(repo: AgreementRepo, store: Store, version: Version) -> tuple[str, Campaign | None]:
    """Whether ``version`` needs a campaign ('campaign') or none ('first', 'typographic'), and the
    campaign stored for it, if any."""
    if version.number == 1:
        return "first", None
    existing = store.find_campaign(version_campaign_id(version.agreement_id, version.number))
    if existing is not None:
        return "campaign", existing
    if typographic_only(repo.text(version.agreement_id, version.number - 1),
                        repo.text(version.agreement_id, version.number)):
        return "typographic", None
    return "campaign", None


def campaign_line(store: Store, campaign: Campaign) -> str:
    """One line on a campaign for the commands that create one: id, reach, send-by and effective dates."""
    count = notified_count(store, campaign)
    line = (f"notice campaign {campaign.id}: {count} customer{'s' if count != 1 else ''} to notify by "
            f"{campaign.send_by.isoformat()} (effective {campaign.effective.isoformat()})")
    return f"{line}, citing clause {campaign.clause_label}" if campaign.kind == "assignment" else line
