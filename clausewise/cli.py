"""The ``clausewise`` command: a thin click layer over clausewise.versions, .differ and .notifier.

Commands parse arguments, call the library, and print. Library modules are imported inside the
commands so that ``--help`` and small jobs start fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from . import __version__
from .completion import complete_agreement_ids, complete_campaign_ids, complete_directories, complete_refs
from .diff_command import CONTEXTS as DIFF_CONTEXTS
from .diff_command import FORMATS as DIFF_FORMATS
from .diff_command import UI_LANGUAGES as DIFF_UI_LANGUAGES
from .errors import ClausewiseError, translate_fault


# The sections of ``clausewise --help``, in the README's order; commands not named here are listed
# under "Other commands", so a new command is never hidden.
HELP_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Versions (record and publish agreements)",
     ("init", "add", "update", "import", "publish", "list", "log", "show", "verify")),
    ("Diff (compare texts clause by clause)", ("diff",)),
    ("Notify (customers, campaigns, emails, proof)", ("customers", "announce", "notify", "state")),
    ("Try it", ("demo",)),
)


class ClausewiseGroup(click.Group):
    """Turns a ClausewiseError, and a fault of the machine (full disk, read-only or damaged
    repository or database: see errors.translate_fault), into one 'Error: ...' line on stderr and
    its exit code, never a traceback; lists the commands of ``--help`` in sections (versions, diff,
    notify) as the README does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse an argument that is not UTF-8 before any command sees it: Python keeps such argv
        bytes as lone surrogates, which neither SQLite, git nor the terminal can encode."""
        for arg in args:
            bad = next((char for char in arg if "\ud800" <= char <= "\udfff"), None)
            if bad is not None:
                shown = arg.encode("utf-8", "surrogateescape" if "\udc80" <= bad <= "\udcff" else "backslashreplace")
                raise click.UsageError(f"argument {shown!r} is not valid UTF-8 text; give it in UTF-8 "
                                       "(rename a file whose name is not UTF-8)", ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ClausewiseError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            error = translate_fault(exc)
            if error is None:
                raise
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if ctx.parent is not None:  # sub-groups (customers, notify, ...) keep click's plain list
            return super().format_commands(ctx, formatter)
        commands = {name: self.get_command(ctx, name) for name in self.list_commands(ctx)}
        visible = {name: command for name, command in commands.items() if command is not None and not command.hidden}
        limit = formatter.width - 6 - max((len(name) for name in visible), default=0)
        placed: set[str] = set()
        sections = []
        for title, names in HELP_SECTIONS:
            rows = [(name, visible[name].get_short_help_str(limit)) for name in names if name in visible]
            placed.update(names)
            sections.append((title, rows))
        sections.append(("Other commands", [(name, command.get_short_help_str(limit))
                                            for name, command in visible.items() if name not in placed]))
        for title, rows in sections:
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _root_param(ctx: click.Context, name: str):
    """A global option's value (given before the command), or None."""
    root = ctx.find_root()
    return root.params.get(name) if root is not ctx else None


def _resolve_repo(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """``--repo`` after the command wins, then ``--repo`` before it, then $CLAUSEWISE_REPO, then '.'."""
    return value or _root_param(ctx, "repo_dir") or os.environ.get("CLAUSEWISE_REPO") or "."


def show_progress() -> bool:
    """Progress bars only on a terminal (stderr), and never with ``--quiet`` (before or after the command)."""
    import sys

    ctx = click.get_current_context()
    quiet = ctx.params.get("quiet") or _root_param(ctx, "quiet")
    return not quiet and sys.stderr.isatty()


def quiet_option(func):
    """``--quiet`` for commands that show progress (also accepted before the command)."""
    return click.option("-q", "--quiet", is_flag=True, default=False,
                        help="No progress bar (one is drawn only when stderr is a terminal).")(func)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar on stderr, or None when not on a terminal
    or with ``--quiet``; the bar is finished on exit."""
    if not show_progress():
        yield None
        return
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=click.get_text_stream("stderr"))
        bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.render_finish()


def repo_option(func):
    """``--repo DIR`` for every command, after it; ``clausewise --repo DIR COMMAND`` works as well."""
    return click.option(
        "--repo",
        "repo_dir",
        default=None,
        callback=_resolve_repo,
        show_default="current directory, or $CLAUSEWISE_REPO",
        type=click.Path(file_okay=False),
        shell_complete=complete_directories,
        help="The agreements repository (may also come before the command, as git -C).",
    )(func)


def format_option(*choices: str, default: str = "text"):
    """``--format`` for commands whose output is data."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format.",
    )


@click.group(cls=ClausewiseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clausewise")
@click.option("--repo", "repo_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              shell_complete=complete_directories,
              help="The agreements repository for the command  [default: $CLAUSEWISE_REPO, else the current "
                   "directory]; a --repo after the command wins.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars (drawn only when stderr is a terminal).")
def main(repo_dir: str | None, quiet: bool) -> None:
    """Keep agreements under version control, see what changed clause by clause, and notify
    every affected customer before a change or an assignment takes effect.

    Shell completion (commands, agreement ids, ID@vN): see 'Shell completion' in the README, e.g.
    eval "$(_CLAUSEWISE_COMPLETE=bash_source clausewise)" in ~/.bashrc.
    """


# --- versions: init, add, import, publish, list, log, show, verify ----------------------------


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@repo_option
def init(directory: str | None, repo_dir: str) -> None:
    """Create (or adopt) an agreements repository in DIRECTORY (default: --repo)."""
    from .versions import init_repo

    repo = init_repo(directory or repo_dir)
    click.echo(f"Agreements repository ready in {repo.root} (settings in {repo.root / 'clausewise.toml'}).")


@main.command()
@click.argument("agreement_id", metavar="ID", shell_complete=complete_agreement_ids)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--title", help="Title of the agreement (default: from the file's front matter).")
@click.option("--lang", "language", help="Language tag: en, zh-CN, ... (default: from the front matter).")
@click.option("--kind", help="trial, commercial, sla, general, ... (default: from the front matter).")
@click.option("--notice-days", type=click.IntRange(min=0), help="Advance notice for changes (default: clausewise.toml).")
@click.option("--accept-revisions", is_flag=True,
              help="Read a Word document's unaccepted tracked changes as accepted (default: refuse it).")
@repo_option
def add(agreement_id: str, file: str, title: str | None, language: str | None, kind: str | None,
        notice_days: int | None, accept_revisions: bool, repo_dir: str) -> None:
    """Start agreement ID from FILE (Markdown, plain text, Word .docx or PDF) and commit it as a draft.

    A Word document is stored as Markdown, a PDF's text (cleaned of page furniture) as plain text;
    what the reader left out (footnotes, comments ...) is printed as notes."""
    from .versions import open_repo

    agreement, notes = open_repo(repo_dir).add_file(agreement_id, file, title=title, language=language, kind=kind,
                                                    notice_days=notice_days, accept_revisions=accept_revisions)
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(f"Added draft {agreement.id} as {agreement.path}; publish it with "
               f"'clausewise publish {agreement.id} --effective YYYY-MM-DD'.")


@main.command()
@click.argument("agreement_id", metavar="ID", shell_complete=complete_agreement_ids)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--accept-revisions", is_flag=True,
              help="Read a Word document's unaccepted tracked changes as accepted (default: refuse it).")
@repo_option
def update(agreement_id: str, file: str, accept_revisions: bool, repo_dir: str) -> None:
    """Replace the text of ID with FILE (a new version from the lawyers: text, Word .docx or PDF),
    keeping its front matter.

    Commits the new text as a draft (no tag); refuses a FILE that would change nothing."""
    from .versions import open_repo

    agreement, notes = open_repo(repo_dir).update_file(agreement_id, file, accept_revisions=accept_revisions)
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    review = (f"clausewise diff {agreement.id}@latest {agreement.id}" if agreement.latest
              else f"clausewise show {agreement.id}")
    click.echo(f"Updated draft {agreement.id} ({agreement.path.name}) from {file}; review it with '{review}' "
               f"and publish it with 'clausewise publish {agreement.id} --effective YYYY-MM-DD'.")


@main.command()
@click.argument("agreement_id", metavar="ID", shell_complete=complete_agreement_ids)
@click.option("--effective", required=True, metavar="YYYY-MM-DD", help="Date the version takes effect.")
@click.option("--notice-days", type=click.IntRange(min=0), help="Notice period (default: the agreement's).")
@click.option("-m", "--summary", default="",
              help="What changed, in one line. Customers read it word for word as the notice's 'Summary'.")
@click.option("--allow-short-notice", metavar="REASON", help="Publish with less notice than required; REASON is recorded.")
@click.option("--dry-run", is_flag=True, help="Check and show what would be committed and the campaign; write nothing.")
@format_option("text", "json")
@repo_option
def publish(agreement_id: str, effective: str, notice_days: int | None, summary: str,
            allow_short_notice: str | None, dry_run: bool, output_format: str, repo_dir: str) -> None:
    """Publish the working text of ID as its next version (commit + tag ID/vN) with its notice
    campaign for every customer on an earlier version."""
    from .notifier.publishing import publish_version, repair_missing_campaigns
    from .versions import open_repo
    from .versions.publication import parse_date
    from .versions.report import published_text, to_json

    effective_date = parse_date(effective, "--effective")
    repo = open_repo(repo_dir)
    if repo.recovery_note:
        click.echo(repo.recovery_note, err=True)
    if not dry_run:
        for line in repair_missing_campaigns(repo):
            click.echo(line, err=True)
    outcome = publish_version(repo, agreement_id, effective_date, notice_days=notice_days, summary=summary,
                              allow_short_notice=allow_short_notice, dry_run=dry_run)
    if dry_run:
        click.echo(to_json(outcome.to_dict()) if output_format == "json" else outcome.dry_run_text())
        return
    click.echo(to_json(outcome.version.to_dict()) if output_format == "json" else published_text(outcome.version))
    for line in outcome.lines():
        click.echo(line, err=output_format == "json")


@main.command("list")
@format_option("text", "json")
@repo_option
def list_agreements(output_format: str, repo_dir: str) -> None:
    """Agreements with their latest version, effective date and unpublished edits."""
    from .versions import open_repo
    from .versions.report import agreements_json, agreements_text
    from .versions.store import BrokenAgreement

    agreements = open_repo(repo_dir).listing()
    click.echo(agreements_json(agreements) if output_format == "json" else agreements_text(agreements))
    broken = [agreement.id for agreement in agreements if isinstance(agreement, BrokenAgreement)]
    if broken:
        raise ClausewiseError(f"{len(broken)} agreement file(s) cannot be read ({', '.join(broken)}); fix each as its "
                              "BROKEN line above says")


@main.command()
@click.argument("agreement_id", metavar="ID", shell_complete=complete_agreement_ids)
@format_option("text", "json")
@repo_option
def log(agreement_id: str, output_format: str, repo_dir: str) -> None:
    """The published versions of ID, newest first."""
    from .versions import open_repo
    from .versions.report import log_json, log_text

    repo = open_repo(repo_dir)
    agreement = repo.agreement(agreement_id)
    versions = repo.versions(agreement_id)
    click.echo(log_json(agreement, versions) if output_format == "json" else log_text(agreement, versions))


@main.command()
@click.argument("ref", metavar="ID[@vN]", shell_complete=complete_refs)
@format_option("text", "json")
@repo_option
def show(ref: str, output_format: str, repo_dir: str) -> None:
    """The text of version N of ID (ID@vN, ID@latest) or of its working copy (ID)."""
    from .refs import load_document
    from .versions.report import to_json

    text, document = load_document(ref, repo_dir)
    if output_format == "json":
        click.echo(to_json({"ref": document.ref, "title": document.title, "version": document.version,
                            "effective": document.effective, "text": text}))
    else:
        click.echo(text, nl=not text.endswith("\n"))


@main.command()
@click.option("--repair", is_flag=True,
              help="First recreate deleted version tags on their publish commits (never moves a tag).")
@format_option("text", "json")
@repo_option
def verify(repair: bool, output_format: str, repo_dir: str) -> None:
    """Check every published version: its tag, its text's SHA-256, its ledger record and campaign."""
    from .errors import ClausewiseError
    from .versions import open_repo
    from .versions.report import verify_json, verify_text

    from .notifier.integrity import ledger_problems

    repo = open_repo(repo_dir)
    if repo.recovery_note:
        click.echo(repo.recovery_note, err=True)
    if repair:
        for version in repo.repair_tags():
            click.echo(f"Recreated tag {version.tag} on {version.commit[:12]} with its publication fields "
                       f"(effective {version.effective.isoformat()}).", err=True)
    problems = repo.verify()
    ledger, notes = ledger_problems(repo)
    problems += ledger
    count = len(repo.all_versions())
    click.echo(verify_json(problems, count, notes) if output_format == "json" else verify_text(problems, count, notes))
    if problems:
        raise ClausewiseError(f"{len(problems)} problem(s) in {repo.root}; follow the hint of each PROBLEM above")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--split", is_flag=True, help="Import each agreement of a compiled document on its own.")
@click.option("--id", "agreement_id", metavar="ID", help="Id of the agreement (default: from its title).")
@click.option("--id-prefix", metavar="PREFIX", help="Start every generated id with PREFIX (default: 'agreement' for non-ASCII titles).")
@click.option("--title", help="Title of the agreement (default: the title line found in FILE).")
@click.option("--lang", "language", help="Language tag: en, zh-CN, ... (default: guessed from the text).")
@click.option("--kind", help="trial, commercial, sla, general, ... (default: guessed from the title).")
@click.option("--notice-days", type=click.IntRange(min=0), help="Advance notice for changes (default: clausewise.toml).")
@click.option("--show-cleaning", is_flag=True, help="List every cleaning change with its line, before and after.")
@click.option("--accept-revisions", is_flag=True,
              help="Read a Word document's unaccepted tracked changes as accepted (default: refuse it).")
@click.option("--dry-run", is_flag=True, help="Clean, split and report; write nothing.")
@format_option("text", "json")
@repo_option
def import_command(file: str, split: bool, agreement_id: str | None, id_prefix: str | None, title: str | None,
                   language: str | None, kind: str | None, notice_days: int | None, show_cleaning: bool,
                   accept_revisions: bool, dry_run: bool, output_format: str, repo_dir: str) -> None:
    """Import a PDF, a Word document (.docx) or text extracted from a PDF: clean PDF artifacts, find
    its agreements, add them in one commit. Word documents are stored as Markdown."""
    from .versions import open_repo
    from .versions.importer import import_document, read_import_file

    extracted = read_import_file(file, accept_revisions=accept_revisions)
    repo = None if dry_run else open_repo(repo_dir)
    suffix = ".md" if extracted.format == "docx" or (extracted.format == "text" and file.endswith(".md")) else ".txt"
    report = import_document(repo, extracted.text, split=split, agreement_id=agreement_id, title=title,
                             language=language, kind=kind, notice_days=notice_days, id_prefix=id_prefix,
                             suffix=suffix, source=file, dry_run=dry_run, file_format=extracted.format,
                             notes=extracted.notes)
    click.echo(report.to_json() if output_format == "json" else report.to_text(show_cleaning=show_cleaning), nl=False)


# --- differ: diff ------------------------------------------------------------------------------

@main.command("diff")
@click.argument("old", shell_complete=complete_refs)
@click.argument("new", shell_complete=complete_refs)
@format_option(*DIFF_FORMATS)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to FILE (atomically) instead of standard output.")
@click.option("--context", type=click.Choice(DIFF_CONTEXTS), default="unchanged", show_default=True,
              help="Show unchanged clauses too, or only what changed (text and md).")
@click.option("--exit-code", is_flag=True,
              help="Exit with 1 when the texts differ (as git diff --exit-code); otherwise always 0.")
@click.option("--lang", "ui_lang", type=click.Choice(DIFF_UI_LANGUAGES), default="auto", show_default=True,
              help="Language of the HTML and PDF redline's labels and the docx title block (auto: from "
                   "the new text's script).")
@click.option("--author", default=None, metavar="NAME",
              help="Author of the tracked changes in a docx redline  [default: redline_author in "
                   "clausewise.toml, else clausewise]")
@repo_option
def diff_command(old: str, new: str, output_format: str, output: str | None, context: str,
                 exit_code: bool, ui_lang: str, author: str | None, repo_dir: str) -> None:
    """Compare two agreements clause by clause.

    OLD and NEW are each ID@vN (a published version), ID@latest, ID (the working copy) or a path to
    a text, Markdown, Word (.docx) or PDF file. Renumbered clauses that did not change are shown as renumbered, not changed.
    pdf prints the HTML redline with headless Chromium, docx writes a Word document with tracked
    changes (both binary: give -o FILE).
    """
    from .diff_command import run_diff

    code = run_diff(old, new, output_format=output_format, output=output, context=context,
                    exit_code=exit_code, ui_lang=ui_lang, repo_dir=repo_dir, author=author)
    if code:
        raise SystemExit(code)


# --- notifier: customers, announce, notify -----------------------------------------------------


@main.group()
def customers() -> None:
    """Customers and the agreement versions they accepted (kept in the state database)."""


@customers.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format  [default: from the suffix: .csv, .jsonl, .ndjson]")
@quiet_option
@repo_option
def customers_import(file: str, file_format: str | None, quiet: bool, repo_dir: str) -> None:
    """Add or update customers from FILE (columns customer_id, name, email, language, agreement,
    version), all rows or none."""
    from .notifier.customers import import_customers, published_versions
    from .notifier.store import store_for_repo
    from .versions import open_repo

    repo = open_repo(repo_dir)
    with store_for_repo(repo) as store, progress_bar("Importing customers (bytes)") as progress:
        counts = import_customers(store, file, published_versions(repo), fmt=file_format, progress=progress)
    click.echo(f"imported {counts.rows} customer rows from {file}: {counts.new} new, {counts.changed} updated, "
               f"{counts.unchanged} unchanged")


@customers.command("list")
@click.option("--agreement", "agreement_id", metavar="ID", help="Only customers of this agreement.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@format_option("text", "csv", "json")
@repo_option
def customers_list(agreement_id: str | None, limit: int | None, output_format: str, repo_dir: str) -> None:
    """Customers, one row per customer and agreement (json: one JSON object per line)."""
    from .notifier.report import customer_lines
    from .notifier.store import store_for_repo
    from .versions import open_repo

    repo = open_repo(repo_dir)
    if agreement_id is not None:
        repo.agreement(agreement_id)
    with store_for_repo(repo) as store:
        for line in customer_lines(store.customers(agreement=agreement_id, limit=limit), output_format):
            click.echo(line)


@customers.command("show")
@click.argument("customer_id", metavar="ID")
@format_option("text", "json")
@repo_option
def customers_show(customer_id: str, output_format: str, repo_dir: str) -> None:
    """One customer: the agreements and versions they accepted, and their notices."""
    from .errors import UsageProblem
    from .notifier.report import customer_detail
    from .notifier.store import store_for_repo
    from .versions import open_repo

    with store_for_repo(open_repo(repo_dir)) as store:
        rows = store.customer(customer_id)
        if not rows:
            raise UsageProblem(f"unknown customer {customer_id!r}; see 'clausewise customers list'")
        click.echo(customer_detail(customer_id, rows, store.customer_notices(customer_id), output_format))


@customers.command("remove")
@click.argument("customer_id", metavar="ID")
@click.option("--agreement", "agreement_id", metavar="ID", help="Only this agreement.  [default: all of them]")
@click.option("--reason", required=True, help="Why the customer is removed, e.g. 'contract ended' (recorded).")
@repo_option
def customers_remove(customer_id: str, agreement_id: str | None, reason: str, repo_dir: str) -> None:
    """Remove a customer who left. Their unsent notices are cancelled; notices already sent stay in
    the ledger as proof. The removal and its reason are recorded."""
    from .errors import UsageProblem
    from .notifier.store import store_for_repo
    from .versions import open_repo

    if not reason.strip():
        raise UsageProblem("--reason must say why the customer is removed")
    with store_for_repo(open_repo(repo_dir)) as store:
        removed, cancelled = store.remove_customer(customer_id, reason.strip(), agreement_id)
    if not removed:
        where = f" on agreement {agreement_id!r}" if agreement_id else ""
        raise UsageProblem(f"unknown customer {customer_id!r}{where}; see 'clausewise customers list'")
    click.echo(f"removed customer {customer_id} ({removed} agreement rows); {cancelled} unsent notices cancelled")


@main.group()
def announce() -> None:
    """Create notice campaigns: an assignment, or a published version's (publish does that itself)."""


@announce.command("assignment")
@click.argument("agreement_id", metavar="ID", shell_complete=complete_agreement_ids)
@click.option("--to", "to_party", required=True, metavar="NEW PARTY", help="Who the agreement is assigned to.")
@click.option("--effective", required=True, metavar="YYYY-MM-DD", help="Date the assignment takes effect.")
@click.option("--notice-days", type=click.IntRange(min=0), help="Notice period (default: the agreement's).")
@click.option("--clause", "clause_label", metavar="LABEL",
              help="Cite this clause (e.g. 9.3) instead of the one found by its assignment wording.")
@click.option("-m", "--summary", default="",
              help="One line, e.g. the reason. Customers read it word for word as the notice's 'Summary'.")
@click.option("--allow-short-notice", metavar="REASON", help="Announce with less notice than required; REASON is recorded.")
@repo_option
def announce_assignment(agreement_id: str, to_party: str, effective: str, notice_days: int | None,
                        clause_label: str | None, summary: str, allow_short_notice: str | None, repo_dir: str) -> None:
    """Notify every customer of ID that it is assigned to NEW PARTY on the effective date."""
    from .notifier import campaigns
    from .notifier.store import store_for_repo
    from .versions import open_repo
    from .versions.publication import parse_date

    effective_date = parse_date(effective, "--effective")
    repo = open_repo(repo_dir)
    notes: list[str] = []
    with store_for_repo(repo) as store:
        campaign = campaigns.announce_assignment(repo, store, agreement_id, to_party, effective_date, notice_days,
                                                 clause=clause_label, summary=summary,
                                                 allow_short_notice=allow_short_notice, notes=notes)
        for note in notes:
            click.echo(note, err=True)
        click.echo(campaigns.campaign_line(store, campaign))


@announce.command("version")
@click.argument("agreement_id", metavar="ID", shell_complete=complete_agreement_ids)
@click.option("--version", "number", type=click.IntRange(min=1), help="Version number (default: the latest).")
@click.option("--allow-short-notice", metavar="REASON", help="Announce with less notice than required; REASON is recorded.")
@repo_option
def announce_version(agreement_id: str, number: int | None, allow_short_notice: str | None, repo_dir: str) -> None:
    """(Re)create the campaign of a published version, e.g. if publish could not."""
    from .errors import UsageProblem
    from .notifier import campaigns
    from .notifier.store import store_for_repo
    from .versions import open_repo

    repo = open_repo(repo_dir)
    versions = repo.versions(agreement_id)
    if not versions:
        raise UsageProblem(f"{agreement_id} has no published version yet; publish it first")
    version = repo.version(agreement_id, number) if number else versions[-1]
    with store_for_repo(repo) as store:
        for line in campaigns.reconcile_publications(repo, store):
            click.echo(line, err=True)
        campaign = campaigns.create_version_campaign(repo, store, version, allow_short_notice=allow_short_notice)
        if campaign is None:
            raise UsageProblem(f"{version.tag} is the first version: no customer is on an earlier one")
        click.echo(campaigns.campaign_line(store, campaign))


@main.group()
def notify() -> None:
    """Notice campaigns: status, preview, send, and the proof-of-notice report."""


@notify.command("status")
@format_option("text", "json")
@repo_option
def notify_status(output_format: str, repo_dir: str) -> None:
    """Every campaign with its totals, send-by and effective dates, the customers not reached (failed
    or bounced) and the senders at work; exits 1 if a campaign is OVERDUE or has failed or bounced notices."""
    from datetime import date

    from .notifier.report import attention_message, status_json, status_report, status_text
    from .notifier.store import store_for_repo
    from .versions import open_repo

    from .notifier.campaigns import missing_campaigns

    today = date.today()
    repo = open_repo(repo_dir)
    with store_for_repo(repo) as store:
        found = status_report(store, today)
        missing = missing_campaigns(repo, store)
    click.echo(status_json(found.campaigns, today, found.unreached, found.senders) if output_format == "json"
               else status_text(found.campaigns, found.unreached, found.senders))
    for line in missing:
        click.echo(f"MISSING: {line}", err=True)
    problem = attention_message(found.campaigns)
    if missing:
        raise ClausewiseError(f"{len(missing)} published version(s) have no notice campaign; see MISSING above")
    if problem:
        raise ClausewiseError(problem)


@notify.command("report")
@click.option("--campaign", "campaign_id", metavar="ID", shell_complete=complete_campaign_ids,
              help="Only this campaign.")
@format_option("csv", "json", default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
@repo_option
def notify_report(campaign_id: str | None, output_format: str, output: str | None, repo_dir: str) -> None:
    """Proof of notice: one row per notice with status, sent time (UTC), Message-ID, reply and SHA-256."""
    import sys

    from .notifier.report import report_rows, write_report, write_report_file
    from .notifier.store import store_for_repo
    from .versions import open_repo

    with store_for_repo(open_repo(repo_dir)) as store:
        rows = report_rows(store, campaign_id)
        if output is None:
            write_report(rows, sys.stdout, output_format)
        else:
            count = write_report_file(rows, output, output_format)
            click.echo(f"wrote {count} notices to {output}", err=True)


@notify.command("send")
@click.option("--campaign", "campaign_id", metavar="ID", shell_complete=complete_campaign_ids,
              help="Only this campaign.  [default: all]")
@click.option("--smtp", "smtp_url", metavar="URL",
              help="smtp://[user@]host[:port] (STARTTLS) or smtps://[user@]host[:port] (TLS).  "
                   "[default: smtp_url in clausewise.toml]")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="SMTP connections in parallel, each reused for many messages.")
@click.option("--rate", type=click.FloatRange(0, min_open=True), metavar="PER_SECOND",
              help="At most this many messages per second in all.  [default: no limit]")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), metavar="SECONDS",
              help="Wait at most this long for each SMTP reply.  [default: smtp_timeout in clausewise.toml, 30]")
@click.option("--after-effective", metavar="REASON",
              help="Also send notices of campaigns that already took effect (no advance notice); REASON is "
                   "recorded with each of them.")
@click.option("--dry-run", is_flag=True, help="Render every pending notice; send and record nothing.")
@quiet_option
@repo_option
def notify_send(campaign_id: str | None, smtp_url: str | None, concurrency: int, rate: float | None,
                timeout: float | None, after_effective: str | None, dry_run: bool, quiet: bool,
                repo_dir: str) -> None:
    """Send every pending notice and record each outcome in the ledger (a re-run sends nothing twice).

    The SMTP password comes from CLAUSEWISE_SMTP_PASSWORD or .clausewise/secrets.toml. Ctrl-C lets
    the messages in flight finish for a few seconds, records what the server accepted, and leaves the
    rest pending (a second Ctrl-C stops at once). A notice sent after its campaign's send-by date is
    recorded LATE; one whose campaign already took effect is sent only with --after-effective.
    Several senders may run at once, on one machine or many, sharing the state database: each holds
    a lease on what it claimed (send_lease_seconds), and the relay's limits in clausewise.toml
    (relay_rate, relay_connections, domain_rate) hold for all of them together."""
    import sys

    from .notifier.smtp import send_pending
    from .notifier.store import store_for_repo
    from .versions import open_repo

    from .notifier.campaigns import reconcile_publications

    repo = open_repo(repo_dir)
    label = "Rendering notices (dry run)" if dry_run else "Sending notices"
    with store_for_repo(repo) as store:
        if not dry_run:
            for line in reconcile_publications(repo, store):
                click.echo(line, err=True)
        with progress_bar(label) as progress:
            report = send_pending(repo, store, campaign_id=campaign_id, smtp_url=smtp_url, concurrency=concurrency,
                                  rate=rate, dry_run=dry_run, progress=progress, timeout=timeout,
                                  after_effective=after_effective)
    for campaign, customer, reply in report.failures[:20]:
        click.echo(f"failed: {campaign} {customer}: {reply}", err=True)
    click.echo(report.summary())
    if report.interrupted:
        click.echo(f"Interrupted: what the server accepted was recorded; {report.left_pending} notices are left "
                   "pending; run 'clausewise notify send' again for them.", err=True)
        sys.exit(130)
    held = report.held_message()
    if held:
        raise ClausewiseError(held)
    if report.failures or report.left_pending:
        raise ClausewiseError(f"{len(report.failures)} notices failed and {report.left_pending} are left "
                              "pending; see 'clausewise notify status', and after correcting addresses "
                              "'clausewise notify retry'")


@notify.command("retry")
@click.option("--campaign", "campaign_id", metavar="ID", shell_complete=complete_campaign_ids,
              help="Only this campaign's failed notices.")
@click.option("--customer", "customer_id", metavar="ID", help="Only this customer's failed notices.")
@repo_option
def notify_retry(campaign_id: str | None, customer_id: str | None, repo_dir: str) -> None:
    """Queue failed notices again (all, one campaign's, one customer's); the next 'notify send' tries
    them. Each retry and each attempt is recorded in the ledger."""
    from .notifier.store import store_for_repo
    from .versions import open_repo

    with store_for_repo(open_repo(repo_dir)) as store:
        if campaign_id is not None:
            store.campaign(campaign_id)
        store.sync_notices()  # picks up corrected addresses first
        count = store.requeue_failed(campaign_id, customer_id)
    scope = " and ".join(part for part in (campaign_id and f"campaign {campaign_id}",
                                           customer_id and f"customer {customer_id}") if part) or "all campaigns"
    click.echo(f"{count} failed notices queued again ({scope}); send them with 'clausewise notify send'")


@notify.command("cancel")
@click.argument("campaign_id", metavar="CAMPAIGN", shell_complete=complete_campaign_ids)
@click.option("--reason", required=True, help="Why the campaign is cancelled (recorded in the ledger).")
@repo_option
def notify_cancel(campaign_id: str, reason: str, repo_dir: str) -> None:
    """Cancel CAMPAIGN before any of its notices was sent or tried; its notices are recorded as
    cancelled with REASON. A campaign that has started cannot be cancelled."""
    from .errors import UsageProblem
    from .notifier.store import store_for_repo
    from .versions import open_repo

    if not reason.strip():
        raise UsageProblem("--reason must say why the campaign is cancelled")
    with store_for_repo(open_repo(repo_dir)) as store:
        store.sync_notices(store.campaign(campaign_id).id)
        count = store.cancel_campaign(campaign_id, reason.strip())
    click.echo(f"cancelled campaign {campaign_id}: {count} notices will not be sent (reason recorded)")


@notify.command("bounces")
@click.option("--maildir", type=click.Path(file_okay=False), help="Read the DSNs in this Maildir folder.")
@click.option("--imap", "imap_url", metavar="URL",
              help="Read the DSNs in this IMAP folder over TLS: imaps://user@host[:993][/folder] (password in "
                   "CLAUSEWISE_IMAP_PASSWORD).")
@repo_option
def notify_bounces(maildir: str | None, imap_url: str | None, repo_dir: str) -> None:
    """Collect bounces: delivery status notifications (RFC 3464) from a mailbox, matched to notices
    by their VERP return path or Message-ID and recorded in the ledger. Reading twice records once."""
    from .errors import UsageProblem
    from .notifier import bounces
    from .notifier.store import store_for_repo
    from .versions import open_repo

    if (maildir is None) == (imap_url is None):
        raise UsageProblem("give one mailbox: --maildir DIR or --imap imaps://user@host/folder")
    if imap_url is not None:
        source = bounces.parse_imap_url(imap_url)
        password = bounces.imap_password()
        if not password:
            raise UsageProblem(f"{source.display()} needs a password; set CLAUSEWISE_IMAP_PASSWORD")
        messages = bounces.imap_messages(source, password)
    else:
        messages = bounces.maildir_messages(maildir)
    with store_for_repo(open_repo(repo_dir)) as store:
        report = bounces.collect(store, messages)
    click.echo(report.summary())
    if report.bounced:
        click.echo("see the customers to reach another way with 'clausewise notify status'")


@notify.command("preview")
@click.argument("campaign_id", metavar="CAMPAIGN", shell_complete=complete_campaign_ids)
@click.option("--customer", "customer_id", metavar="ID", help="This customer.  [default: the first one]")
@click.option("--part", type=click.Choice(["all", "text", "html", "raw"]), default="all", show_default=True,
              help="Headers with both parts, the text part, the HTML part, or the message as sent.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
@repo_option
def notify_preview(campaign_id: str, customer_id: str | None, part: str, output: str | None, repo_dir: str) -> None:
    """The exact email a customer of CAMPAIGN gets, for review before sending."""
    from .fileutil import write_output
    from .notifier.compose import message_part, preview_message
    from .notifier.store import store_for_repo
    from .versions import open_repo

    repo = open_repo(repo_dir)
    with store_for_repo(repo) as store:
        _, message = preview_message(repo, store, campaign_id, customer_id)
    text = message_part(message, part)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_output(output, text)
        click.echo(f"wrote the {part} preview to {output}", err=True)


# --- demo ----------------------------------------------------------------------------------------


@main.group()
def state() -> None:
    """The state database (state_db in clausewise.toml: SQLite file or PostgreSQL)."""


@state.command("migrate")
@format_option("text", "json")
@repo_option
def state_migrate(output_format: str, repo_dir: str) -> None:
    """Bring the state database to this clausewise's schema (safe to re-run; commands also do it
    when they open an older one)."""
    import json

    from .notifier.store import migrate_state
    from .versions import open_repo

    done = migrate_state(open_repo(repo_dir))
    if output_format == "json":
        click.echo(json.dumps({"state_db": done.database, "from_version": done.from_version,
                               "to_version": done.to_version}))
    elif done.from_version == done.to_version:
        click.echo(f"{done.database}: schema {done.to_version}, up to date")
    else:
        click.echo(f"{done.database}: schema {done.from_version} -> {done.to_version}")


@state.command("copy")
@click.option("--to", "target", required=True, metavar="URL",
              help="The PostgreSQL database, postgresql://user@host:port/database (no password in it: "
                   "CLAUSEWISE_STATE_PASSWORD or state_password in .clausewise/secrets.toml).")
@click.option("--replace", is_flag=True, help="Delete the state the target already holds, in the same transaction.")
@format_option("text", "json")
@quiet_option
@repo_option
def state_copy(target: str, replace: bool, output_format: str, quiet: bool, repo_dir: str) -> None:
    """Copy the SQLite state (every table) to a PostgreSQL database in one transaction, verified by
    each table's row count and SHA-256 digest read back from the target.

    The target must be empty or hold only the schema (it gets the schema if it has none); the source
    must have this clausewise's schema (run 'clausewise state migrate' first). Stop senders and
    imports first: what they write after the copy starts is not copied.
    """
    from .notifier.statecopy import copy_lines, copy_to_postgres
    from .versions import open_repo

    repo = open_repo(repo_dir)
    with progress_bar("Copying the state (rows)") as progress:
        copied = copy_to_postgres(repo, target, replace=replace, progress=progress)
    for line in copy_lines(copied, output_format):
        click.echo(line)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo(directory: str | None) -> None:
    """Run the main job end to end on sample agreements, in DIRECTORY (default: a new temp folder).

    Creates an agreements repository, adds English and Chinese trial and commercial agreements,
    publishes v1, imports generated customers, publishes a changed v2 and announces an assignment,
    writes the HTML redlines, sends every notice to a local SMTP server (aiosmtpd, Maildir under
    DIRECTORY) that refuses one address (corrected and retried) and bounces another (collected),
    and prints the campaign status and the proof-of-notice report's path, each step as it goes.
    DIRECTORY must be new or empty.
    """
    from .demo import run_demo

    run_demo(directory, click.echo, command=_command_as_typed())


def _command_as_typed() -> str:
    """How to run clausewise again from here: ``clausewise`` when that is on PATH, else the path the
    user typed (``.venv/bin/clausewise`` before the environment is activated)."""
    import shutil
    import sys
    from pathlib import Path

    typed = Path(sys.argv[0])
    if typed.name != "clausewise":
        return "clausewise"
    found = shutil.which("clausewise")
    if found and Path(found).resolve() == typed.resolve():
        return "clausewise"
    return str(typed)
