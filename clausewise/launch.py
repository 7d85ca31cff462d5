"""The ``clausewise`` executable: a plain ``clausewise diff OLD NEW [...]`` runs without loading
click and the other commands (see diff_command.py); every other command line goes to cli.py."""

from __future__ import annotations

import os
import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["diff"] and "_CLAUSEWISE_COMPLETE" not in os.environ:
        from .diff_command import plain_diff_args, run_diff
        from .errors import ClausewiseError

        options = plain_diff_args(args[1:])
        if options is not None:
            try:
                code = run_diff(**options)  # type: ignore[arg-type]
            except ClausewiseError as exc:
                sys.stderr.write(f"Error: {exc}\n")
                code = exc.exit_code
            except KeyboardInterrupt:
                sys.stderr.write("Aborted!\n")
                code = 1
            sys.exit(code)
    from .cli import main as cli_main

    cli_main()
