"""Errors that reach the user as one clear line and an exit code."""

from __future__ import annotations


class ClausewiseError(Exception):
    """A failure the user can act on (exit code 1).

    The message names the file, line, field or thing at fault and says how to fix it.
    """

    exit_code = 1


class UsageProblem(ClausewiseError):
    """The command line itself was wrong: a bad date, an unknown id, a malformed ref (exit code 2)."""

    exit_code = 2
