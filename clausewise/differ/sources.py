"""Where the two sides of ``clausewise diff`` come from: a file, or the agreements repository."""

from __future__ import annotations

import os
from pathlib import Path

from .model import DocumentRef


def load_document(ref: str, repo_dir: str | os.PathLike[str] = ".") -> tuple[str, DocumentRef]:
    """The text and description of ``ref``: a path to an existing text file (no repository needed;
    an agreement front matter, if any, is read for the title and left out), else ``ID@vN``, ``ID@latest``
    or ``ID`` (working copy) in the agreements repository at ``repo_dir``."""
    path = Path(ref)
    if path.is_file():
        return read_file(ref)
    if "/" in ref or os.sep in ref or path.suffix.lower() in (".txt", ".md", ".markdown"):
        from ..errors import UsageProblem

        raise UsageProblem(f"{ref}: no such file; give a path to a text file, an agreement ID or ID@vN")
    from ..versions import open_repo

    return open_repo(repo_dir).resolve(ref)


def read_file(ref: str) -> tuple[str, DocumentRef]:
    """The agreement text file at ``ref``, read as the agreements repository reads one given by
    path (clausewise.versions.document, which does not load GitPython)."""
    from ..errors import ClausewiseError
    from ..versions.document import file_document

    try:
        data = Path(ref).read_bytes()
    except OSError as exc:
        raise ClausewiseError(f"{ref}: cannot read ({exc.strerror}); check the path and its permissions") from None
    text, title = file_document(data, ref)
    return text, DocumentRef(ref=ref, title=title)
