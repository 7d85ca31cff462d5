"""Read an agreement from the file legal keeps it in: UTF-8 text or Markdown, Word (.docx) or PDF.

The format is told by the file's first bytes, never by its extension (an extension may lie). Every
reader returns :class:`Extracted`: the agreement as text (Markdown where the source had structure),
which is what clausewise stores in git, and notes on what was left out of it (footnotes, comments,
revisions) for the user to see.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ClausewiseError
from ..document import decode_agreement

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, and encrypted (password-protected) .docx


@dataclass
class Extracted:
    """The text read from one file, and what the reader left out or changed on the way."""

    text: str
    format: str  # "text", "docx" or "pdf"
    notes: list[str] = field(default_factory=list)
    needs_cleaning: bool = False  # True when the text comes from a page layout (PDF): run pdfclean on it


def read_agreement_file(path: str | os.PathLike[str], *, accept_revisions: bool = False) -> Extracted:
    """Read ``path`` as text, Word or PDF, by its content.

    ``accept_revisions`` reads a Word document's unaccepted tracked changes as accepted instead of
    refusing the document. Raises ClausewiseError naming the file for anything unreadable.
    """
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ClausewiseError(f"{source}: cannot read ({exc.strerror}); check the path") from None
    return read_agreement_bytes(data, str(source), accept_revisions=accept_revisions)


def read_agreement_bytes(data: bytes, source: str, *, accept_revisions: bool = False) -> Extracted:
    """:func:`read_agreement_file` on bytes already read; ``source`` names them in messages."""
    if data.startswith(PDF_MAGIC):
        from .pdf import read_pdf

        return read_pdf(data, source)
    if data.startswith(ZIP_MAGIC):
        from .docx import read_docx

        return read_docx(data, source, accept_revisions=accept_revisions)
    if data.startswith(OLE_MAGIC):
        raise ClausewiseError(
            f"{source} is a password-protected Word file or an old binary .doc; remove the password, or save it "
            "as .docx (Word: File > Save As > Word Document), and read that"
        )
    return Extracted(decode_agreement(data, source), "text")
