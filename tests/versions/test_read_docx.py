"""Reading Word documents: files written by LibreOffice (real automatic numbering), the samples
round-tripped through Word format, tracked changes, and hostile or mislabelled files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msoffcrypto.format.ooxml import OOXMLFile

from clausewise.cli import main
from clausewise.differ import diff_texts
from clausewise.differ.model import DocumentRef
from clausewise.errors import ClausewiseError
from clausewise.versions import AgreementRepo
from clausewise.versions.readers import read_agreement_bytes, read_agreement_file
from clausewise.versions.readers.ooxml import MAX_UNCOMPRESSED

from .conftest import snapshot
from .office import (docx_bytes, fodt, h, level_style, needs_soffice, p, sample_as_html, sample_as_numbered_fodt,
                     to_docx, wp)

SAMPLES = Path(__file__).resolve().parents[2] / "clausewise" / "samples"
SAMPLE_FILES = sorted(SAMPLES.glob("*.md")) + sorted(SAMPLES.glob("*.txt"))


def substantive_changes(old: str, new: str) -> list[str]:
    """What the differ reports between two texts beyond typography, as readable lines."""
    result = diff_texts(old, new, DocumentRef("source"), DocumentRef("docx"))
    return [f"{c.status} {c.old_label} -> {c.new_label}: {c.ops[:3]}" for c in result.changes
            if c.status in ("added", "removed") or (c.status != "unchanged" and c.substantive)]


@pytest.fixture(scope="module")
def office_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("office")


# --- round trips through LibreOffice --------------------------------------------------------------


@needs_soffice
def test_every_sample_round_trips_through_word_without_a_substantive_change(office_dir: Path):
    sources = []
    for sample in SAMPLE_FILES:
        page = office_dir / f"typed-{sample.name.replace('.', '-')}.html"
        page.write_text(sample_as_html(sample.read_text("utf-8"), sample.suffix == ".md"), "utf-8")
        sources.append(page)
    for sample, docx in zip(SAMPLE_FILES, to_docx(sources, office_dir)):
        extracted = read_agreement_file(docx)
        assert extracted.format == "docx" and extracted.notes == []
        assert substantive_changes(sample.read_text("utf-8"), extracted.text) == [], sample.name


@needs_soffice
@pytest.mark.parametrize("name", ["speech-trial.md", "speech-commercial.v2.md", "yuyin-trial.txt",
                                  "yuyin-commercial.v2.txt"])
def test_samples_with_automatic_numbering_read_back_with_the_numbers_word_shows(office_dir: Path, name: str):
    sample = SAMPLES / name
    source = office_dir / f"numbered-{name.replace('.', '-')}.fodt"
    source.write_text(sample_as_numbered_fodt(sample.read_text("utf-8"), sample.suffix == ".md"), "utf-8")
    docx = to_docx([source], office_dir)[0]
    assert "<w:numPr>" in zipfile.ZipFile(docx).read("word/document.xml").decode()  # numbers are not typed
    text = read_agreement_file(docx).text
    if sample.suffix == ".md":
        assert "\n## 2. " in text and "\n2.3 " in text
    else:
        assert "\n二、 " in text and "\n2.3 " in text
    assert substantive_changes(sample.read_text("utf-8"), text) == []


@needs_soffice
def test_libreoffice_multilevel_outline_and_restarted_lists_give_the_displayed_labels(office_dir: Path):
    clauses = [level_style(1, "1", suffix="."), level_style(2, "1", display=2),
               level_style(3, "a", prefix="(", suffix=")"), level_style(4, "i", prefix="(", suffix=")")]
    outline = [level_style(1, "一, 二, 三, ...", prefix="第", suffix="条", outline=True)]

    def item(text: str, nested: str = "") -> str:
        return f"<text:list-item>{p(text)}{nested}</text:list-item>"

    def sublist(*items: str) -> str:
        return "<text:list>" + "".join(items) + "</text:list>"

    body = (h("定义") + p("本协议中的用语含义如下。") + h("费用")
            + '<text:list text:style-name="Clauses">'
            + item("Fees", sublist(item("Fees are due monthly.", sublist(
                item("by card;", sublist(item("Visa;"), item("Mastercard."))), item("by transfer."))),
                item("Late fees apply.")))
            + item("Term") + "</text:list>"
            + '<text:list text:style-name="Clauses">' + item("Restarted one") + item("Restarted two") + "</text:list>"
            + "".join(h(f"条款{n}") for n in range(3, 13)))
    source = office_dir / "numbering.fodt"
    source.write_text(fodt(body, list_styles={"Clauses": clauses}, outline=outline), "utf-8")
    text = read_agreement_file(to_docx([source], office_dir)[0]).text
    assert text.split("\n\n")[:16] == [
        "# 第一条 定义", "本协议中的用语含义如下。", "# 第二条 费用", "1. Fees", "1.1 Fees are due monthly.",
        "(a) by card;", "(i) Visa;", "(ii) Mastercard.", "(b) by transfer.", "1.2 Late fees apply.", "2. Term",
        "1. Restarted one", "2. Restarted two", "# 第三条 条款3", "# 第四条 条款4", "# 第五条 条款5"]
    assert "# 第十条 条款10\n\n# 第十一条 条款11\n\n# 第十二条 条款12\n" in text


# --- numbering written by hand: what LibreOffice does not write -----------------------------------


def _abstract(abstract_id: int, *levels: tuple[str, str, int], extra: str = "") -> str:
    """An abstractNum whose levels are (numFmt, lvlText, start)."""
    body = "".join(f'<w:lvl w:ilvl="{n}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
                   f'<w:lvlText w:val="{text}"/>{extra if n == 1 else ""}</w:lvl>'
                   for n, (fmt, text, start) in enumerate(levels))
    return f'<w:abstractNum w:abstractNumId="{abstract_id}">{body}</w:abstractNum>'


def test_legal_numbering_chinese_counting_start_and_restart_overrides():
    numbering = (_abstract(1, ("chineseCounting", "第%1条", 1), ("decimal", "%1.%2", 1), extra="<w:isLgl/>")
                 + _abstract(2, ("lowerRoman", "(%1)", 4), ("upperLetter", "%2.", 1))
                 + '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>'
                 + '<w:num w:numId="2"><w:abstractNumId w:val="2"/></w:num>'
                 + '<w:num w:numId="3"><w:abstractNumId w:val="2"/>'
                   '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
                 + '<w:num w:numId="4"><w:abstractNumId w:val="2"/></w:num>')
    body = ([wp("定义", (1, 0)), wp("甲方", (1, 1)), wp("乙方", (1, 1))]
            + [wp(f"条款{n}", (1, 0)) for n in range(2, 22)]
            + [wp("iv", (2, 0)), wp("A", (2, 1)), wp("restarted", (3, 0)), wp("continued", (4, 0)),
               wp("plain")])
    text = read_agreement_bytes(docx_bytes("".join(body), numbering=numbering), "legal.docx").text
    blocks = text.split("\n\n")
    assert blocks[:4] == ["第一条 定义", "1.1 甲方", "1.2 乙方", "第二条 条款2"]
    assert blocks[11:13] == ["第十条 条款10", "第十一条 条款11"] and blocks[22] == "第二十一条 条款21"
    assert blocks[23:] == ["(iv) iv", "A. A", "(i) restarted", "(ii) continued", "plain\n"]


def test_styles_give_headings_and_numbering_and_tables_become_markdown_tables():
    styles = ('<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="H1"><w:name w:val="heading 1"/>'
              '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
              '<w:style w:type="paragraph" w:styleId="H1b"><w:name w:val="Section"/><w:basedOn w:val="H1"/></w:style>')
    numbering = ('<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:pStyle w:val="H1"/>'
                 '<w:numFmt w:val="upperRoman"/><w:lvlText w:val="Article %1"/></w:lvl></w:abstractNum>'
                 '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>')

    def styled(style: str, text: str) -> str:
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'

    def cell(*paragraphs: str) -> str:
        return "<w:tc>" + "".join(paragraphs) + "</w:tc>"

    table = ("<w:tbl><w:tr>" + cell(styled("H1b", "Plan")) + cell(wp("Price")) + "</w:tr>"
             + "<w:tr>" + cell(wp("Basic | small")) + cell(wp("10"), wp("per month")) + "</w:tr>"
             + "<w:tr>" + cell(wp("Pro")) + "</w:tr></w:tbl>")
    body = (styled("Title", "Master Agreement") + styled("H1", "Scope") + wp("Text.")
            + styled("H1b", "Fees") + table + '<w:p><w:pPr><w:pStyle w:val="H1"/><w:numPr><w:numId w:val="0"/>'
            '</w:numPr></w:pPr><w:r><w:t>Annex</w:t></w:r></w:p>')
    text = read_agreement_bytes(docx_bytes(body, styles=styles, numbering=numbering), "styled.docx").text
    assert text == ("# Master Agreement\n\n## Article I Scope\n\nText.\n\n## Article II Fees\n\n"
                    "| Article III Plan | Price |\n| --- | --- |\n| Basic \\| small | 10<br>per month |\n| Pro |  |\n\n"
                    "## Annex\n")


# --- tracked changes, footnotes, comments ---------------------------------------------------------

TRACKED = (wp("1. Fees are due monthly.")
           + '<w:p><w:r><w:t xml:space="preserve">2. Fees are due within </w:t></w:r>'
             '<w:del w:id="1" w:author="Alice" w:date="2031-01-01T00:00:00Z"><w:r><w:delText>30</w:delText></w:r></w:del>'
             '<w:ins w:id="2" w:author="Alice" w:date="2031-01-01T00:00:00Z"><w:r><w:t>15</w:t></w:r></w:ins>'
             '<w:r><w:t xml:space="preserve"> days.</w:t></w:r></w:p>'
           + '<w:p><w:pPr><w:rPr><w:del w:id="3" w:author="Bob" w:date="2031-01-01T00:00:00Z"/></w:rPr></w:pPr>'
             '<w:del w:id="4" w:author="Bob" w:date="2031-01-01T00:00:00Z"><w:r><w:delText>3. A deleted clause.'
             "</w:delText></w:r></w:del></w:p>"
           + wp("4. Notices."))


def test_tracked_changes_are_refused_unless_read_as_accepted():
    data = docx_bytes(TRACKED)
    with pytest.raises(ClausewiseError, match=r"terms\.docx has unaccepted tracked changes \(3 deletions, 1 "
                                              r"insertion by Alice, Bob\); accept or reject them in Word .* "
                                              r"--accept-revisions"):
        read_agreement_bytes(data, "terms.docx")
    accepted = read_agreement_bytes(data, "terms.docx", accept_revisions=True)
    assert accepted.text == "1. Fees are due monthly.\n\n2. Fees are due within 15 days.\n\n4. Notices.\n"
    assert accepted.notes == ["tracked changes read as accepted (3 deletions, 1 insertion)"]


def test_a_moved_clause_is_read_once_at_its_destination():
    revision = 'w:id="{}" w:author="Dan" w:date="2031-01-01T00:00:00Z"'
    body = (f'<w:p><w:moveFrom {revision.format(1)}><w:r><w:t>3. Moved.</w:t></w:r></w:moveFrom></w:p>'
            + wp("1. First.") + f'<w:p><w:moveTo {revision.format(2)}><w:r><w:t>3. Moved.</w:t></w:r></w:moveTo></w:p>')
    with pytest.raises(ClausewiseError, match=r"\(1 move by Dan\)"):
        read_agreement_bytes(docx_bytes(body), "moved.docx")
    assert read_agreement_bytes(docx_bytes(body), "moved.docx", accept_revisions=True).text == "1. First.\n\n3. Moved.\n"


@needs_soffice
def test_libreoffice_footnotes_comments_and_tracked_changes(office_dir: Path):
    info = "<office:change-info><dc:creator>Alice</dc:creator><dc:date>2031-01-01T00:00:00</dc:date></office:change-info>"
    tracked = ('<text:tracked-changes text:track-changes="true">'
               f'<text:changed-region xml:id="ct1" text:id="ct1"><text:insertion>{info}</text:insertion></text:changed-region>'
               f'<text:changed-region xml:id="ct2" text:id="ct2"><text:deletion>{info}<text:p>30</text:p></text:deletion>'
               "</text:changed-region></text:tracked-changes>")
    body = ('<text:p>1. Fees are due monthly.<text:note text:id="n1" text:note-class="footnote"><text:note-citation>1'
            "</text:note-citation><text:note-body><text:p>In euros.</text:p></text:note-body></text:note>"
            "<office:annotation><dc:creator>Carol</dc:creator><text:p>Check with finance.</text:p></office:annotation>"
            ' Really.</text:p><text:p>2. Fees are due within <text:change text:change-id="ct2"/>'
            '<text:change-start text:change-id="ct1"/>15<text:change-end text:change-id="ct1"/> days.</text:p>')
    source = office_dir / "notes.fodt"
    source.write_text(fodt(body, tracked_changes=tracked), "utf-8")
    docx = to_docx([source], office_dir)[0]
    with pytest.raises(ClausewiseError, match=r"has unaccepted tracked changes \(1 deletion, 1 insertion by Alice\)"):
        read_agreement_file(docx)
    accepted = read_agreement_file(docx, accept_revisions=True)
    assert accepted.text == "1. Fees are due monthly. Really.\n\n2. Fees are due within 15 days.\n"
    assert accepted.notes == ["tracked changes read as accepted (1 deletion, 1 insertion)",
                              "footnote 1 left out of the clause text: In euros.",
                              "comment by Carol left out of the clause text: Check with finance."]


def test_footnotes_and_comments_stay_out_of_the_clause_text_and_are_reported():
    body = ('<w:p><w:r><w:t>1. Fees are due monthly.</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r>'
            '<w:commentRangeStart w:id="0"/><w:r><w:t xml:space="preserve"> Really.</w:t></w:r>'
            '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'
            '<w:r><w:endnoteReference w:id="5"/></w:r></w:p>')
    footnotes = ('<w:footnote w:type="separator" w:id="0"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
                 '<w:footnote w:id="2"><w:p><w:r><w:t>Monthly means each calendar month.</w:t></w:r></w:p></w:footnote>')
    comments = '<w:comment w:id="0" w:author="Carol"><w:p><w:r><w:t>Check with finance.</w:t></w:r></w:p></w:comment>'
    endnotes = '<w:endnote w:id="5"><w:p><w:r><w:t>See the price list.</w:t></w:r></w:p></w:endnote>'
    extracted = read_agreement_bytes(docx_bytes(body, footnotes=footnotes, comments=comments, endnotes=endnotes),
                                     "fees.docx")
    assert extracted.text == "1. Fees are due monthly. Really.\n"
    assert extracted.notes == ["footnote 1 left out of the clause text: Monthly means each calendar month.",
                               "endnote 1 left out of the clause text: See the price list.",
                               "comment by Carol left out of the clause text: Check with finance."]


# --- bad input ------------------------------------------------------------------------------------


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = _zip(**{"word/document.xml": b"\0" * (MAX_UNCOMPRESSED + 1)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ClausewiseError, match=r"bomb\.docx would unpack to 200 MB .*: a zip bomb"):
        read_agreement_bytes(bomb, "bomb.docx")


def test_a_zip_member_that_lies_about_its_size_is_caught_while_reading():
    honest = docx_bytes(wp("x" * 1000))
    package = zipfile.ZipFile(io.BytesIO(honest))
    info = package.getinfo("word/document.xml")
    # Declare 10 bytes for the document part: zipfile stops at the declared size and the CRC fails.
    lying = bytearray(honest)
    central = honest.rindex(b"PK\x01\x02", 0, honest.rindex(b"word/document.xml") + 1)
    lying[central + 24:central + 28] = (10).to_bytes(4, "little")
    local = info.header_offset
    lying[local + 22:local + 26] = (10).to_bytes(4, "little")
    with pytest.raises(ClausewiseError, match=r"lie\.docx: word/document\.xml cannot be unpacked"):
        read_agreement_bytes(bytes(lying), "lie.docx")


def test_a_real_password_protected_docx_is_refused(tmp_path: Path):
    plain = io.BytesIO(docx_bytes(wp("1. Secret terms.")))
    locked = io.BytesIO()
    OOXMLFile(plain).encrypt("Passw0rd", locked)  # ECMA-376 agile encryption, as Word writes it
    path = tmp_path / "locked.docx"
    path.write_bytes(locked.getvalue())
    with pytest.raises(ClausewiseError, match=r"locked\.docx is a password-protected Word file .*; remove the password"):
        read_agreement_file(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_bytes_or_xml_give_a_clausewise_error_or_text(data):
    """Random damage to a real .docx, to its zip bytes or to its XML, never escapes as a traceback."""
    xml_damage = data.draw(st.booleans())
    body = (wp("Heading", None) + "".join(wp(f"clause {n} pays {n * 7919 % 1000} days", (1, n % 2)) for n in range(40))
            + "<w:tbl><w:tr><w:tc>" + wp("cell") + "</w:tc></w:tr></w:tbl>")
    numbering = (_abstract(1, ("decimal", "%1.", 1), ("lowerLetter", "(%2)", 1))
                 + '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>')
    if xml_damage:
        parts = {"body": body, "numbering": numbering}
        name = data.draw(st.sampled_from(sorted(parts)))
        text = parts[name]
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 20)))
        parts[name] = text[:start] + data.draw(st.text(max_size=20)) + text[end:]
        raw = docx_bytes(parts["body"], numbering=parts["numbering"])
    else:
        raw = bytearray(docx_bytes(body, numbering=numbering))
        member = zipfile.ZipFile(io.BytesIO(raw)).getinfo("word/document.xml")
        first = member.header_offset + 30 + len(member.filename)  # the deflated document
        chance = data.draw(st.randoms(use_true_random=False))
        for _ in range(chance.randint(1, 8)):
            spot = chance.randrange(first, first + member.compress_size) if chance.random() < 0.7 \
                else chance.randrange(len(raw))
            raw[spot] = chance.randrange(256)
        if chance.random() < 0.2:
            del raw[chance.randrange(1, len(raw)):]
        raw = bytes(raw)
    try:
        extracted = read_agreement_bytes(raw, "damaged.docx")
    except ClausewiseError as exc:
        assert "damaged.docx" in str(exc)
    else:
        assert isinstance(extracted.text, str)


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04" + b"\0" * 40, r"corrupt\.docx is a damaged zip file"),
    (_zip(**{"notes.txt": b"hello"}), r"corrupt\.docx is a zip file but not a Word document \(no word/document"),
    (_zip(**{"xl/workbook.xml": b"<workbook/>"}), r"not a Word document \(an Excel workbook\)"),
    (docx_bytes(wp("x"))[:-30], r"corrupt\.docx is a damaged zip file"),
    (_zip(**{"word/document.xml": b"<w:document"}), r"word/document\.xml is not well-formed XML"),
])
def test_damaged_or_foreign_zips_give_one_clear_error(data: bytes, message: str):
    with pytest.raises(ClausewiseError, match=message):
        read_agreement_bytes(data, "corrupt.docx")


def test_xml_entity_attacks_are_refused_without_expanding_or_reading_files(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    laughs = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
              "<w:p><w:r><w:t>&d;</w:t></w:r></w:p></w:body></w:document>")
    external = laughs.replace('<!ENTITY a "ha">', f'<!ENTITY a SYSTEM "{secret.as_uri()}">')
    for document in (laughs, external):
        data = _zip(**{"word/document.xml": document.encode()})
        with pytest.raises(ClausewiseError, match=r"evil\.docx: word/document\.xml declares a DOCTYPE") as caught:
            read_agreement_bytes(data, "evil.docx")
        assert "TOP-SECRET" not in str(caught.value)


# --- the commands ---------------------------------------------------------------------------------


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_reads_a_word_file_by_its_content_and_stores_markdown(repo: AgreementRepo, tmp_path: Path):
    lying = tmp_path / "terms.pdf"  # a .docx named .pdf: read as Word all the same
    lying.write_bytes(docx_bytes(wp("Terms of Service", None) + wp("1. Fees are due monthly.")
                                 + '<w:p><w:r><w:t>2. Paid.</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>',
                                 footnotes='<w:footnote w:id="1"><w:p><w:r><w:t>In euros.</w:t></w:r></w:p></w:footnote>'))
    result = _invoke("import", str(lying), "--id", "tos", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert "Read as a Word document" in result.output
    assert "Note: footnote 1 left out of the clause text: In euros." in result.output
    assert repo.agreement("tos").path.name == "tos.md"
    assert repo.text("tos") == "Terms of Service\n\n1. Fees are due monthly.\n\n2. Paid.\n"


def test_add_reads_word_and_a_text_file_named_docx_as_text(repo: AgreementRepo, tmp_path: Path):
    word = tmp_path / "trial.docx"
    word.write_bytes(docx_bytes(TRACKED))
    before = snapshot(repo)
    refused = _invoke("add", "trial", str(word), "--title", "T", "--lang", "en", "--kind", "trial",
                      "--repo", str(repo.root))
    assert refused.exit_code == 1 and len(refused.output.strip().splitlines()) == 1
    assert refused.output.startswith(f"Error: {word} has unaccepted tracked changes")
    assert snapshot(repo) == before
    added = _invoke("add", "trial", str(word), "--title", "T", "--lang", "en", "--kind", "trial",
                    "--accept-revisions", "--repo", str(repo.root))
    assert added.exit_code == 0, added.output
    assert "Note: tracked changes read as accepted (3 deletions, 1 insertion)" in added.output
    assert repo.agreement("trial").path.name == "trial.md"
    assert "within 15 days" in repo.text("trial") and "deleted clause" not in repo.text("trial")
    text = tmp_path / "plain.docx"  # a text file named .docx: read as text
    text.write_text("1. Plain terms.\n", "utf-8")
    assert _invoke("add", "plain", str(text), "--title", "P", "--lang", "en", "--kind", "general",
                   "--repo", str(repo.root)).exit_code == 0
    assert repo.text("plain") == "1. Plain terms.\n"


def test_update_reads_a_word_file_and_refuses_tracked_changes_unless_accepted(trial_repo: AgreementRepo,
                                                                             tmp_path: Path):
    word = tmp_path / "trial-v2.docx"
    word.write_bytes(docx_bytes(wp("# Sample Trial Agreement") + TRACKED))
    before = snapshot(trial_repo)
    refused = _invoke("update", "trial", str(word), "--repo", str(trial_repo.root))
    assert refused.exit_code == 1 and refused.output.startswith(f"Error: {word} has unaccepted tracked changes")
    assert snapshot(trial_repo) == before
    updated = _invoke("update", "trial", str(word), "--accept-revisions", "--repo", str(trial_repo.root))
    assert updated.exit_code == 0, updated.output
    assert "Note: tracked changes read as accepted" in updated.output
    assert trial_repo.text("trial") == ("# Sample Trial Agreement\n\n1. Fees are due monthly.\n\n"
                                        "2. Fees are due within 15 days.\n\n4. Notices.\n")


@pytest.mark.parametrize("command", ["import", "add"])
def test_bad_word_files_leave_nothing_committed(repo: AgreementRepo, tmp_path: Path, command: str):
    before = snapshot(repo)
    for name, data in (("bomb.docx", _zip(**{"word/document.xml": b"\0" * (MAX_UNCOMPRESSED + 1)})),
                       ("broken.docx", b"PK\x03\x04" + b"\0" * 40),
                       ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)):
        path = tmp_path / name
        path.write_bytes(data)
        args = [command, str(path)] if command == "import" else [command, "x", str(path), "--title", "X",
                                                                  "--lang", "en", "--kind", "trial"]
        result = _invoke(*args, "--repo", str(repo.root))
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {path}"), result.output
    assert snapshot(repo) == before


@pytest.mark.parametrize("fmt", ["upperRoman", "lowerLetter", "chineseCounting"])
def test_a_crafted_huge_start_is_written_as_a_decimal_not_thousands_of_letters(fmt: str):
    numbering = _abstract(1, (fmt, "%1.", 10_000_000)) + '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>'
    text = read_agreement_bytes(docx_bytes(wp("Fees", (1, 0)), numbering=numbering), "huge.docx").text
    assert text == "10000000. Fees\n"
