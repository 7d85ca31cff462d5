"""Errors that reach the user as one clear line and an exit code."""

from __future__ import annotations

import errno
import sys


class ClausewiseError(Exception):
    """A failure the user can act on (exit code 1).

    The message names the file, line, field or thing at fault and says how to fix it.
    """

    exit_code = 1


class UsageProblem(ClausewiseError):
    """The command line itself was wrong: a bad date, an unknown id, a malformed ref (exit code 2)."""

    exit_code = 2


def translate_fault(exc: BaseException) -> ClausewiseError | None:
    """A ClausewiseError that says what failed and what to do, for a fault of the machine rather than
    of the input (a full disk, a read-only or damaged repository or database), else None.

    Library code raises these as OSError, sqlite3, psycopg or git errors from deep inside; the CLI turns them
    into one 'Error:' line here instead of a traceback. git, sqlite3 and psycopg are looked up in
    ``sys.modules`` only: if a module was never imported, none of its errors can have been raised,
    and ``--help`` stays fast.
    """
    if isinstance(exc, OSError):
        return _os_fault(exc.errno, str(exc.filename) if exc.filename else None, exc.strerror or str(exc))
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        return _database_fault(str(exc))
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return _postgres_fault(exc, psycopg)
    git = sys.modules.get("git")
    if git is not None and isinstance(exc, git.GitCommandError):
        return _git_fault(exc)
    if isinstance(exc, RecursionError):
        return ClausewiseError("the input is nested too deeply to process; simplify it (fewer nested levels)")
    return None


_SPACE_ADVICE = "free some space (or raise the quota) and run the command again"


def _os_fault(code: int | None, filename: str | None, reason: str) -> ClausewiseError:
    where = f"{filename}: " if filename else ""
    if code in (errno.ENOSPC, errno.EDQUOT):
        return ClausewiseError(f"{where}{reason}; {_SPACE_ADVICE}")
    if code == errno.EROFS:
        return ClausewiseError(f"{where}read-only file system; run the command where the repository can be written")
    if code in (errno.EACCES, errno.EPERM):
        return ClausewiseError(f"{where}permission denied; check the owner and permissions of the repository "
                               "and its .clausewise folder")
    return ClausewiseError(f"{where}{reason}")


def _database_fault(message: str) -> ClausewiseError:
    what = f"the state database (state_db in clausewise.toml): {message}"
    lowered = message.lower()
    if "malformed" in lowered or "not a database" in lowered:
        return ClausewiseError(f"{what}; it is damaged: keep the damaged copy (its ledger is proof of notice), "
                               "restore the file from a backup, or move it aside and import the customers again")
    if "readonly" in lowered or "read-only" in lowered:
        return ClausewiseError(f"{what}; make the file and its folder writable, then run the command again")
    if "full" in lowered:
        return ClausewiseError(f"{what}; {_SPACE_ADVICE}")
    if "locked" in lowered or "busy" in lowered:
        return ClausewiseError(f"{what}; another clausewise command is writing it: wait and run the command again")
    if "unable to open" in lowered:
        return ClausewiseError(f"{what}; check that its folder exists and can be written")
    return ClausewiseError(f"{what}; check the disk and the file, then run the command again")


def _postgres_fault(exc: BaseException, psycopg: object) -> ClausewiseError:
    """A PostgreSQL state database failed during a command (the connection was made: see statedb)."""
    what = f"the PostgreSQL state database (state_db in clausewise.toml): {' '.join(str(exc).split())}"
    if isinstance(exc, psycopg.OperationalError):  # type: ignore[attr-defined]
        return ClausewiseError(f"{what}; check that the server runs and can be reached, then run the command again")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):  # type: ignore[attr-defined]
        return ClausewiseError(f"{what}; grant the user in state_db the rights on the database's tables")
    return ClausewiseError(f"{what}; check the server's log, then run the command again")


def _git_fault(exc: BaseException) -> ClausewiseError:
    stderr = str(getattr(exc, "stderr", "") or "")
    command = getattr(exc, "command", None)
    name = f"git {command[1]}" if isinstance(command, (list, tuple)) and len(command) > 1 else "git"
    if "No space left on device" in stderr or "Disk quota exceeded" in stderr:
        return ClausewiseError(f"{name} failed: no space left on the device; {_SPACE_ADVICE}")
    if "Read-only file system" in stderr:
        return ClausewiseError(f"{name} failed: the repository is on a read-only file system; run the command "
                               "where the repository can be written")
    if "Permission denied" in stderr:
        return ClausewiseError(f"{name} failed: permission denied in the repository; check the owner and "
                               "permissions of its files and of .git")
    if "index.lock" in stderr:
        return ClausewiseError(f"{name} failed: another git process holds .git/index.lock; if none is running, "
                               "delete that file and run the command again")
    from .versions.gitops import git_error

    return ClausewiseError(f"{name} failed: {git_error(exc)}; check the repository with 'git status' and "
                           "'git fsck', then run the command again")
