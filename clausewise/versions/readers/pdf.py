"""PDF reader (issue 12): the text layer of a PDF, in reading order, for the cleaner."""

from __future__ import annotations

from ...errors import ClausewiseError


def read_pdf(data: bytes, source: str) -> "Extracted":  # noqa: F821 - filled in by the PDF reader work
    raise ClausewiseError(f"{source} is a PDF; extract its text first (e.g. 'pdftotext {source} out.txt') and import out.txt")
