"""Shell completion of agreement ids, ``ID@vN`` refs and campaign ids (click's ``shell_complete`` functions).

Completion must never fail or print: any problem (no repository, a broken file) completes nothing.
"""

from __future__ import annotations


import click
from click.shell_completion import CompletionItem

from .errors import ClausewiseError


def _repo_dir(ctx: click.Context) -> str:
    """The command's ``--repo``, already resolved by its callback (after, before the command, $CLAUSEWISE_REPO)."""
    return ctx.params.get("repo_dir") or "."


def _agreements(ctx: click.Context) -> dict[str, list[int]]:
    """Each agreement id (working tree and history) with its published version numbers."""
    try:
        from .versions import open_repo

        repo = open_repo(_repo_dir(ctx))
        found: dict[str, list[int]] = {agreement.id: [] for agreement in repo.listing()}
        for version in repo.all_versions():
            found.setdefault(version.agreement_id, []).append(version.number)
        return found
    except (ClausewiseError, OSError, ValueError):
        return {}


def complete_agreement_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Agreement ids starting with ``incomplete``."""
    return [CompletionItem(agreement_id) for agreement_id in sorted(_agreements(ctx))
            if agreement_id.startswith(incomplete)]


def complete_refs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``ID``, ``ID@latest`` and ``ID@vN`` for every published N, then files (a ref may be a path)."""
    items = []
    for agreement_id, numbers in sorted(_agreements(ctx).items()):
        refs = [agreement_id] + ([f"{agreement_id}@latest"] + [f"{agreement_id}@v{n}" for n in numbers]
                                 if numbers else [])
        items += [CompletionItem(ref) for ref in refs if ref.startswith(incomplete)]
    if "@" not in incomplete:
        items.append(CompletionItem(incomplete, type="file"))
    return items


def complete_campaign_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Campaign ids starting with ``incomplete``, read from an existing state database, which is
    never created or migrated for it (an older schema is read as it is, or completes nothing)."""
    try:
        from .notifier.store import state_exists, store_for_repo
        from .versions import open_repo

        repo = open_repo(_repo_dir(ctx))
        if not state_exists(repo):
            return []
        with store_for_repo(repo, migrate=False) as store:
            ids = [campaign.id for campaign in store.campaigns()]
    except Exception:  # noqa: BLE001 - completion must never fail or print, whatever the state holds
        return []
    return [CompletionItem(campaign_id) for campaign_id in ids if campaign_id.startswith(incomplete)]


def complete_directories(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Let the shell complete directory names."""
    return [CompletionItem(incomplete, type="dir")]
