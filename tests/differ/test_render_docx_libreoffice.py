"""The Word redline in a real office suite, LibreOffice headless (tests/differ/libreoffice.py):
every redline opens without repair, "Accept All" gives the new text and "Reject All" the old; and
the pages, printed to PDF and rasterised by pdftoppm, show coloured revision marks and CJK text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from clausewise.differ import diff_texts
from clausewise.differ.model import DocumentRef
from clausewise.differ.render_docx import TITLE_BLOCK_PARAGRAPHS, render_docx

from . import libreoffice
from .docx_cases import assert_same_text, docx_of, expected_paragraphs, real_cases, sample_cases

pytestmark = pytest.mark.skipif(not libreoffice.available(),
                                reason=f"LibreOffice not found at {libreoffice.SOFFICE}: apt-get install "
                                       "libreoffice-writer (as .ci/run does)")
CASES = sample_cases() + real_cases()  # the real pairs when ../shared is there (CI has it)


@pytest.fixture(scope="module")
def office_texts(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """Every case's redline as LibreOffice reads it, all changes accepted and all rejected (one run)."""
    folder = tmp_path_factory.mktemp("docx")
    paths = {}
    for index, case in enumerate(CASES):
        paths[case.name] = folder / f"{index}.docx"
        paths[case.name].write_bytes(docx_of(case))
    texts = libreoffice.revised_texts(list(paths.values()), folder)
    return {name: texts[path] for name, path in paths.items()}


def _body_lines(text: str) -> list[str]:
    lines = text.split("\n")[TITLE_BLOCK_PARAGRAPHS:]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_libreoffice_accept_all_and_reject_all(case, office_texts):
    accepted, rejected = office_texts[case.name]
    old, new = expected_paragraphs(case)
    assert_same_text(case, _body_lines(accepted), "\n".join(new).split("\n"), "new")
    assert_same_text(case, _body_lines(rejected), "\n".join(old).split("\n"), "old")


def test_a_damaged_file_does_not_open(tmp_path):
    """The check above means something: LibreOffice (RepairPackage off) refuses a file that needs
    repair, and the helper says so."""
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(docx_of(CASES[0])[:-200])
    with pytest.raises(AssertionError, match="does not open without repair"):
        libreoffice.run([libreoffice.Job(damaged, tmp_path / "out.txt")])


def _pixels(png_page: Path) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of a page rasterised as PPM (no imaging library needed)."""
    data = png_page.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P6" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return width, height, fields[4][-width * height * 3:]


def _page_colours(pdf: Path, folder: Path) -> tuple[int, int]:
    """Dark (text) and strongly coloured (revision mark) pixels of the PDF's first page."""
    prefix = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True, timeout=120)
    width, height, rgb = _pixels(next(folder.glob(f"{pdf.stem}*.ppm")))
    dark = coloured = 0
    for at in range(0, len(rgb), 3):
        red, green, blue = rgb[at], rgb[at + 1], rgb[at + 2]
        if max(red, green, blue) < 128:
            dark += 1
        elif max(red, green, blue) - min(red, green, blue) > 90:
            coloured += 1
    return dark, coloured


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed (apt-get install "
                                                              "poppler-utils, as .ci/run does)")
def test_pages_show_revisions_in_colour_and_chinese_text(tmp_path):
    """Page 1 of an English and a Chinese redline has text and revision colour (LibreOffice colours
    each author's changes); the same agreement compared with itself has text and no colour."""
    cases = {case.name: case for case in sample_cases()}
    english = cases["speech-trial.md"]
    documents = {"english": docx_of(english), "chinese": docx_of(cases["yuyin-trial.txt"]),
                 "unchanged": render_docx(diff_texts(english.new, english.new, DocumentRef("a"), DocumentRef("b")))}
    jobs = []
    for name, data in documents.items():
        source = tmp_path / f"{name}.docx"
        source.write_bytes(data)
        jobs.append(libreoffice.Job(source, tmp_path / f"{name}.pdf", libreoffice.PDF))
    libreoffice.run(jobs)
    colours = {job.target.stem: _page_colours(job.target, tmp_path) for job in jobs}
    for name, (dark, coloured) in colours.items():
        assert dark > 2000, f"{name}: page 1 looks blank ({dark} dark pixels)"
        if name == "unchanged":
            assert coloured < 50, f"{name}: {coloured} coloured pixels on a page without revisions"
        else:
            assert coloured > 300, f"{name}: no coloured revision marks ({coloured} pixels)"
    chinese = subprocess.run(["pdftotext", "-l", "1", str(tmp_path / "chinese.pdf"), "-"], capture_output=True,
                             check=True, timeout=120).stdout.decode("utf-8")
    assert "试用期：指自用户开通试用之日起" in chinese.replace("\n", "")
