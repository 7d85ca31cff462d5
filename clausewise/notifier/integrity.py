"""What ``verify`` checks beyond the tags: the ledger's record of every published version (commit
and SHA-256 of the text, kept outside git) and the notice campaign each version needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .campaigns import missing_campaigns
from .store import state_exists, state_location, store_for_repo

if TYPE_CHECKING:
    from ..versions import AgreementRepo


def ledger_problems(repo: AgreementRepo) -> tuple[list[str], list[str]]:
    """(problems, notes): versions whose commit or text differs from the ledger's record, records
    of versions no longer in the history, and published versions without their campaign."""
    notes: list[str] = []
    replaced = repo.replace_refs()
    if replaced:
        notes.append(f"{len(replaced)} replace ref(s) ({replaced[0]}, ...) exist; clausewise ignores them and "
                     "reads the original objects")
    if not state_exists(repo):
        notes.append(f"no state database ({state_location(repo)}): the ledger's records and the campaigns were "
                     "not checked")
        return [], notes
    problems: list[str] = []
    with store_for_repo(repo) as store:
        records = store.publications()
        versions = {(v.agreement_id, v.number): v for v in repo.all_versions()}
        for key, record in sorted(records.items()):
            version = versions.get(key)
            if version is None:
                problems.append(f"{record.tag} is in the ledger (commit {record.commit[:12]}) but not in the "
                                "history: the branch was reset or the history rewritten")
            elif version.commit != record.commit:
                problems.append(f"{record.tag} was published as commit {record.commit[:12]} (ledger) but the history "
                                f"has {version.commit[:12]}: the history was rewritten")
            elif repo.published_sha256(version) != record.text_sha256:
                problems.append(f"the text of {record.tag} does not match the SHA-256 in the ledger: the history "
                                "was altered")
        problems += missing_campaigns(repo, store)
    return problems, notes
