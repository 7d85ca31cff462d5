"""An Office Open XML package (.docx) opened with limits: a zip bomb, a damaged zip or an XML entity
attack gives one clear error instead of filling the memory or reading files on this machine.

- The zip's member count and the uncompressed sizes it declares are checked before anything is read,
  and the bytes actually inflated are counted while reading (a member may lie about its size).
- XML is parsed by lxml with entities left unresolved, no network and no DTD loading; a part with a
  DOCTYPE is refused (Word never writes one).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from urllib.parse import unquote

from lxml import etree

from ...errors import ClausewiseError

MAX_MEMBERS = 10_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, all parts read together
_CHUNK = 1 << 20
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"
_WORD_MAIN = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}document"
# What zipfile raises on damaged input: RuntimeError for a member encrypted with a zip password,
# NotImplementedError for an unknown zip version or compression method.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, OSError, EOFError,
               NotImplementedError, RuntimeError)
_FIX_DAMAGED = "open it in Word or LibreOffice and save it again, or ask for a new copy"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


class Package:
    """The parts of one .docx, read on demand within the limits above."""

    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = self._zip.infolist()
        except _ZIP_ERRORS as exc:
            raise ClausewiseError(f"{source} is a damaged zip file, not a readable Word document ({exc}); "
                                  f"{_FIX_DAMAGED}") from None
        if len(members) > MAX_MEMBERS:
            raise ClausewiseError(f"{source} holds {len(members)} files in its zip (at most {MAX_MEMBERS} are "
                                  "read): not a Word document as Word writes it (a zip bomb?); refused")
        declared = sum(member.file_size for member in members)
        if declared > MAX_UNCOMPRESSED:
            raise ClausewiseError(
                f"{source} would unpack to {declared // (1024 * 1024)} MB (at most {MAX_UNCOMPRESSED // (1024 * 1024)} MB "
                "are read): a zip bomb, or a document full of pictures; save a copy without pictures and read that")
        self._names = {member.filename for member in members}
        self._inflated = 0

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes | None:
        """The bytes of part ``name`` (None if absent), counting what is inflated against the limit."""
        if name not in self._names:
            return None
        chunks = []
        try:
            with self._zip.open(name) as member:
                while chunk := member.read(_CHUNK):
                    self._inflated += len(chunk)
                    if self._inflated > MAX_UNCOMPRESSED:
                        raise ClausewiseError(
                            f"{self.source}: {name} unpacks to more than its zip entry declares and past "
                            f"{MAX_UNCOMPRESSED // (1024 * 1024)} MB (a zip bomb?); refused")
                    chunks.append(chunk)
        except _ZIP_ERRORS as exc:
            raise ClausewiseError(f"{self.source}: {name} cannot be unpacked ({exc}); {_FIX_DAMAGED}") from None
        return b"".join(chunks)

    def xml(self, name: str) -> etree._Element | None:
        """Part ``name`` parsed safely (None if absent)."""
        data = self.read(name)
        if data is None:
            return None
        try:
            tree = etree.parse(io.BytesIO(data), _parser())
        except etree.XMLSyntaxError as exc:
            raise ClausewiseError(f"{self.source}: {name} is not well-formed XML ({exc}); {_FIX_DAMAGED}") from None
        if tree.docinfo.doctype:
            raise ClausewiseError(f"{self.source}: {name} declares a DOCTYPE, which Word never writes (an XML "
                                  "entity attack?); refused")
        return tree.getroot()

    def relationships(self, part: str) -> dict[str, str]:
        """The parts ``part`` relates to, by the last word of the relationship type ("styles", "numbering" ...)."""
        folder, name = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", f"{name}.rels"))
        found: dict[str, str] = {}
        if root is None:
            return found
        for rel in root.iterfind(f"{{{_PACKAGE_RELS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = unquote(rel.get("Target", ""))
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found.setdefault(rel.get("Type", "").rsplit("/", 1)[-1], path)
        return found

    def main_document(self) -> tuple[str, etree._Element]:
        """The name and root element of the main Word document part; ClausewiseError if there is none."""
        name = self.relationships("").get(_OFFICE_DOCUMENT.strip("/"))
        if name is None and self.has("word/document.xml"):
            name = "word/document.xml"
        root = self.xml(name) if name else None
        if root is None or root.tag != _WORD_MAIN:
            raise ClausewiseError(f"{self.source} is a zip file but not a Word document ({self._what_it_is()}); "
                                  "save it as .docx (Word: File > Save As > Word Document) and read that")
        return name, root

    def _what_it_is(self) -> str:
        if self.has("xl/workbook.xml"):
            return "an Excel workbook"
        if self.has("ppt/presentation.xml"):
            return "a PowerPoint presentation"
        if self.has("mimetype") and b"opendocument" in (self.read("mimetype") or b""):
            return "an OpenDocument file"
        return "no word/document.xml in it"
