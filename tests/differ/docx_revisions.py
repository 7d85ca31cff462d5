"""Accept or reject every tracked change of a .docx on its XML, as Word's "Accept All" and "Reject
All" do, and read the body back as paragraphs of text: a test helper, independent of the renderer.

Accepting drops ``w:del`` and ``w:moveFrom`` (with their text) and keeps the text of ``w:ins`` and
``w:moveTo``; rejecting does the opposite. A paragraph whose mark is removed (a deleted or
moved-from mark on accept, an inserted or moved-to mark on reject) joins the next paragraph.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REMOVED = {True: (W + "del", W + "moveFrom"), False: (W + "ins", W + "moveTo")}


def document_xml(docx: bytes) -> etree._Element:
    """The parsed ``word/document.xml`` (lxml's parser is strict: malformed XML raises)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def revised_paragraphs(docx: bytes, *, accept: bool) -> list[str]:
    """The body's paragraphs after accepting (``accept=True``) or rejecting every revision."""
    removed = _REMOVED[accept]
    paragraphs: list[str] = []
    joining = ""
    for paragraph in document_xml(docx).iter(W + "p"):
        text = joining + _paragraph_text(paragraph, removed)
        mark = paragraph.find(f"{W}pPr/{W}rPr")
        if mark is not None and any(mark.find(tag) is not None for tag in removed):
            joining = text
            continue
        paragraphs.append(text)
        joining = ""
    if joining:
        paragraphs.append(joining)
    return paragraphs


def _paragraph_text(paragraph: etree._Element, removed: tuple[str, str]) -> str:
    pieces: list[str] = []
    for run in paragraph.iter(W + "r"):
        if any(ancestor.tag in removed for ancestor in run.iterancestors() if ancestor is not paragraph):
            continue
        for node in run:
            if node.tag in (W + "t", W + "delText"):
                pieces.append(node.text or "")
            elif node.tag == W + "tab":
                pieces.append("\t")
            elif node.tag == W + "br":
                pieces.append("\n")
    return "".join(pieces)
