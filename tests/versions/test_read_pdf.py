"""The PDF reader: text in reading order from PDFs written byte by byte (pdf_maker) and by the real
office suite (LibreOffice headless), and one clear error for every PDF it cannot read."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
import textwrap
import uuid
from pathlib import Path

import git
import pypdf
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.differ.diff import diff_texts
from clausewise.differ.model import DocumentRef
from clausewise.differ.render_json import render_json
from clausewise.errors import ClausewiseError
from clausewise.versions.pdfclean import clean_extracted_text
from clausewise.versions.readers import read_agreement_file
from clausewise.versions.readers.pdf import MAX_PAGES, read_pdf
from clausewise.versions.store import AgreementRepo

from .conftest import snapshot
from .pdf_maker import assemble, make_pdf, text_page

SAMPLES = Path(__file__).resolve().parents[2] / "clausewise" / "samples"
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.iterdir() if p.suffix in (".md", ".txt"))


def _error(data: bytes) -> str:
    with pytest.raises(ClausewiseError) as caught:
        read_pdf(data, "deal.pdf")
    message = str(caught.value)
    assert message.startswith("deal.pdf: ") and "\n" not in message
    return message


# --- reading order, wrapped lines and paragraphs ----------------------------------------------


def test_wrapped_lines_join_with_a_space_a_hyphenated_word_joins_and_a_paragraph_gap_stays():
    page = text_page([
        (72, 770, 11, "1.1 The Customer shall pay the fees within thirty days of the"),
        (72, 757, 11, "invoice date, unless the parties agree other-"),
        (72, 744, 11, "wise in writing."),
        (72, 720, 11, "1.2 A short clause."),
        (72, 707, 11, "1.3 Another one."),
    ])
    extracted = read_pdf(make_pdf([page]), "deal.pdf")
    assert extracted.format == "pdf" and extracted.needs_cleaning
    assert extracted.text == ("1.1 The Customer shall pay the fees within thirty days of the invoice date, unless the "
                              "parties agree otherwise in writing.\n\n1.2 A short clause.\n1.3 Another one.\n")


def test_a_compound_keeps_its_hyphen_when_the_document_writes_it_with_one():
    page = text_page([  # Courier: every character as wide as the next
        (72, 770, 10, "2.1 This licence is non-exclusive. It is granted to the party named above, and"),
        (72, 758, 10, "a third-party provider may use it for that party, just like any other third-"),
        (72, 746, 10, "party provider."),
    ], font="F2")
    assert "just like any other third-party provider." in read_pdf(make_pdf([page]), "deal.pdf").text


def test_two_columns_are_read_column_by_column_and_a_heading_across_both_comes_first():
    words = ("The provider may suspend the service where the customer fails to pay any amount that is due "
             "under this agreement within the period stated in the order ").split()
    left = textwrap.wrap(" ".join(words * 3), 40)
    right = textwrap.wrap(" ".join(["Right"] + words * 3), 40)
    items = [(50, 800, 12, "Terms of Service of the Northwind Speech Service, version two")]
    for i, (l, r) in enumerate(zip(left, right)):
        items += [(50, 770 - 12 * i, 9, l), (310, 770 - 12 * i, 9, r)]
    text = read_pdf(make_pdf([text_page(items, font="F2")]), "deal.pdf").text  # Courier: wraps at 40 characters
    lines = text.splitlines()
    assert lines[0] == "Terms of Service of the Northwind Speech Service, version two"
    assert lines[2] == " ".join(left)  # the whole left column, wrapped lines joined
    assert lines[3] == " ".join(right[: len(left)])


def test_a_table_of_short_cells_is_read_row_by_row():
    items = []
    for i, (name, value) in enumerate([("Plan", "Price"), ("Basic", "USD 10"), ("Team", "USD 50"), ("Pro", "USD 90"),
                                       ("Enterprise", "on request"), ("Support", "included"), ("Storage", "1 TB"),
                                       ("Seats", "unlimited"), ("Term", "12 months")]):
        items += [(72, 770 - 14 * i, 10, name), (300, 770 - 14 * i, 10, value)]
    text = read_pdf(make_pdf([text_page(items)]), "deal.pdf").text
    assert "Basic USD 10\nTeam USD 50" in text


def test_text_printed_twice_for_bold_is_read_once():
    items = [(72, 770, 12, "1. Fees"), (72.4, 770, 12, "1. Fees"), (72, 750, 11, "1.1 Fees are due monthly.")]
    text = read_pdf(make_pdf([text_page(items)]), "deal.pdf").text
    assert text.split("\n") == ["1. Fees", "1.1 Fees are due monthly.", ""]


def test_pages_are_separated_by_form_feeds_for_the_cleaner():
    pages = [text_page([(72, 770, 11, "1. First page."), (300, 40, 9, "Page 1 of 2")]),
             text_page([(72, 770, 11, "2. Second page."), (300, 40, 9, "Page 2 of 2")])]
    extracted = read_pdf(make_pdf(pages), "deal.pdf")
    assert "\n\f2. Second page." in extracted.text
    assert clean_extracted_text(extracted.text).text == "1. First page.\n\n2. Second page.\n"


def test_what_pypdf_warns_about_becomes_a_note_and_is_not_printed(capsys: pytest.CaptureFixture[str]):
    page = b"BT /F9 11 Tf 72 770 Td (ghost) Tj ET\n" + text_page([(72, 750, 11, "1.1 Fees are due monthly.")])
    extracted = read_pdf(make_pdf([page]), "deal.pdf")
    assert "1.1 Fees are due monthly." in extracted.text
    assert any("F9" in note for note in extracted.notes)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_text_turned_sideways_is_left_out_with_a_note():
    page = text_page([(72, 770, 11, "1.1 Fees are due monthly.")]) + b"\nBT /F1 11 Tf 0 1 -1 0 300 400 Tm (DRAFT) Tj ET"
    extracted = read_pdf(make_pdf([page]), "deal.pdf")
    assert extracted.text == "1.1 Fees are due monthly.\n"
    assert extracted.notes == ["text turned sideways (a stamp, a margin note, a rotated table) is left out of the text"]


# --- files the reader refuses -------------------------------------------------------------------


def test_a_scan_without_a_text_layer_is_refused_with_the_ocr_hint():
    assert _error(make_pdf([b"", b""], image=True)) == (
        "deal.pdf: has no text layer (a scan?); run OCR first (e.g. ocrmypdf) and import the result")


def test_a_scanned_page_among_text_pages_is_read_and_noted():
    data = make_pdf([text_page([(72, 770, 11, "1.1 Fees are due monthly.")]), b""], image=True)
    extracted = read_pdf(data, "deal.pdf")
    assert "1.1 Fees are due monthly." in extracted.text
    assert any(note.startswith("page(s) 2 hold images but no text") for note in extracted.notes)


def test_a_truncated_pdf_is_refused():
    data = make_pdf([text_page([(72, 770, 11, "1.1 Fees are due monthly.")])])
    assert "damaged or truncated" in _error(data[: len(data) // 2])


def test_bytes_that_only_begin_like_a_pdf_are_refused():
    assert "damaged or truncated" in _error(b"%PDF-1.7\n" + bytes(range(256)) * 20)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_password_protected_pdf_is_refused_and_one_without_a_user_password_is_read(algorithm: str):
    def encrypted(user_password: str) -> bytes:
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(
            make_pdf([text_page([(72, 770, 11, "1.1 Fees are due monthly.")])]))))
        writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    message = _error(encrypted("secret"))
    assert "is password-protected; remove the password" in message
    assert read_pdf(encrypted(""), "deal.pdf").text == "1.1 Fees are due monthly.\n"


def test_more_pages_than_the_limit_is_refused_before_reading_them():
    message = _error(make_pdf([text_page([(72, 770, 11, "x")])] * (MAX_PAGES + 1)))
    assert f"has {MAX_PAGES + 1} pages, more than the {MAX_PAGES}" in message


def test_a_page_tree_nested_thousands_deep_is_refused():
    depth = 5000
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects += [b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (n + 3) for n in range(depth)]
    objects.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    assert "a PDF bomb?" in _error(assemble(objects))


def test_an_array_nested_fifty_thousand_deep_is_refused():
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Junk " + b"[" * 50_000 + b"]" * 50_000 + b" >>"]
    _error(assemble(objects))


def test_a_page_that_inflates_to_megabytes_of_drawing_is_refused():
    bomb = b"BT /F1 11 Tf 72 700 Td (x) Tj ET\n" * 300_000  # 10 MB, compressed to a few kB
    assert "page 1 draws more than 8 MB" in _error(make_pdf([bomb], compress=True))


def test_the_dispatcher_goes_by_content_not_by_extension(tmp_path: Path):
    text_named_pdf = tmp_path / "terms.pdf"
    text_named_pdf.write_text("1.1 Fees are due monthly.\n", encoding="utf-8")
    assert read_agreement_file(text_named_pdf).format == "text"
    pdf_named_txt = tmp_path / "terms.txt"
    pdf_named_txt.write_bytes(make_pdf([text_page([(72, 770, 11, "1.1 Fees are due monthly.")])]))
    extracted = read_agreement_file(pdf_named_txt)
    assert (extracted.format, extracted.text) == ("pdf", "1.1 Fees are due monthly.\n")


# --- round trip through the real office suite ----------------------------------------------------


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, tuple[str, Path]]:
    """Every sample agreement, and the seed document as clausewise stores it (cleaned), as PDFs
    written by LibreOffice headless from their text: name -> (source text, PDF)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs libreoffice-writer-nogui")
    folder = tmp_path_factory.mktemp("render")
    sources: dict[str, str] = {name: (SAMPLES / name).read_text(encoding="utf-8") for name in SAMPLE_NAMES}
    try:
        seed = request.getfixturevalue("corpus_path").read_text(encoding="utf-8")
        sources["seed"] = clean_extracted_text(seed).text
    except pytest.skip.Exception:
        pass  # the seed's own test below skips, saying why
    inputs = []
    for name, text in sources.items():
        path = folder / f"{name.replace('.', '_')}.txt"
        path.write_text(text, encoding="utf-8")
        inputs.append(str(path))
    profile = Path("/tmp") / f"clausewise-soffice-{uuid.uuid4().hex}"
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--infilter=Text (encoded):UTF8,LF,,,", "--convert-to", "pdf:writer_pdf_Export",
                        "--outdir", str(folder), *inputs], check=True, capture_output=True, timeout=240)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return {name: (text, folder / f"{name.replace('.', '_')}.pdf") for name, text in sources.items()}


def _changes(source: str, pdf: Path) -> list[dict]:
    """The clauses that the differ finds changed (or moved) between ``source`` and the PDF read back."""
    extracted = read_agreement_file(pdf)
    back = clean_extracted_text(extracted.text).text
    diff = json.loads(render_json(diff_texts(source, back, DocumentRef("source"), DocumentRef(pdf.name))))
    assert len(diff["changes"]) > 10
    return [change for change in diff["changes"] if change["status"] != "unchanged" or change["moved"]]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_each_sample_agreement_survives_a_round_trip_through_a_libreoffice_pdf(rendered, name: str):
    source, pdf = rendered[name]
    assert _changes(source, pdf) == []


def test_chinese_comes_back_in_reading_order_without_spaces_between_characters(rendered):
    source, pdf = rendered["yuyin-commercial.txt"]
    extracted = read_agreement_file(pdf)
    assert "（以下简称“用户”）订立。" in extracted.text  # LibreOffice wrapped the line between 用 and 户
    assert clean_extracted_text(extracted.text).text == source


def test_the_seed_document_survives_a_round_trip_through_a_libreoffice_pdf(rendered, corpus_path: Path):
    source, pdf = rendered["seed"]
    assert _changes(source, pdf) == []


# --- clausewise import FILE.pdf ------------------------------------------------------------------


def test_cli_import_of_a_pdf_commits_the_cleaned_agreement(rendered, repo: AgreementRepo):
    source, pdf = rendered["yuyin-trial.txt"]
    result = CliRunner().invoke(main, ["import", str(pdf), "--id", "yuyin-trial", "--repo", str(repo.root)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 agreement(s)" in result.output
    agreement = repo.agreement("yuyin-trial")
    assert (agreement.title, agreement.language) == ("北风云语音服务试用协议", "zh-CN")
    assert repo.text("yuyin-trial") == source
    assert git.Repo(repo.root).is_dirty(untracked_files=True) is False


def test_cli_import_of_a_scan_says_so_and_commits_nothing(repo: AgreementRepo, tmp_path: Path):
    scan = tmp_path / "signed.pdf"
    scan.write_bytes(make_pdf([b""], image=True))
    before = snapshot(repo)
    result = CliRunner().invoke(main, ["import", str(scan), "--repo", str(repo.root)])
    assert result.exit_code == 1
    assert result.output == (f"Error: {scan}: has no text layer (a scan?); run OCR first (e.g. ocrmypdf) and "
                             "import the result\n")
    assert snapshot(repo) == before


def _html_block(line: str) -> str:
    """A Markdown heading as an HTML heading (larger, bold), any other line as a justified paragraph."""
    heading = re.match(r"(#+) (.*)", line)
    if heading:
        level = len(heading.group(1))
        return f"<h{level}>{html.escape(heading.group(2))}</h{level}>"
    return f'<p style="text-align: justify">{html.escape(line)}</p>'


@pytest.mark.parametrize("name", ["yuyin-trial.txt", "speech-trial.md", "speech-commercial.v2.md"])
def test_a_sample_printed_by_chromium_survives_the_round_trip_with_its_chinese_characters(name: str, tmp_path: Path):
    from clausewise.differ.render_pdf import find_chromium, html_to_pdf

    try:
        find_chromium()
    except ClausewiseError as exc:
        pytest.skip(f"no Chromium to print with: {exc}")
    source = re.sub(r"(?m)^#+ ", "", (SAMPLES / name).read_text(encoding="utf-8"))  # headings become <hN>
    paragraphs = "".join(_html_block(line) for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines()
                         if line.strip())
    pdf = tmp_path / "printed.pdf"
    pdf.write_bytes(html_to_pdf(f'<!doctype html><html lang="{"zh-CN" if name.startswith("yuyin") else "en"}">'
                                f'<meta charset="utf-8"><body>{paragraphs}</body></html>'))
    text = read_agreement_file(pdf).text
    assert not any("\u2e80" <= char <= "\u2fdf" for char in text)  # Noto CJK's radicals read as characters
    assert _changes(source, pdf) == []


def test_radicals_become_the_characters_of_simplified_or_traditional_text():
    from clausewise.versions.readers.pdf_layout import with_ideographs

    assert with_ideographs("北⻛云向⽤⼾发出的通知") == "北风云向用户发出的通知"
    assert with_ideographs("本協議對⽤⼾們適⽤") == "本協議對用戶們適用"
    assert with_ideographs("1.1 Fees") == "1.1 Fees"
