"""The git-backed agreement store (record stage).

``init_repo``/``open_repo`` give an :class:`AgreementRepo`; see docs/architecture.md for the API.
The store (and GitPython with it) loads on first use, so that the pure modules (``document``,
``publication``, ``pdfclean``) can be imported without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import Agreement, AgreementRepo, Version, init_repo, open_repo

__all__ = ["Agreement", "AgreementRepo", "Version", "init_repo", "open_repo"]


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import store

    return getattr(store, name)
