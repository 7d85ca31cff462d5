"""PDF reader (issue 12): the text layer of a PDF, in reading order, for the cleaner.

pypdf (pure Python) parses the file, decrypts it where no password is needed, and decodes every
text-showing operation of a page with its font into a run of text with its position and width
(the operations of pypdf's own layout mode). pdf_layout puts the runs back into lines, columns and
paragraphs. The text goes on to pdfclean (running headers, page numbers, hyphenation), so it is
returned with ``needs_cleaning``.

Whatever cannot be read becomes one ClausewiseError naming the file: a damaged or truncated file,
a password, a scan without a text layer, and files built to exhaust the reader (more pages than
MAX_PAGES, a page that draws more than MAX_PAGE_CONTENT_BYTES, objects nested past the recursion
limit, streams that inflate past pypdf's own limits).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ...errors import ClausewiseError
from ..pdfclean import document_words, unhyphenate
from .pdf_content import Unparsed, content_operations
from .pdf_layout import Line, Run, document_text, page_lines, with_ideographs

if TYPE_CHECKING:
    from pypdf import PageObject
    from pypdf.generic._font import Font

    from . import Extracted

MAX_PAGES = 2000
MAX_PAGE_CONTENT_BYTES = 8_000_000
MAX_NOTED_WARNINGS = 5
_DAMAGED_HINT = "open it in a PDF viewer and print or save it to a new PDF, and import that"


def read_pdf(data: bytes, source: str) -> "Extracted":
    """The text of the PDF ``data`` (read from ``source``), wrapped lines joined, pages separated
    by form feeds, for pdfclean. Raises ClausewiseError for a PDF that cannot be read as text."""
    from . import Extracted
    from pypdf.errors import LimitReachedError

    with _pypdf_warnings() as warnings:
        try:
            pages, notes = _read_pages(data, source)
        except ClausewiseError:
            raise
        except RecursionError:
            raise ClausewiseError(
                f"{source}: its objects are nested too deeply to read (a damaged or hostile PDF); {_DAMAGED_HINT}"
            ) from None
        except (LimitReachedError, MemoryError) as exc:
            raise ClausewiseError(
                f"{source}: holds more data than a document's text can need ({exc or 'out of memory'}; a PDF bomb?); "
                f"{_DAMAGED_HINT}") from None
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds of errors on malformed input
            raise ClausewiseError(f"{source}: is a damaged or truncated PDF ({_describe(exc)}); {_DAMAGED_HINT}") from None
    words = document_words(line.text for page in pages for line in page)
    text = with_ideographs(document_text(pages, lambda left, right: unhyphenate(left, right, words)))
    if not text.strip():
        raise ClausewiseError(f"{source}: has no text layer (a scan?); run OCR first (e.g. ocrmypdf) and import the result")
    notes.extend(_note(message) for message in warnings[:MAX_NOTED_WARNINGS])
    return Extracted(text, "pdf", notes, needs_cleaning=True)


def _read_pages(data: bytes, source: str) -> tuple[list[list[Line]], list[str]]:
    """The lines of every page, and notes on pages left without text."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
        raise ClausewiseError(
            f"{source}: is password-protected; remove the password (e.g. 'qpdf --decrypt --password=PASSWORD "
            f"{source} open.pdf') and import the result")
    count = len(reader.pages)
    if count == 0:
        raise ClausewiseError(f"{source}: has no pages (a damaged or truncated PDF?); {_DAMAGED_HINT}")
    if count > MAX_PAGES:
        raise ClausewiseError(
            f"{source}: has {count} pages, more than the {MAX_PAGES} clausewise reads (a PDF bomb?); "
            "split it into its agreements and import each")
    pages: list[list[Line]] = []
    scanned: list[int] = []
    fonts: dict[tuple[int, int], Font] = {}
    for number, page in enumerate(reader.pages, 1):
        lines = page_lines(_page_runs(page, source, number, fonts))
        if not lines and _has_images(page):
            scanned.append(number)
        pages.append(lines)
    notes = []
    if scanned and any(pages):
        notes.append(f"page(s) {_ranges(scanned)} hold images but no text (scanned?); their content is not in the "
                     "text: run OCR on the PDF (e.g. ocrmypdf) and import the result to include it")
    return pages, notes


def _page_runs(page: "PageObject", source: str, number: int, fonts: dict[tuple[int, int], Font]) -> list[Run]:
    """The text runs of one page, from pypdf's layout-mode text operations; ``fonts`` keeps the fonts
    read so far by object number (pages share their fonts, and reading a font's maps is costly)."""
    from pypdf._text_extraction._layout_mode import text_show_operations
    from pypdf.generic import ArrayObject, ContentStream, StreamObject

    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if not isinstance(contents, (ArrayObject, StreamObject)):
        return []
    stream = ContentStream(contents, page.pdf, "bytes")
    data = stream.get_data()
    if len(data) > MAX_PAGE_CONTENT_BYTES:
        raise ClausewiseError(
            f"{source}: page {number} draws more than {MAX_PAGE_CONTENT_BYTES // 1_000_000} MB of content, more "
            f"than a page of text needs (a PDF bomb?); {_DAMAGED_HINT}")
    try:
        operations = list(content_operations(data))
    except Unparsed:  # an inline image or odd syntax: pypdf's own (slower) parser reads it
        operations = stream.operations
    groups = text_show_operations(iter(operations), _page_fonts(page, fonts), strip_rotated=True)
    return [Run(group["tx"], max(group["displaced_tx"], group["tx"]), -group["ty"] * group["flip_sort"],
                max(group["font_height"], 1.0), group["text"]) for group in groups]


def _page_fonts(page: "PageObject", cache: dict[tuple[int, int], Font]) -> dict[str, Font]:
    """The page's fonts by resource name (inherited resources included), as pypdf's layout mode
    reads them, each font object read once per document."""
    from pypdf.generic import DictionaryObject, IndirectObject
    from pypdf.generic._font import Font

    fonts: dict[str, Font] = {}
    node, seen = page, set()
    while isinstance(node, DictionaryObject) and id(node) not in seen:
        seen.add(id(node))
        resources = _resolved(node.get("/Resources"))
        font_resources = _resolved(resources.get("/Font")) if isinstance(resources, DictionaryObject) else None
        if isinstance(font_resources, DictionaryObject):
            for name, reference in font_resources.items():
                key = (reference.idnum, reference.generation) if isinstance(reference, IndirectObject) else None
                if name in fonts:
                    continue
                if key is not None and key in cache:
                    fonts[name] = cache[key]
                    continue
                font_object = reference.get_object()
                if isinstance(font_object, DictionaryObject):
                    fonts[name] = Font.from_font_resource(font_object)
                    if key is not None:
                        cache[key] = fonts[name]
        node = _resolved(node.get("/Parent"))
    return fonts


def _resolved(value: object) -> object:
    return value.get_object() if value is not None and hasattr(value, "get_object") else value


def _has_images(page: "PageObject") -> bool:
    """True when the page's resources hold an image (a scanned page is one image)."""
    try:
        objects = page["/Resources"]["/XObject"]
        return any(objects[name].get_object().get("/Subtype") == "/Image" for name in objects)
    except (KeyError, TypeError, AttributeError):
        return False


def _ranges(numbers: list[int]) -> str:
    """``1-3, 7`` for [1, 2, 3, 7]."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _note(warning: str) -> str:
    if warning.startswith("Rotated text discovered"):
        return "text turned sideways (a stamp, a margin note, a rotated table) is left out of the text"
    return f"the PDF reader warned: {warning}"


def _describe(exc: Exception) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message[:120]


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """Collect what pypdf logs while reading (instead of printing it), each message once."""
    messages: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message not in messages:
                messages.append(message)

    logger = logging.getLogger("pypdf")
    handler = Collector(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
