"""Word files written by the real office suite (LibreOffice headless) for the reader tests.

Documents are described as flat OpenDocument XML (.fodt), with real list styles and outline
numbering, or as HTML, and converted to .docx by ``soffice`` with a private profile, so that the
numbering, footnotes, comments and tracked changes in them are what LibreOffice writes.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")

FODT_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
"""


def level_style(level: int, num_format: str, prefix: str = "", suffix: str = "", display: int = 1,
                outline: bool = False) -> str:
    """One numbered level of a list style (or of the outline style), label followed by a tab."""
    tag = "text:outline-level-style" if outline else "text:list-level-style-number"
    indent = 0.6 * level
    return (f'<{tag} text:level="{level}" style:num-format="{html.escape(num_format)}" '
            f'style:num-prefix="{html.escape(prefix)}" style:num-suffix="{html.escape(suffix)}" '
            f'text:display-levels="{display}"><style:list-level-properties '
            'text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment '
            f'text:label-followed-by="listtab" text:list-tab-stop-position="{indent:.1f}cm" '
            f'fo:text-indent="-0.6cm" fo:margin-left="{indent:.1f}cm"/></style:list-level-properties></{tag}>')


def fodt(body: str, *, list_styles: dict[str, list[str]] | None = None, outline: list[str] | None = None,
         tracked_changes: str = "") -> str:
    """A flat ODT: ``body`` (office:text content), named list styles, an outline numbering style."""
    styles = ['<style:style style:name="Title" style:family="paragraph" style:class="chapter"/>']
    if outline:
        styles.append('<text:outline-style style:name="Outline">' + "".join(outline) + "</text:outline-style>")
    for name, levels in (list_styles or {}).items():
        styles.append(f'<text:list-style style:name="{name}">' + "".join(levels) + "</text:list-style>")
    return (FODT_HEAD + "<office:styles>" + "".join(styles) + "</office:styles><office:body><office:text>"
            + tracked_changes + body + "</office:text></office:body></office:document>")


def p(text: str, style: str | None = None) -> str:
    attribute = f' text:style-name="{style}"' if style else ""
    return f"<text:p{attribute}>{html.escape(text)}</text:p>"


def h(text: str, level: int = 1) -> str:
    return f'<text:h text:outline-level="{level}">{html.escape(text)}</text:h>'


def to_docx(sources: list[Path], outdir: Path) -> list[Path]:
    """Convert each source (.fodt, .html) to .docx with LibreOffice in one run; the .docx paths."""
    profile = outdir.resolve() / f"lo-profile-{uuid.uuid4().hex}"
    command = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), *map(str, sources)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    shutil.rmtree(profile, ignore_errors=True)
    made = [outdir / (source.stem + ".docx") for source in sources]
    missing = [path.name for path in made if not path.exists()]
    assert not missing, f"LibreOffice wrote no {missing}"
    return made


def sample_as_html(text: str, markdown: bool) -> str:
    """A sample agreement as HTML: Markdown headings as <hN>, blocks (or, for plain text, lines) as <p>."""
    body = []
    if markdown:
        for block in re.split(r"\n\s*\n", text.strip()):
            heading = re.match(r"(#{1,6}) (.*)", block)
            if heading:
                n = len(heading.group(1))
                body.append(f"<h{n}>{html.escape(heading.group(2))}</h{n}>")
            else:
                body.append(f"<p>{html.escape(block)}</p>")
    else:
        body = [f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip()]
    return '<html><head><meta charset="utf-8"></head><body>' + "\n".join(body) + "</body></html>"


_CLAUSE = re.compile(r"(\d+)\.(\d+) (.*)", re.DOTALL)
_EN_SECTION = re.compile(r"## (\d+)\. (.*)")
_ZH_SECTION = re.compile(r"[一二三四五六七八九十]+、(.*)")


def sample_as_numbered_fodt(text: str, markdown: bool) -> str:
    """A sample agreement as a flat ODT whose section and clause numbers are LibreOffice's automatic
    numbering, not typed text: English sections "1." with clauses "1.1" (one multi-level list),
    Chinese sections "一、" (one list, Chinese counting) with each section's clauses "1.1" in a list of
    their own."""
    blocks = ([b.strip() for b in re.split(r"\n\s*\n", text.strip())] if markdown
              else [line.strip() for line in text.splitlines() if line.strip()])
    title, rest = blocks[0].lstrip("# "), blocks[1:]
    body = [p(title, "Title" if markdown else None)]
    styles: dict[str, list[str]] = {}
    if markdown:
        styles["Sections"] = [level_style(1, "1", suffix="."), level_style(2, "1", display=2)]
        items: list[str] = []
        for block in rest:
            section, clause = _EN_SECTION.fullmatch(block), _CLAUSE.fullmatch(block)
            if section:
                items.append(f"<text:list-item>{h(section.group(2), 1)}<text:list>")
            elif clause:
                items.append(f"<text:list-item>{p(clause.group(3))}</text:list-item>")
            elif not items:
                body.append(p(block))
            else:
                raise AssertionError(f"unexpected block {block[:40]!r}")
        body.append('<text:list text:style-name="Sections">' + _close_sections(items) + "</text:list>")
    else:
        styles["Sections"] = [level_style(1, "一, 二, 三, ...", suffix="、")]
        section_number = 0
        for block in rest:
            section, clause = _ZH_SECTION.fullmatch(block), _CLAUSE.fullmatch(block)
            if section:
                section_number += 1
                styles[f"Clauses{section_number}"] = [level_style(1, "1", prefix=f"{section_number}.")]
                continued = ' text:continue-list="sections"' if section_number > 1 else ' xml:id="sections"'
                body.append(f'<text:list text:style-name="Sections"{continued}><text:list-item>'
                            f"{p(section.group(1))}</text:list-item></text:list>")
            elif clause:
                opening = f'<text:list text:style-name="Clauses{section_number}">'
                if body[-1].startswith(opening):  # the section's list goes on
                    body[-1] = body[-1].removesuffix("</text:list>")
                else:
                    body.append(opening)
                body[-1] += f"<text:list-item>{p(clause.group(3))}</text:list-item></text:list>"
            else:
                body.append(p(block))
    return fodt("".join(body), list_styles=styles)


def _close_sections(items: list[str]) -> str:
    """The list items of the sections, each section's clause list closed before the next section."""
    out = []
    for item in items:
        if item.startswith("<text:list-item><text:h") and out:
            out.append("</text:list></text:list-item>")
        out.append(item)
    return "".join(out) + ("</text:list></text:list-item>" if out else "")


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(body: str, **parts: str) -> bytes:
    """A minimal .docx written by hand: ``body`` is the content of w:body; ``parts`` adds
    word/numbering.xml, footnotes.xml, comments.xml or styles.xml (their root elements' content)."""
    import io
    import zipfile

    rels = "".join(
        f'<Relationship Id="r{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'{name}" Target="{name}.xml"/>' for n, name in enumerate(parts))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                         'relationships+xml"/></Types>')
        package.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                         '</Relationships>')
        package.writestr("word/_rels/document.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                         f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        package.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>{body}'
                         "</w:body></w:document>")
        for name, content in parts.items():
            package.writestr(f"word/{name}.xml", f'<?xml version="1.0"?><w:{name} xmlns:w="{W_NS}">{content}'
                             f"</w:{name}>")
    return buffer.getvalue()


def wp(text: str, num: tuple[int, int] | None = None) -> str:
    """A w:p with one run of ``text``; ``num`` = (numId, ilvl) numbers it."""
    numbering = f'<w:pPr><w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr></w:pPr>' if num else ""
    return f"<w:p>{numbering}<w:r><w:t xml:space=\"preserve\">{html.escape(text)}</w:t></w:r></w:p>"
