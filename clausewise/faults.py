"""A test hook that kills the process at a named step, so that fault tests can stop a command
exactly between two of its writes.

Set ``CLAUSEWISE_KILL_AT=<step>`` (a step name below, as passed to :func:`checkpoint`) and the
process sends itself SIGKILL when it reaches that step: no cleanup, no ``finally``, as after a
crash or ``kill -9``. Unset (always, outside tests), a checkpoint does nothing.

Steps of a git write (publish, add, import): ``commit-built``, ``journal-written``,
``index-locked``, ``files-written``, ``tagged``, ``branch-moved``, ``index-installed``; of a
publish around them: ``ledger-written`` (campaign and ledger rows written, not yet committed)
and ``published`` (git and ledger both done). Of a customers import into PostgreSQL:
``import-merged`` (the file's rows merged into customers, not yet committed). Of ``state copy``:
``state-copy-table`` (after each table is written) and ``state-copy-verified`` (every table read
back and verified, not yet committed).
"""

from __future__ import annotations

import os
import signal

KILL_AT_ENV = "CLAUSEWISE_KILL_AT"


def checkpoint(step: str) -> None:
    """SIGKILL this process if ``CLAUSEWISE_KILL_AT`` names ``step``."""
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
