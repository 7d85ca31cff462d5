"""Word reader (issue 12): a .docx as Markdown text, with the numbers Word displays.

Headings become ``#`` lines, paragraphs and list items lines of their own separated by blank lines,
tables Markdown tables. Automatic numbering, which is not in the text, is turned into the label
Word shows (see :mod:`.numbering`). Footnotes, endnotes and comments are kept out of the clause
text and reported in the notes. Unaccepted tracked changes are refused unless the caller asks to
read them as accepted; hidden text, deleted text, field codes and drawings are not read.

lxml reads the XML itself (see docs/architecture.md for why no higher-level Word library).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ...errors import ClausewiseError
from . import Extracted
from .numbering import FALSE, W, Numbering, w_val
from .ooxml import Package

# A move is a w:moveFrom and a w:moveTo: counted once.
_REVISIONS = {f"{W}ins": "insertion", f"{W}del": "deletion", f"{W}moveFrom": "move", f"{W}moveTo": "move"}
_FORMAT_REVISIONS = tuple(f"{W}{name}" for name in ("pPrChange", "rPrChange", "tblPrChange", "trPrChange",
                                                   "tcPrChange", "sectPrChange", "numberingChange"))
_CONTAINERS = {f"{W}{name}" for name in ("hyperlink", "smartTag", "customXml", "fldSimple", "ins", "moveTo",
                                        "dir", "bdo", "sdtContent")}
_MC_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_DRAWINGS = {_MC_ALTERNATE, f"{W}drawing", f"{W}pict", f"{W}object"}
_HEADING_NAME = re.compile(r"heading\s*([1-9])", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")
_NOTE_TEXT = 120  # characters of a footnote or comment shown in a note


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    outline: int | None = None  # 0-based outline level
    num_id: str | None = None
    ilvl: int | None = None


@dataclass
class _Paragraph:
    """One paragraph as read: its label ("1.1 ", "- " or ""), text and heading level (0: not a heading)."""

    text: str
    label: str = ""
    heading: int = 0


@dataclass
class _Reader:
    styles: dict[str, _Style]
    numbering: Numbering
    footnotes: dict[str, str]
    endnotes: dict[str, str]
    comments: dict[str, tuple[str, str]]
    title_offset: int
    notes: list[str] = field(default_factory=list)
    skipped_boxes: int = 0  # text boxes and drawings with text in them, not read
    _pending: str = ""  # text of paragraphs whose mark was deleted, joined to the next paragraph
    _note_counts: dict[str, int] = field(default_factory=dict)  # footnotes and endnotes numbered apart

    # --- styles -------------------------------------------------------------------------------

    def _style_chain(self, style_id: str | None):
        """The style ``style_id`` and the styles it is based on, nearest first (a loop is cut)."""
        seen = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            yield self.styles[style_id]
            style_id = self.styles[style_id].based_on

    def _heading_level(self, ppr: etree._Element | None, style_id: str | None) -> int:
        outline = w_val(ppr.find(f"{W}outlineLvl")) if ppr is not None else None
        if outline is not None:
            level = int(outline) + 1 if outline.isdigit() else 0
            return min(level + self.title_offset, 6) if 1 <= level <= 6 else 0
        for style in self._style_chain(style_id):
            if style.name.lower() == "title":
                return 1
            match = _HEADING_NAME.fullmatch(style.name.strip())
            if match:
                return min(int(match.group(1)) + self.title_offset, 6)
            if style.outline is not None:
                return min(style.outline + 1 + self.title_offset, 6) if style.outline < 9 else 0
        return 0

    def _numbering_of(self, ppr: etree._Element | None, style_id: str | None) -> tuple[str, int] | None:
        num_pr = ppr.find(f"{W}numPr") if ppr is not None else None
        num_id = w_val(num_pr.find(f"{W}numId")) if num_pr is not None else None
        ilvl = w_val(num_pr.find(f"{W}ilvl")) if num_pr is not None else None
        if num_id is None:
            for style in self._style_chain(style_id):
                if style.num_id is not None:
                    num_id = style.num_id
                    if ilvl is None and style.ilvl is not None:
                        ilvl = str(style.ilvl)
                    break
        if num_id is None or num_id == "0":
            return None
        if ilvl is None:
            ilvl = str(self.numbering.level_of_style(num_id, style_id) if style_id else 0)
        return (num_id, int(ilvl)) if ilvl.isdigit() else None

    # --- blocks -------------------------------------------------------------------------------

    def blocks(self, container: etree._Element, in_cell: bool = False) -> list[str]:
        """The Markdown blocks of a body, cell, or content control, in document order (in a table
        cell, headings without their ``#``)."""
        out: list[str] = []
        for child in container:
            tag = child.tag
            if tag == f"{W}p":
                paragraph = self.paragraph(child)
                if paragraph is not None:
                    out.append(paragraph.label + paragraph.text if in_cell else _markdown(paragraph))
            elif tag == f"{W}tbl":
                table = self.table(child)
                if table:
                    out.append(table)
            elif tag in (f"{W}sdt", f"{W}customXml"):
                content = child.find(f"{W}sdtContent") if tag == f"{W}sdt" else child
                if content is not None:
                    out.extend(self.blocks(content, in_cell))
            elif tag == f"{W}altChunk":
                self.notes.append("an embedded document (altChunk) was left out; paste its text into the document")
        return out

    def paragraph(self, p: etree._Element) -> _Paragraph | None:
        """The paragraph's label and text; None when it shows nothing (or its mark was deleted)."""
        ppr = p.find(f"{W}pPr")
        style_id = w_val(ppr.find(f"{W}pStyle")) if ppr is not None else None
        mark = ppr.find(f"{W}rPr") if ppr is not None else None
        text = self._pending + _SPACES.sub(" ", "".join(self._inline(p)))
        self._pending = ""
        if mark is not None and (mark.find(f"{W}del") is not None or mark.find(f"{W}moveFrom") is not None):
            self._pending = text  # accepted: this paragraph's text runs on into the next one
            return None
        text = "\n".join(line.strip() for line in text.split("\n")).strip()
        numbered = self._numbering_of(ppr, style_id)
        label = ""
        if numbered is not None and not _hidden(mark):
            found = self.numbering.label(*numbered)
            if found is not None and found.text.strip():
                # One space after the label whatever Word puts there (a tab, or nothing), so that the
                # differ reads "第一条 定义" and "1.1 Fees" as labelled clauses.
                label = "- " if found.bullet else found.text.strip() + " "
        if not text and not label.strip():
            return None
        return _Paragraph(text, label, self._heading_level(ppr, style_id))

    def table(self, tbl: etree._Element) -> str:
        """A Markdown table: one row per ``w:tr``, cells' paragraphs joined with ``<br>``."""
        rows: list[list[str]] = []
        for tr in tbl.iterfind(f"{W}tr"):
            cells = []
            for tc in tr.iterfind(f"{W}tc"):
                parts = [block.replace("\n", " ") for block in self.blocks(tc, in_cell=True)]
                cells.append("<br>".join(parts).replace("|", "\\|"))
            if any(cells):
                rows.append(cells)
        if not rows:
            return ""
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        lines.extend("| " + " | ".join(row) + " |" for row in rows[1:])
        return "\n".join(lines)

    # --- inline text --------------------------------------------------------------------------

    def _inline(self, element: etree._Element):
        for child in element:
            tag = child.tag
            if tag == f"{W}r":
                if not _hidden(child.find(f"{W}rPr")):
                    yield from self._run(child)
            elif tag in _CONTAINERS:
                yield from self._inline(child)
            elif tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    yield from self._inline(content)
            elif tag == _MC_ALTERNATE:
                self._count_box(child)

    def _run(self, run: etree._Element):
        for child in run:
            tag = child.tag
            if tag == f"{W}t":
                yield child.text or ""
            elif tag == f"{W}tab" or tag == f"{W}ptab":
                yield "\t"
            elif tag == f"{W}br":
                if child.get(f"{W}type", "textWrapping") == "textWrapping":
                    yield "\n"
            elif tag == f"{W}cr":
                yield "\n"
            elif tag == f"{W}noBreakHyphen":
                yield "-"
            elif tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                self._note_reference(child, tag == f"{W}footnoteReference")
            elif tag in _DRAWINGS:
                self._count_box(child)

    def _count_box(self, element: etree._Element) -> None:
        if any((t.text or "").strip() for t in element.iter(f"{W}t")):
            self.skipped_boxes += 1

    def _note_reference(self, reference: etree._Element, footnote: bool) -> None:
        kind = "footnote" if footnote else "endnote"
        self._note_counts[kind] = number = self._note_counts.get(kind, 0) + 1
        body = (self.footnotes if footnote else self.endnotes).get(reference.get(f"{W}id", ""), "")
        self.notes.append(f"{kind} {number} left out of the clause text: {_short(body)}")


def _hidden(rpr: etree._Element | None) -> bool:
    vanish = rpr.find(f"{W}vanish") if rpr is not None else None
    return vanish is not None and w_val(vanish, "true") not in FALSE


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _NOTE_TEXT else text[:_NOTE_TEXT - 1] + "…"


def _markdown(paragraph: _Paragraph) -> str:
    line = paragraph.label + paragraph.text
    if paragraph.heading:
        return "#" * paragraph.heading + " " + line.replace("\n", " ")
    return line


def _styles(root: etree._Element | None) -> dict[str, _Style]:
    found: dict[str, _Style] = {}
    if root is None:
        return found
    for style in root.iterfind(f"{W}style"):
        ppr = style.find(f"{W}pPr")
        num_pr = ppr.find(f"{W}numPr") if ppr is not None else None
        outline = w_val(ppr.find(f"{W}outlineLvl")) if ppr is not None else None
        ilvl = w_val(num_pr.find(f"{W}ilvl")) if num_pr is not None else None
        found[style.get(f"{W}styleId", "")] = _Style(
            name=w_val(style.find(f"{W}name"), "") or "",
            based_on=w_val(style.find(f"{W}basedOn")),
            outline=int(outline) if outline and outline.isdigit() else None,
            num_id=w_val(num_pr.find(f"{W}numId")) if num_pr is not None else None,
            ilvl=int(ilvl) if ilvl and ilvl.isdigit() else None,
        )
    return found


def _notes_text(root: etree._Element | None, tag: str) -> dict[str, str]:
    """The text of each footnote (or endnote) by id, separators left out."""
    found: dict[str, str] = {}
    if root is None:
        return found
    for note in root.iterfind(f"{W}{tag}"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        found[note.get(f"{W}id", "")] = " ".join(
            "".join(t.text or "" for t in p.iter(f"{W}t")) for p in note.iter(f"{W}p")).strip()
    return found


def _comments(root: etree._Element | None) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    if root is None:
        return found
    for comment in root.iterfind(f"{W}comment"):
        text = " ".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in comment.iter(f"{W}p"))
        found[comment.get(f"{W}id", "")] = (comment.get(f"{W}author", "") or "someone", text.strip())
    return found


def _revisions(roots: list[etree._Element]) -> tuple[dict[str, int], set[str], int]:
    """Counts of unaccepted text revisions by kind, their authors, and the number of formatting revisions."""
    tags: dict[str, int] = {}
    authors: set[str] = set()
    formatting = 0
    for root in roots:
        for element in root.iter(*_REVISIONS, *_FORMAT_REVISIONS):
            if element.tag not in _REVISIONS:
                formatting += 1
                continue
            tags[element.tag] = tags.get(element.tag, 0) + 1
            if element.get(f"{W}author"):
                authors.add(element.get(f"{W}author"))
    kinds: dict[str, int] = {}
    for tag, count in tags.items():
        kind = _REVISIONS[tag]
        kinds[kind] = max(kinds.get(kind, 0), count) if kind == "move" else count
    return kinds, authors, formatting


def read_docx(data: bytes, source: str, *, accept_revisions: bool = False) -> Extracted:
    """The text of the .docx ``data`` as Markdown, with notes on what was left out.

    Raises ClausewiseError naming ``source`` for a damaged or hostile file, a zip that is not a Word
    document, and (unless ``accept_revisions``) a document with unaccepted tracked changes.
    """
    package = Package(data, source)
    name, document = package.main_document()
    related = package.relationships(name)
    parts = {kind: package.xml(related[kind]) if kind in related else None
             for kind in ("styles", "numbering", "footnotes", "endnotes", "comments")}
    body = document.find(f"{W}body")
    if body is None:
        raise ClausewiseError(f"{source} is a Word document without a body; save it again in Word and read that")
    revised = [root for root in (body, parts["footnotes"], parts["endnotes"]) if root is not None]
    kinds, authors, formatting = _revisions(revised)
    counted = ", ".join(f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in kinds.items())
    if kinds and not accept_revisions:
        by = f" by {', '.join(sorted(authors))}" if authors else ""
        raise ClausewiseError(
            f"{source} has unaccepted tracked changes ({counted}{by}); accept or reject them in Word (Review > "
            "Accept > Accept All Changes) and save, or give --accept-revisions to read them as accepted")
    styles = _styles(parts["styles"])
    numbering = Numbering(parts["numbering"], {sid: (s.num_id, s.ilvl or 0) for sid, s in styles.items()
                                               if s.num_id is not None})
    uses_title = any(w_val(p) in styles and styles[w_val(p)].name.lower() == "title"
                     for p in body.iter(f"{W}pStyle"))
    reader = _Reader(styles, numbering, _notes_text(parts["footnotes"], "footnote"),
                     _notes_text(parts["endnotes"], "endnote"), _comments(parts["comments"]), int(uses_title))
    blocks = reader.blocks(body)
    notes = []
    if kinds:
        notes.append(f"tracked changes read as accepted ({counted})")
    if formatting:
        notes.append(f"{formatting} tracked formatting change(s) read as accepted")
    notes.extend(reader.notes)
    for author, text in reader.comments.values():
        notes.append(f"comment by {author} left out of the clause text: {_short(text)}")
    if reader.skipped_boxes:
        notes.append(f"{reader.skipped_boxes} text box(es) or drawing(s) left out; move their text into the body")
    text = "\n\n".join(blocks)
    if not text.strip():
        raise ClausewiseError(f"{source} is a Word document with no text in its body; check the file")
    return Extracted(text + "\n", "docx", notes)
