"""Which text a ref names, for the commands that compare or show texts.

A ref is a path to a UTF-8 text or Markdown file (no repository needed; a ``+++`` front matter is
read for the title and left out), a Word (.docx) or PDF file (read as ``clausewise import`` reads
it, PDF artifacts cleaned), or ``ID@vN``, ``ID@latest`` or ``ID`` (the working copy) in the
agreements repository. This module sits above both stages: clausewise.versions reads the
repository and never imports the differ; clausewise.differ compares texts and never opens a
repository or a file; here a ref becomes a text and the differ's DocumentRef.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .differ.model import DocumentRef
from .errors import ClausewiseError, UsageProblem

if TYPE_CHECKING:
    from .versions import AgreementRepo

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
# "cloud-trial/v1" is the version's git tag; the ref of that version is "cloud-trial@v1".
_TAG_LIKE = re.compile(r"(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)/(?P<version>v[0-9]+|latest)")


def load_document(ref: str, repo_dir: str | os.PathLike[str] = ".") -> tuple[str, DocumentRef]:
    """The text of ``ref`` and its description: an existing file first, else a repository ref
    (the repository at ``repo_dir`` is opened only then)."""
    path = Path(ref)
    if path.is_file():
        return read_file(ref)
    if "/" in ref or os.sep in ref or path.suffix.lower() in TEXT_SUFFIXES:
        tag = _TAG_LIKE.fullmatch(ref)
        if tag is not None:
            raise UsageProblem(f"{ref}: no such file; to name version {tag['version']} of agreement "
                               f"{tag['id']}, write {tag['id']}@{tag['version']}")
        raise UsageProblem(f"{ref}: no such file; give a path to a text file, an agreement ID or ID@vN")
    from .versions import open_repo

    return resolve_in(open_repo(repo_dir), ref)


def resolve_in(repo: AgreementRepo, ref: str) -> tuple[str, DocumentRef]:
    """The text of ``ID@vN``, ``ID@latest`` or ``ID`` in ``repo``, and its description."""
    text, resolved = repo.resolve(ref)
    return text, DocumentRef(ref=resolved.ref, title=resolved.title, version=resolved.version,
                             effective=resolved.effective)


def read_file(ref: str) -> tuple[str, DocumentRef]:
    """The agreement file at ``ref``, checked as every agreement is (clausewise.versions.document,
    which does not load GitPython). Word and PDF files, told by their first bytes, are read as
    ``clausewise import`` reads them."""
    from .versions.document import check_agreement_text, file_document
    from .versions.readers import PDF_MAGIC, ZIP_MAGIC

    try:
        data = Path(ref).read_bytes()
    except OSError as exc:
        raise ClausewiseError(f"{ref}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if data.startswith((PDF_MAGIC, ZIP_MAGIC)):
        return check_agreement_text(_read_office_file(data, ref), ref), DocumentRef(ref=ref)
    text, title = file_document(data, ref)
    return text, DocumentRef(ref=ref, title=title)


def _read_office_file(data: bytes, ref: str) -> str:
    """The text of a Word or PDF file; a Word file's unaccepted revisions are refused, as on import."""
    from .versions.pdfclean import clean_extracted_text
    from .versions.readers import read_agreement_bytes

    extracted = read_agreement_bytes(data, ref)
    return clean_extracted_text(extracted.text).text if extracted.needs_cleaning else extracted.text
