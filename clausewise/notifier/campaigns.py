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
from .message import header_text_problem
from .schedule import plan_send_by
from .store import Campaign, Store, utc_now

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
                            allow_short_notice: str | None = None, today: date | None = None) -> Campaign | None:
    """The campaign telling every customer on an earlier version about ``version`` (None for a
    first version, which nobody accepted before). Cites the agreement's clause about notice of
    changes, if it has one, as worded in the version in force until now (the terms that govern how
    they may be changed)."""
    if version.number == 1:
        return None
    campaign_id = version_campaign_id(version.agreement_id, version.number)
    existing = store.find_campaign(campaign_id)
    if existing is not None:
        return existing
    reason = version.short_notice_reason or allow_short_notice
    deadline = plan_send_by(version.effective, version.notice_days, today or date.today(), reason)
    earlier = version.number - 1
    clause = notice_clause(repo.text(version.agreement_id, earlier))
    return store.create_campaign(Campaign(
        id=campaign_id, kind="version", agreement=version.agreement_id,
        from_versions="v1" if earlier == 1 else f"v1-v{earlier}", to_version=version.number,
        effective=version.effective, notice_days=version.notice_days, send_by=deadline, created_at=utc_now(),
        summary=version.summary, clause_label=clause_label(clause) if clause else None,
        clause_text=clause_text(clause) if clause else None, new_party=None, short_notice_reason=reason))


def announce_assignment(repo: AgreementRepo, store: Store, agreement_id: str, to_party: str, effective: date,
                        notice_days: int | None = None, *, clause: str | None = None, summary: str = "",
                        allow_short_notice: str | None = None, today: date | None = None) -> Campaign:
    """The campaign telling every customer of ``agreement_id`` that it is assigned to ``to_party``
    on ``effective``, citing the clause that allows the assignment: the one tagged ``assignment``
    in the latest published version, or the clause labelled ``clause``."""
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
    days = agreement.notice_days if notice_days is None else notice_days
    if days < 0:
        raise UsageProblem(f"--notice-days {days} must be 0 or more")
    deadline = plan_send_by(effective, days, today or date.today(), allow_short_notice)
    text = repo.text(agreement_id, latest.number)
    cited = labelled_clause(text, clause, f"{agreement_id} v{latest.number}") if clause else assignment_clause(text)
    if cited is None:
        raise ClausewiseError(
            f"no clause of {agreement_id} v{latest.number} reads as an assignment clause, so the notice cannot cite "
            f"the clause that allows the assignment; cite one by hand with --clause LABEL (see 'clausewise show "
            f"{agreement_id}@v{latest.number}')")
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


def typographic_only(repo: AgreementRepo, version: Version) -> bool:
    """True when no change from the previous version is substantive: only punctuation, spacing,
    character width or numbering changed (see the differ's ``substantive`` flag)."""
    from ..differ import diff_texts
    from ..differ.model import DocumentRef

    agreement_id, previous = version.agreement_id, version.number - 1
    diff = diff_texts(repo.text(agreement_id, previous), repo.text(agreement_id, version.number),
                      DocumentRef(f"{agreement_id}@v{previous}"), DocumentRef(f"{agreement_id}@v{version.number}"))
    return not any(change.substantive for change in diff.changes)


def after_publish(repo: AgreementRepo, version: Version) -> str | None:
    """The publish hook: create the version's campaign (and the state database if there is none);
    returns the line to print, or None for a first version.

    A version whose changes are all typographic gets no campaign, so that customers are not sent a
    notice that says nothing; the line says how to announce it anyway (the publisher decides)."""
    from .store import store_for_repo

    if version.number > 1 and typographic_only(repo, version):
        return (f"no notice campaign: every change from v{version.number - 1} to v{version.number} is typographic "
                "only (punctuation, spacing, character width or numbering); to notify customers anyway, run "
                f"'clausewise announce version {version.agreement_id}'")
    try:
        with store_for_repo(repo) as store:
            campaign = create_version_campaign(repo, store, version)
            if campaign is None:
                return None
            return campaign_line(store, campaign)
    except ClausewiseError as exc:
        raise ClausewiseError(f"published {version.tag}, but its notice campaign was not created: {exc}; fix this "
                              f"and run 'clausewise announce version {version.agreement_id}'") from None


def campaign_line(store: Store, campaign: Campaign) -> str:
    """One line on a campaign for the commands that create one: id, reach, send-by and effective dates."""
    line = (f"notice campaign {campaign.id}: {notified_count(store, campaign)} customers to notify by "
            f"{campaign.send_by.isoformat()} (effective {campaign.effective.isoformat()})")
    return f"{line}, citing clause {campaign.clause_label}" if campaign.kind == "assignment" else line
