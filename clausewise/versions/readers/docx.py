"""Word reader (issue 12): a .docx as Markdown text, with the numbers Word displays."""

from __future__ import annotations

from ...errors import ClausewiseError


def read_docx(data: bytes, source: str, *, accept_revisions: bool = False) -> "Extracted":  # noqa: F821
    raise ClausewiseError(f"{source} is a zip file (Word .docx?); save it as UTF-8 text and read that")
