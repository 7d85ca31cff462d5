"""The ``clausewise`` command: a thin click layer over clausewise.versions, .differ and .notifier.

Commands parse arguments, call the library, and print. Library modules are imported inside the
commands so that ``--help`` and small jobs start fast.
"""

from __future__ import annotations

import click

from . import __version__
from .errors import ClausewiseError


class ClausewiseGroup(click.Group):
    """Turns a ClausewiseError into one 'Error: ...' line on stderr and its exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ClausewiseError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def repo_option(func):
    """``--repo DIR`` for every command (default: $CLAUSEWISE_REPO, else the current directory)."""
    return click.option(
        "--repo",
        "repo_dir",
        envvar="CLAUSEWISE_REPO",
        default=".",
        show_default="current directory, or $CLAUSEWISE_REPO",
        type=click.Path(file_okay=False),
        help="The agreements repository.",
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
def main() -> None:
    """Keep agreements under version control, see what changed clause by clause, and notify
    every affected customer before a change or an assignment takes effect."""


# --- versions: init, add, import, publish, list, log, show, verify ----------------------------


# --- differ: diff ------------------------------------------------------------------------------


# --- notifier: customers, announce, notify -----------------------------------------------------


@main.group()
def notify() -> None:
    """Notice campaigns: status, preview, send, and the proof-of-notice report."""


# --- demo ----------------------------------------------------------------------------------------
