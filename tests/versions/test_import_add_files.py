"""`import`, `add` and `update` read PDF and Word files through the readers: PDF text is cleaned on
every path, what the reader noted is printed, and a refused file leaves the repository as it was.
Also: a Word redline written by `clausewise diff --format docx`, read back with its revisions
accepted, is the new text."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.versions import AgreementRepo

from .conftest import snapshot
from .pdf_maker import make_pdf, text_page
from .test_read_docx import SAMPLES, substantive_changes



def _page(number: int, lines: list[str]) -> bytes:
    """A page with a running header, ``lines`` of text and a page number, as a print layout has them."""
    return text_page([(72, 790, 9, "Acme Inc. - Confidential")]
                     + [(72, 760 - 20 * i, 11, line) for i, line in enumerate(lines)]
                     + [(300, 40, 9, f"Page {number} of 4")])


CLAUSES = ["2. Acme may assign this agreement.", "3. Notices go by email.", "4. The law of Ruritania applies."]
PAGES = [_page(1, ["Terms of Service", "1. Fees are due monthly."])] + [
    _page(n, [clause]) for n, clause in enumerate(CLAUSES, 2)]


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture()
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "terms.pdf"
    path.write_bytes(make_pdf(PAGES))
    return path


def test_import_of_a_pdf_cleans_its_page_furniture_and_stores_text(repo: AgreementRepo, pdf: Path):
    result = _invoke("import", str(pdf), "--id", "tos", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert "page-number" in result.output and "running-header" in result.output
    assert repo.agreement("tos").path.name == "tos.txt"
    text = repo.text("tos")
    assert "Page 1 of 4" not in text and "Confidential" not in text
    assert text == "Terms of Service\n1. Fees are due monthly.\n\n" + "\n\n".join(CLAUSES) + "\n"


def test_add_and_update_of_a_pdf_clean_it_too_and_say_so(repo: AgreementRepo, pdf: Path, tmp_path: Path):
    result = _invoke("add", "tos", str(pdf), "--title", "Terms", "--lang", "en", "--kind", "general",
                     "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert "Note: PDF artifacts cleaned (" in result.output and "page-number" in result.output
    assert repo.agreement("tos").path.name == "tos.txt"
    assert "Page 1 of 4" not in repo.text("tos") and "Confidential" not in repo.text("tos")
    second = tmp_path / "terms-v2.pdf"
    second.write_bytes(make_pdf([PAGES[0], _page(2, ["2. Acme may assign this agreement to an affiliate."]),
                                 *PAGES[2:]]))
    updated = _invoke("update", "tos", str(second), "--repo", str(repo.root))
    assert updated.exit_code == 0, updated.output
    assert "Note: PDF artifacts cleaned (" in updated.output
    assert "to an affiliate." in repo.text("tos") and "Page 2 of 4" not in repo.text("tos")


@pytest.mark.parametrize("command", ["import", "add"])
def test_a_scanned_pdf_is_one_error_line_and_nothing_is_committed(repo: AgreementRepo, tmp_path: Path,
                                                                  command: str):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_pdf([b""], image=True))
    before = snapshot(repo)
    args = [command, str(scan)] if command == "import" else [command, "x", str(scan), "--title", "X",
                                                             "--lang", "en", "--kind", "trial"]
    result = _invoke(*args, "--repo", str(repo.root))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {scan}: has no text layer (a scan?); run OCR first "
                                                  "(e.g. ocrmypdf) and import the result"]
    assert snapshot(repo) == before


@pytest.mark.parametrize("name", ["speech-trial", "yuyin-commercial"])
def test_a_word_redline_read_with_its_revisions_accepted_is_the_new_text(tmp_path: Path, name: str):
    suffix = ".md" if name.startswith("speech") else ".txt"
    old, new = SAMPLES / f"{name}{suffix}", SAMPLES / f"{name}.v2{suffix}"
    redline = tmp_path / "redline.docx"
    assert _invoke("diff", str(old), str(new), "--format", "docx", "-o", str(redline)).exit_code == 0
    refused = _invoke("import", str(redline), "--dry-run")
    assert refused.exit_code == 1 and "has unaccepted tracked changes" in refused.output
    from clausewise.versions.readers import read_agreement_file

    accepted = read_agreement_file(redline, accept_revisions=True)
    assert accepted.notes and accepted.notes[0].startswith("tracked changes read as accepted (")
    title_block = accepted.text.index(new.read_text("utf-8").split("\n")[0].lstrip("# "))
    assert substantive_changes(new.read_text("utf-8"), accepted.text[title_block:]) == []
