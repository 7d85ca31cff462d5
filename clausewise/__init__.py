"""clausewise: agreements under version control, clause-aware diffs, and advance notices.

The package is one folder per stage of the pipeline:

- ``clausewise.versions``: the git-backed agreement store (record).
- ``clausewise.differ``: clause parsing, alignment and redlines (diff).
- ``clausewise.notifier``: customers, notice campaigns, emails and the ledger (notify).

``clausewise.cli`` is a thin click layer over these.
"""

__version__ = "0.1.0"
