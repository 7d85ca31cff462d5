"""The redline as a Word document with native tracked changes (``w:ins``, ``w:del``, ``w:moveFrom``,
``w:moveTo``), for reviewers who accept or reject changes in Word or LibreOffice.

The document is laid out from the differ's clause alignment, not by comparing runs: each clause is
one block of paragraphs (``clause_paragraphs``: the label and heading, then the text's paragraphs;
a clause without a heading has its label at the start of its first paragraph). A matched clause
shows the differ's inline ops (word level, character level for Chinese) as insertions and
deletions; a renumbered clause shows its old number deleted and its new one inserted; an added or
removed clause is one insertion or deletion, paragraph marks included; a moved clause stands at
its old place as ``w:moveFrom`` and at its new place as ``w:moveTo`` (its edits as insertions and
deletions beside them), each inside named move ranges. A title block (not tracked) states both
versions, their effective dates, the summary and who made the revisions.

Exactness: accepting every revision gives the new text's clauses, rejecting every revision the old
text's, character for character (``clause_paragraphs`` of each side). The differ's ops are made for
reading (a deleted space is dropped, ``=`` text is written as in the new text); ``exact_ops`` keeps
their words and repairs the rest against both texts. Control characters that XML cannot carry are
shown as symbols (as the text renderer does), so that no input makes a corrupt file.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .describe import document_line, show_controls, summary_line
from .model import AgreementDiff, Clause, ClauseChange, DocumentRef, OpKind

DEFAULT_AUTHOR = "clausewise"
PARAGRAPH_BREAK = "\n\n"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# What XML 1.0 cannot carry, or Word refuses: C0 controls but tab and newline, DEL and C1 (shown as
# symbols by show_controls), and the non-characters U+FFFE, U+FFFF and lone surrogates.
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")
_PIECES = re.compile(r"\n\n|\n|\t|[^\n\t]+")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_INSERTIONS = ("w:ins", "w:moveTo")
# The paragraph marks of moved text are plain deletions and insertions: the same to accept and
# reject, and LibreOffice 7.4 fails to remove some moved-from marks of a long run of moves.
_MARK_OF = {"w:moveFrom": "w:del", "w:moveTo": "w:ins"}

TITLE_LABELS = {
    "en": {"redline": "Redline: {title}", "old": "Old version: {line}", "new": "New version: {line}",
           "summary": "Changes: {summary}", "plain": "not a published version: no effective date recorded",
           "revisions": "Tracked changes by {author}, {date}. Accept all changes to get the new version; "
                        "reject all to get the old one."},
    "zh": {"redline": "修订对照：{title}", "old": "原版本：{line}", "new": "新版本：{line}", "summary": "变更：{summary}",
           "plain": "非已发布版本，无生效日期记录",
           "revisions": "修订者：{author}，{date}。接受所有修订即得新版本，拒绝所有修订即得原版本。"},
}
TITLE_BLOCK_PARAGRAPHS = 5  # paragraphs before the first clause, none of them tracked
_SUMMARY_ORDER = ("added", "removed", "modified", "moved", "renumbered", "unchanged")


def render_docx(diff: AgreementDiff, *, author: str = DEFAULT_AUTHOR, date: datetime | None = None,
                lang: str | None = None) -> bytes:
    """The redline as the bytes of a .docx file. ``author`` and ``date`` (default: now) are set on
    every revision; ``lang`` picks the title block's language (en, zh; default from the text)."""
    from .render_html import ui_language

    when = (date or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    writer = _BodyWriter(_clean(author) or DEFAULT_AUTHOR, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    ui = ui_language(diff, lang)
    _title_block(writer, diff, ui, when)
    for item in _document_order(diff):
        if item.side == "both":
            writer.in_place(item.change)
        elif item.side == "old":
            writer.old_side(item.change)
        else:
            writer.new_side(item.change)
    writer.plain_paragraph("", "Normal")  # the last paragraph mark, which no revision may take
    return _package(writer.body(), ui, _clean(document_name(diff)), writer.author)


def clause_paragraphs(clause: Clause) -> list[str]:
    """The paragraphs a clause is shown as: ``label heading`` and the text's paragraphs, or, without
    a heading, the label at the start of the first paragraph of the text."""
    return _layout(clause).split(PARAGRAPH_BREAK) if _layout(clause) else []


def _layout(clause: Clause | None) -> str:
    """A clause's paragraphs joined by blank lines (``PARAGRAPH_BREAK``)."""
    if clause is None:
        return ""
    head = " ".join(part for part in (clause.label, clause.heading) if part)
    if clause.heading:
        return head + PARAGRAPH_BREAK + clause.text if clause.text else head
    return " ".join(part for part in (clause.label, clause.text) if part)


def exact_ops(change: ClauseChange) -> list[tuple[OpKind, str]]:
    """The change's ops over the clause's whole layout (label, heading and text), exact on both
    sides: the ``=`` and ``-`` texts make the old layout, the ``=`` and ``+`` texts the new."""
    old, new = change.old, change.new
    if old is None or new is None:
        return _merge([("-", _layout(old))] if old is not None else [("+", _layout(new))])
    draft: list[tuple[OpKind, str]] = []
    if old.label == new.label:
        draft.append(("=", new.label or ""))
    else:
        draft += [("-", old.label or ""), ("+", new.label or "")]
    if new.label and (new.heading or new.text):
        draft.append(("=", " "))
    if new.heading or old.heading:
        draft += change.heading_ops if change.heading_ops is not None else [("=", new.heading or "")]
        if new.text:
            draft.append(("=", PARAGRAPH_BREAK))
    draft += change.ops
    ops = _repair(draft, _layout(new), "new")
    return _merge(_repair(ops, _layout(old), "old"))


def _repair(ops: list[tuple[OpKind, str]], target: str, side: str) -> list[tuple[OpKind, str]]:
    """``ops`` changed as little as needed so that their ``side`` ("old": ``=`` and ``-``, "new":
    ``=`` and ``+``) spells ``target``, leaving the other side as it was."""
    own, other = ("-", "+") if side == "old" else ("+", "-")
    spelled = "".join(text for op, text in ops if op != other)
    if spelled == target:
        return ops
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    # Each character of ``spelled`` with its op, and the other side's ops between them.
    marks: list[tuple[OpKind, str]] = []
    for op, text in ops:
        if op == other:
            marks.append((op, text))
        else:
            marks.extend((op, char) for char in text)
    repaired: list[tuple[OpKind, str]] = []
    at = 0

    def pass_other() -> None:
        nonlocal at
        while at < len(marks) and marks[at][0] == other:
            repaired.append(marks[at])
            at += 1

    for kind, chunk in dmp.diff_main(spelled, target, False):
        if kind == 1:  # in the target only: a character this side has and the other has not
            repaired.append((own, chunk))
            continue
        for _ in chunk:
            pass_other()
            op, char = marks[at]
            at += 1
            if kind == 0:
                repaired.append((op, char))
            elif op == "=":  # claimed by both sides, but this side lacks it
                repaired.append((other, char))
    pass_other()
    return _merge(repaired)


def _merge(ops: list[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    merged: list[tuple[OpKind, str]] = []
    for op, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


@dataclass
class _Item:
    change: ClauseChange
    side: str  # "both": a clause in place in both texts; "old": only at its old place; "new": new place


def _document_order(diff: AgreementDiff) -> list[_Item]:
    """The clauses in an order that reads as the new text once the old-only items are dropped and
    as the old text once the new-only ones are: between two clauses that stay in place, the old-only
    items (removed clauses, old places of moves) in old order, then the new-only ones (added
    clauses, new places of moves) in new order."""
    new_order = [change for change in diff.changes if change.new is not None]
    old_order = sorted((change for change in diff.changes if change.old is not None),
                       key=lambda change: (change.old.line, change.old.level))
    old_rank = {id(change): rank for rank, change in enumerate(old_order)}
    anchors: list[ClauseChange] = []  # matched, not moved, in the same order on both sides
    last = -1
    for change in new_order:
        if change.old is not None and not change.moved and old_rank[id(change)] > last:
            anchors.append(change)
            last = old_rank[id(change)]
    anchor_ids = {id(change) for change in anchors}

    def gaps(order: list[ClauseChange], side: str) -> list[list[_Item]]:
        found: list[list[_Item]] = [[]]
        for change in order:
            if id(change) in anchor_ids:
                found.append([])
            else:
                found[-1].append(_Item(change, side))
        return found

    old_gaps, new_gaps = gaps(old_order, "old"), gaps(new_order, "new")
    items: list[_Item] = []
    for index, anchor in enumerate(anchors + [None]):
        items += old_gaps[index] + new_gaps[index]
        if anchor is not None:
            items.append(_Item(anchor, "both"))
    return items


def _clean(text: str) -> str:
    """``text`` that XML and Word accept: control characters as visible symbols."""
    text = show_controls(text)
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text


def _escape(text: str) -> str:
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


@dataclass
class _Paragraph:
    style: str
    mark: str | None  # the revision element of the paragraph mark: None, "w:ins" or "w:del"
    runs: list[str]  # XML of the runs (plain or inside revisions) and range markers
    inserted: bool = False  # every run is inserted (w:ins, w:moveTo), and so is the mark
    outline: int | None = None  # outline level of a clause heading (Word's navigation pane): 0 for sections


@dataclass
class _BodyWriter:
    """Writes ``w:body`` content: paragraphs of runs, each run plain or inside a revision."""

    author: str
    date: str
    paragraphs: list[_Paragraph] = field(default_factory=list)
    next_id: int = 1
    move_names: dict[int, str] = field(default_factory=dict)

    def body(self) -> str:
        """The paragraphs as XML. A block of wholly inserted (or moved-to) paragraphs after a plain
        paragraph is written as Word writes paragraphs typed after it: the plain paragraph's mark
        inserted and the block's last mark plain. Both mean the same, but where the plain paragraph
        ends with an insertion LibreOffice reads only this form right (it joins that insertion to
        the block, and rejecting all then removes one paragraph mark too many)."""
        paragraphs = self.paragraphs
        for index in range(1, len(paragraphs)):
            block_starts = paragraphs[index].inserted and not paragraphs[index - 1].inserted
            if block_starts and paragraphs[index - 1].mark is None:
                end = index
                while end + 1 < len(paragraphs) and paragraphs[end + 1].inserted:
                    end += 1
                paragraphs[index - 1].mark, paragraphs[end].mark = "w:ins", None
        return "".join(self._xml(paragraph) for paragraph in paragraphs)

    def _xml(self, paragraph: _Paragraph) -> str:
        mark = f"<w:rPr><{paragraph.mark} {self._revision()}/></w:rPr>" if paragraph.mark else ""
        outline = "" if paragraph.outline is None else f'<w:outlineLvl w:val="{paragraph.outline}"/>'
        return (f'<w:p><w:pPr><w:pStyle w:val="{paragraph.style}"/>{outline}{mark}</w:pPr>'
                f'{"".join(paragraph.runs)}</w:p>')

    def _revision(self) -> str:
        number = self.next_id
        self.next_id += 1
        return f'w:id="{number}" w:author="{_attr(self.author)}" w:date="{self.date}"'

    def plain_paragraph(self, text: str, style: str) -> None:
        self.paragraphs.append(_Paragraph(style, None, [_runs(text, "w:t")]))

    def in_place(self, change: ClauseChange) -> None:
        """A clause that stays in place in both texts: its edits as insertions and deletions."""
        mark = None if _layout(change.old) and _layout(change.new) else "w:ins" if _layout(change.new) else "w:del"
        self._paragraphs(change, exact_ops(change), {"=": None, "-": "w:del", "+": "w:ins"}, mark)

    def old_side(self, change: ClauseChange) -> None:
        """A removed clause, or the old place of a moved one (its deleted words as deletions)."""
        if change.new is None:
            self._paragraphs(change, exact_ops(change), {"-": "w:del"}, "w:del")
            return
        ops = [(op, text) for op, text in exact_ops(change) if op != "+"]
        self._moved(change, ops, {"=": "w:moveFrom", "-": "w:del"}, "moveFrom")

    def new_side(self, change: ClauseChange) -> None:
        """An added clause, or the new place of a moved one (its inserted words as insertions)."""
        if change.old is None:
            self._paragraphs(change, exact_ops(change), {"+": "w:ins"}, "w:ins")
            return
        ops = [(op, text) for op, text in exact_ops(change) if op != "-"]
        self._moved(change, ops, {"=": "w:moveTo", "+": "w:ins"}, "moveTo")

    def _moved(self, change: ClauseChange, ops: list[tuple[OpKind, str]], wraps: dict[str, str | None],
               kind: str) -> None:
        """One side of a move, inside a move range named as its other side's."""
        name = self.move_names.get(id(change))
        if name is None:
            name = self.move_names[id(change)] = f"move{len(self.move_names) + 1}"
        number = self.next_id
        self.next_id += 1
        start = (f'<w:{kind}RangeStart w:id="{number}" w:author="{_attr(self.author)}" w:date="{self.date}" '
                 f'w:name="{name}"/>')
        self._paragraphs(change, ops, wraps, _MARK_OF[f"w:{kind}"], start=start,
                         end=f'<w:{kind}RangeEnd w:id="{number}"/>')

    def _paragraphs(self, change: ClauseChange, ops: list[tuple[OpKind, str]], wraps: dict[str, str | None],
                    mark: str | None, *, start: str = "", end: str = "") -> None:
        """Write ``ops`` as paragraphs: each op's text inside its revision element (``wraps``), a
        paragraph break inside an op as a paragraph mark of that revision, and the clause's last
        paragraph mark as ``mark``."""
        if not ops:
            return
        clause = change.new or change.old
        heading = bool(clause.heading)
        first = len(self.paragraphs)
        runs: list[str] = [start] if start else []
        inserted = True

        def close(mark: str | None) -> None:
            if heading and len(self.paragraphs) == first:
                self.paragraphs.append(_Paragraph("ClauseHeading", mark, runs, inserted and mark == "w:ins",
                                                  min(max(clause.level - 1, 0), 8)))
            else:
                self.paragraphs.append(_Paragraph("Normal", mark, runs, inserted and mark == "w:ins"))

        for op, text in ops:
            wrap = wraps[op]
            text_tag = "w:delText" if wrap in ("w:del", "w:moveFrom") else "w:t"
            pieces = text.split(PARAGRAPH_BREAK)
            for index, piece in enumerate(pieces):
                if piece:
                    content = _runs(piece, text_tag)
                    runs.append(f"<{wrap} {self._revision()}>{content}</{wrap}>" if wrap else content)
                    inserted = inserted and wrap in _INSERTIONS
                if index < len(pieces) - 1:
                    close(_MARK_OF.get(wrap, wrap))
                    runs, inserted = [], True
        if end:
            runs.append(end)
        close(mark)


def _runs(text: str, text_tag: str) -> str:
    """One run for ``text``: its tabs as ``w:tab``, line breaks as ``w:br``."""
    if not text:
        return ""
    content = []
    for piece in _PIECES.findall(text):
        if piece == "\t":
            content.append("<w:tab/>")
        elif piece in ("\n", PARAGRAPH_BREAK):
            content.append("<w:br/>" * len(piece))
        else:
            content.append(f'<{text_tag} xml:space="preserve">{_escape(piece)}</{text_tag}>')
    return f"<w:r>{''.join(content)}</w:r>"


def _title_block(writer: _BodyWriter, diff: AgreementDiff, ui: str, when: datetime) -> None:
    """Both versions with their effective dates, the counts, and who made the revisions when."""
    labels = TITLE_LABELS[ui]
    writer.plain_paragraph(labels["redline"].format(title=document_name(diff)), "Title")
    writer.plain_paragraph(labels["old"].format(line=_version_line(diff.old, labels)), "Normal")
    writer.plain_paragraph(labels["new"].format(line=_version_line(diff.new, labels)), "Normal")
    writer.plain_paragraph(labels["summary"].format(summary=_summary(diff, ui)), "Normal")
    writer.plain_paragraph(labels["revisions"].format(author=writer.author, date=when.strftime("%Y-%m-%d %H:%M UTC")),
                           "Note")


def document_name(diff: AgreementDiff) -> str:
    """What the redline is of: a title, else the new file's name (never a reviewer's folder path)."""
    return diff.new.title or diff.old.title or Path(diff.new.ref).name or diff.new.ref


def _summary(diff: AgreementDiff, ui: str) -> str:
    if ui == "en":
        return summary_line(diff)
    from .render_html import LABELS

    counts = diff.summary()
    return "，".join(f"{LABELS[ui][key]} {counts[key]}" for key in _SUMMARY_ORDER)


def _version_line(ref: DocumentRef, labels: dict[str, str]) -> str:
    """``trial@v2 "Title" (version 2, effective 2026-07-01)``; a file or working copy says it has no date."""
    line = document_line(ref)
    return line if ref.version is not None else f"{line} ({labels['plain']})"


def _package(body: str, ui: str, title: str, author: str) -> bytes:
    """The .docx (a zip of XML parts) around the document body."""
    east_asian = "zh-CN"
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{_W}"><w:body>{body}'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" '
                'w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>')
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "docProps/core.xml": _CORE.format(title=_attr(title), author=_attr(author)),
        "word/_rels/document.xml.rels": _DOCUMENT_RELS,
        "word/document.xml": document,
        "word/styles.xml": _STYLES.format(lang="en-GB" if ui == "en" else "zh-CN", east_asian=east_asian),
        "word/settings.xml": _SETTINGS,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/word/document.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>\
<Override PartName="/word/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>\
<Override PartName="/word/settings.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>\
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
</Types>"""

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/>\
</Relationships>"""

_DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" \
Target="settings.xml"/>\
</Relationships>"""

_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title><dc:creator>{author}</dc:creator>\
</cp:coreProperties>"""

_SETTINGS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="{_W}"><w:trackRevisions/><w:defaultTabStop w:val="720"/>\
<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" \
w:val="15"/></w:compat></w:settings>"""

_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{_W}"><w:docDefaults><w:rPrDefault><w:rPr>\
<w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="SimSun" w:cs="Calibri"/>\
<w:sz w:val="22"/><w:lang w:val="{{lang}}" w:eastAsia="{{east_asian}}"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault>\
</w:docDefaults>\
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>\
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/>\
<w:next w:val="Normal"/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style>\
<w:style w:type="paragraph" w:styleId="Note"><w:name w:val="Note"/><w:basedOn w:val="Normal"/>\
<w:pPr><w:spacing w:after="360"/></w:pPr><w:rPr><w:i/><w:color w:val="595959"/></w:rPr></w:style>\
<w:style w:type="paragraph" w:styleId="ClauseHeading"><w:name w:val="Clause Heading"/><w:basedOn w:val="Normal"/>\
<w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240"/></w:pPr><w:rPr><w:b/></w:rPr></w:style>\
</w:styles>"""
