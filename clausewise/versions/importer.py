"""``clausewise import``: bring a PDF, a Word document or text extracted from a PDF into the
agreements repository.

The file is read by its content (readers); text from a PDF is cleaned (pdfclean), then split into agreements (split), and every agreement is added in
ONE git commit: either all of them are added or none is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import ClausewiseError, UsageProblem
from .document import Metadata, check_id
from .pdfclean import KIND_DESCRIPTIONS, CleanResult, clean_extracted_text
from .readers import Extracted, read_agreement_file
from .split import DroppedPart, FoundAgreement, guess_kind, guess_language, slug_for, split_document
from .store import AgreementRepo, Draft

SCHEMA = "clausewise.import/1"


@dataclass
class ImportReport:
    """What an import found, cleaned, dropped and (unless a dry run) committed."""

    source: str
    agreements: list[FoundAgreement]
    cleaning: CleanResult
    dropped: list[DroppedPart] = field(default_factory=list)
    commit: str | None = None  # None for a dry run
    notes: list[str] = field(default_factory=list)
    format: str = "text"  # what the file was read as: "text", "docx" or "pdf"

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "source": self.source,
            "format": self.format,
            "dry_run": self.commit is None,
            "commit": self.commit,
            "agreements": [a.to_dict() for a in self.agreements],
            "dropped": [d.to_dict() for d in self.dropped],
            "cleaning": {"counts": self.cleaning.counts(), "fixes": [f.to_dict() for f in self.cleaning.fixes]},
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self, *, show_cleaning: bool = False) -> str:
        lines = []
        if self.commit:
            lines.append(f"Imported {len(self.agreements)} agreement(s) from {self.source} in commit {self.commit[:10]}:")
        else:
            lines.append(f"Dry run: {len(self.agreements)} agreement(s) found in {self.source}, nothing written:")
        for agreement in self.agreements:
            lines.append(f"  {agreement.id}  [{agreement.kind}, {agreement.language}]  {agreement.title}"
                         f"  (from line {agreement.line}, {agreement.text.count(chr(10))} lines)")
        counts = self.cleaning.counts()
        if self.format == "docx":
            lines.append("Read as a Word document (not cleaned: a .docx has no PDF artifacts)")
        else:
            lines.append("Cleaned:" if counts else "Cleaned: nothing to clean")
        for kind, count in counts.items():
            lines.append(f"  {count:5d}  {kind}: {KIND_DESCRIPTIONS[kind]}")
        for part in self.dropped:
            lines.append(f"Dropped lines {part.first_line}-{part.last_line} of the cleaned text: {part.description}")
        lines.extend(f"Note: {note}" for note in self.notes)
        if show_cleaning:
            lines.append("Cleaning details (line numbers of the input file):")
            for fix in self.cleaning.fixes:
                lines.append(f"  line {fix.line}: {fix.kind}")
                lines.extend(f"    - {part}" for part in fix.before.split("\n"))
                lines.extend(f"    + {part}" for part in fix.after.split("\n") if fix.after)
        elif self.cleaning.fixes:
            lines.append("(--show-cleaning lists every change)")
        return "\n".join(lines) + "\n"


def read_import_file(path: str | os.PathLike[str], *, accept_revisions: bool = False) -> Extracted:
    """The text of ``path``, told by its content: UTF-8 text (BOM dropped), Word (.docx) or PDF.

    ClausewiseError for binary, empty, damaged or hostile files (see :mod:`.readers`);
    ``accept_revisions`` reads a Word document's tracked changes as accepted instead of refusing it.
    """
    return read_agreement_file(path, accept_revisions=accept_revisions)


def import_document(repo: AgreementRepo | None, text: str, *, split: bool = False, agreement_id: str | None = None,
                    title: str | None = None, language: str | None = None, kind: str | None = None,
                    notice_days: int | None = None, id_prefix: str | None = None, suffix: str = ".txt",
                    source: str = "<text>", dry_run: bool = False, file_format: str = "text",
                    notes: list[str] | None = None) -> ImportReport:
    """Clean ``text``, find its agreements and add them to ``repo`` in one commit.

    Without ``split`` the whole document becomes one agreement. ``repo`` may be None for a dry run.
    ``file_format`` is what the text was read from ("text", "pdf" or "docx": a Word document's text
    has no PDF artifacts and is not cleaned); ``notes`` (what the reader left out) come first in the
    report's notes.
    Raises UsageProblem for options that do not fit, ClausewiseError if no agreement is found or an
    id is taken; then nothing is written.
    """
    if split and (agreement_id or title or kind):
        given = ", ".join(o for o, v in (("--id", agreement_id), ("--title", title), ("--kind", kind)) if v)
        raise UsageProblem(f"{given} name one agreement and cannot be used with --split; use --id-prefix instead")
    if agreement_id is not None:
        check_id(agreement_id)
    cleaning = CleanResult(text) if file_format == "docx" else clean_extracted_text(text)
    document = split_document(cleaning.text, id_prefix=id_prefix)
    found, notes = document.agreements, list(notes or [])
    if not found and not title:
        raise ClausewiseError(
            f"{source}: no agreement found (no title line such as '服务协议' or 'Terms of Service', no preamble "
            "defining \"this Agreement\", no numbered clauses); check the file, or give --title to import it anyway"
        )
    if not split:
        if len(found) > 1:
            notes.append(f"{len(found)} agreements found and imported as one; use --split to import each on its own")
        found = [_as_one(found, cleaning.text, agreement_id, title, kind, id_prefix)]
    if language:
        found = [replace(a, language=language) for a in found]
    report = ImportReport(source, found, cleaning, document.dropped, notes=notes, format=file_format)
    if not dry_run:
        if repo is None:
            raise UsageProblem("an import needs an agreements repository (or --dry-run)")
        drafts = [Draft(a.id, a.text, Metadata(a.title, a.language, a.kind, notice_days), suffix) for a in found]
        body = "\n".join(f"- {a.id}: {a.title}" for a in found)
        message = f"Import {len(found)} agreement(s) from {Path(source).name}\n\n{body}\n"
        report.commit = repo.add_many(drafts, message)
    return report


def _as_one(found: list[FoundAgreement], cleaned: str, agreement_id: str | None, title: str | None,
            kind: str | None, id_prefix: str | None) -> FoundAgreement:
    """All found agreements (or the whole cleaned text when none was found) as one agreement."""
    text = "\n".join(a.text for a in found) if found else cleaned
    title = title or found[0].title
    kind = kind or (found[0].kind if found else guess_kind(title, text))
    agreement_id = agreement_id or (found[0].id if found else slug_for(title, kind, 1, id_prefix))
    return FoundAgreement(agreement_id, title, guess_language(text), kind, text, found[0].line if found else 1)


