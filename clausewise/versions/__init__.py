"""The git-backed agreement store (record stage).

``init_repo``/``open_repo`` give an :class:`AgreementRepo`; see docs/architecture.md for the API.
"""

from .store import Agreement, AgreementRepo, Version, init_repo, open_repo

__all__ = ["Agreement", "AgreementRepo", "Version", "init_repo", "open_repo"]
