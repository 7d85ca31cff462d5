"""``clausewise diff --format pdf``: the HTML redline printed by Debian's headless Chromium, read
back with poppler (pdftotext, pdftoppm)."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clausewise.differ.render_pdf import html_to_pdf, render_pdf
from clausewise.errors import ClausewiseError

from .conftest import INJECTIONS, document_diff, hostile_diff
from .pairs import NEW_EN, NEW_ZH, OLD_EN, OLD_ZH

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                reason="poppler-utils (pdftotext, pdftoppm) is not installed")


def write_pair(folder: Path, old: str, new: str, suffix: str = ".md") -> tuple[str, str]:
    old_path, new_path = folder / f"old{suffix}", folder / f"new{suffix}"
    old_path.write_text(old, encoding="utf-8")
    new_path.write_text(new, encoding="utf-8")
    return str(old_path), str(new_path)


def run(*args: str, env: dict[str, str] | None = None, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([CLAUSEWISE, *args], stdout=stdout, stderr=subprocess.PIPE, check=False,
                          env={**os.environ, **(env or {})})


def pdf_text(pdf: bytes | Path) -> str:
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode("utf-8")


def squeezed(text: str) -> str:
    """Text without whitespace: pdftotext breaks lines where the page did."""
    return "".join(text.split())


def clause_text(line: str) -> str:
    """A line of a sample text without its number (renumbered clauses keep their text)."""
    return (line.split(" ", 1)[-1] if line[:1].isdigit() else line).lstrip("# ")


def test_english_pdf_holds_every_clause_old_and_new_text(tmp_path):
    old, new = write_pair(tmp_path, OLD_EN, NEW_EN)
    out = tmp_path / "redline.pdf"
    result = run("diff", old, new, "--format", "pdf", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    text = squeezed(pdf_text(data))
    assert "Redline:" in text
    assert squeezed("within [−thirty−][+fifteen+] days of the invoice date") in text
    assert squeezed("[−Fees exclude taxes, which the Customer pays in addition to the fees.−]") in text  # removed
    assert squeezed("[+\"Account\" means the Customer's login to the Service console.+]") in text  # added
    unchanged = set(map(clause_text, OLD_EN.splitlines())) & set(map(clause_text, NEW_EN.splitlines()))
    for words in unchanged:  # unchanged clauses print too
        assert squeezed(words) in text
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info


def test_chinese_pdf_keeps_the_characters(tmp_path):
    old, new = write_pair(tmp_path, OLD_ZH, NEW_ZH, ".txt")
    out = tmp_path / "修订.pdf"
    result = run("diff", old, new, "--format", "pdf", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = squeezed(pdf_text(out))
    assert "修订对照" in text  # the labels follow the text's language
    assert "您应在发票日期后[−三十日−][+十五个工作日+]内支付费用。" in text
    assert "[−费用不含税费，税费由您另行承担。−]" in text
    assert "本协议由[−北风科技−][+南风控股+]有限公司" in text
    assert "本协议适用中华人民共和国法律。" in text


def test_folded_clauses_print_unfolded_without_controls():
    text = squeezed(pdf_text(render_pdf(document_diff())))
    # 4.2 lies inside a run of unchanged clauses the HTML page folds into one line
    assert squeezed("The support terms, point 2: the Provider keeps record 42 for audit.") in text
    for control in ("unchangedclauses,", "Expandall", "Sidebyside", "Previouschange", "Contents"):
        assert control not in text


def test_markup_in_the_agreement_stays_text():
    text = squeezed(pdf_text(render_pdf(hostile_diff())))
    for injection in INJECTIONS:
        assert squeezed(injection) in text


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of a binary PPM (P6) as pdftoppm writes it."""
    data = path.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P6" and fields[3] == b"255"
    return int(fields[1]), int(fields[2]), fields[4]


def test_first_page_shows_the_redline_in_its_colours(tmp_path):
    """The one screenshot test: the first page, rasterised, is not blank and carries the
    insertion and deletion tints and the added and removed clause borders."""
    old, new = write_pair(tmp_path, OLD_EN, NEW_EN)
    out = tmp_path / "redline.pdf"
    assert run("diff", old, new, "--format", "pdf", "-o", str(out)).returncode == 0
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")], check=True)
    width, height, pixels = read_ppm(next(tmp_path.glob("page*.ppm")))
    colours: dict[tuple[int, int, int], int] = {}
    for at in range(0, len(pixels), 3):
        rgb = (pixels[at], pixels[at + 1], pixels[at + 2])
        colours[rgb] = colours.get(rgb, 0) + 1
    ink = width * height - colours.get((255, 255, 255), 0)
    assert ink > width * height // 50  # not a blank page

    def near(target: tuple[int, int, int]) -> int:
        return sum(count for rgb, count in colours.items() if max(abs(a - b) for a, b in zip(rgb, target)) <= 6)

    assert near((0xda, 0xfb, 0xe1)) > 50  # insertion tint
    assert near((0xff, 0xe4, 0xe6)) > 50  # deletion tint
    assert near((0x1a, 0x7f, 0x37)) > 20  # added: border, badge
    assert near((0xcf, 0x22, 0x2e)) > 20  # removed: border, badge


def test_pdf_to_a_pipe_and_never_to_a_terminal(tmp_path):
    old, new = write_pair(tmp_path, OLD_EN, NEW_EN)
    piped = run("diff", old, new, "--format", "pdf")
    assert piped.returncode == 0 and piped.stdout.startswith(b"%PDF-")
    controller, terminal = pty.openpty()
    try:
        refused = run("diff", old, new, "--format", "pdf", stdout=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    assert refused.returncode == 2
    assert refused.stderr.decode() == ("Error: --format pdf writes a binary file, not text for the terminal; "
                                       "write it with -o redline.pdf, or redirect: > redline.pdf\n")


def test_missing_chromium_is_one_error_line_and_writes_nothing(tmp_path):
    old, new = write_pair(tmp_path, OLD_EN, NEW_EN)
    out = tmp_path / "redline.pdf"
    out.write_bytes(b"the previous redline")
    no_browser = tmp_path / "empty-bin"
    no_browser.mkdir()
    for env in ({"PATH": str(no_browser), "CLAUSEWISE_CHROMIUM": ""},
                {"CLAUSEWISE_CHROMIUM": str(tmp_path / "no-such-chromium")}):
        result = run("diff", old, new, "--format", "pdf", "-o", str(out), env=env)
        assert result.returncode == 1
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ")
        assert "install chromium (Debian: apt-get install chromium)" in lines[0]
        assert "Traceback" not in result.stderr.decode()
    assert out.read_bytes() == b"the previous redline"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty-bin", "new.md", "old.md", "redline.pdf"]


def test_a_browser_that_fails_or_hangs_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSEWISE_CHROMIUM", shutil.which("false") or "/bin/false")
    with pytest.raises(ClausewiseError, match=r"could not print the redline to PDF \(exit code 1\)"):
        html_to_pdf("<p>x</p>")
    monkeypatch.delenv("CLAUSEWISE_CHROMIUM")
    with pytest.raises(ClausewiseError, match=r"did not finish printing the redline to PDF within 0.01 s"):
        html_to_pdf("<p>x</p>", timeout=0.01)
