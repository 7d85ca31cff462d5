"""Write small PDFs byte by byte for the reader's tests: text at chosen places, image-only pages,
and hostile shapes (deep nesting, many pages) that no office suite would write."""

from __future__ import annotations

import zlib


def text_page(items: list[tuple[float, float, float, str]], font: str = "F1") -> bytes:
    """A content stream that draws each (x, y, size, text) with Helvetica (``F1``) or Courier (``F2``),
    y from the page bottom."""
    ops = []
    for x, y, size, text in items:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"BT /{font} {size} Tf {x} {y} Td ({escaped}) Tj ET")
    return "\n".join(ops).encode("latin-1")


def make_pdf(contents: list[bytes], *, image: bool = False, compress: bool = False) -> bytes:
    """A PDF of one A4 page per content stream, with Helvetica as /F1, Courier as /F2 and, when ``image``, a small
    grey image /Im1 that each page draws full-size (as a scanner would)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(contents))]
    kids = " ".join(f"{n} 0 R" for n in page_ids)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    image_id = 4 + 2 * len(contents)
    courier_id = image_id + 1
    xobjects = f" /XObject << /Im1 {image_id} 0 R >>" if image else ""
    for n, content in zip(page_ids, contents):
        if image:
            content = b"q 595 0 0 842 0 0 cm /Im1 Do Q\n" + content
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {n + 1} 0 R "
                       f"/Resources << /Font << /F1 3 0 R /F2 {courier_id} 0 R >>{xobjects} >> >>".encode())
        objects.append(_stream(content, compress))
    if image:
        pixels = bytes(range(0, 256, 4)) * 64
        objects.append(b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
                       b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream")
    else:
        objects.append(b"null")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
    return assemble(objects)


def assemble(objects: list[bytes], root: int = 1) -> bytes:
    """Objects numbered from 1, with a correct cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(content: bytes, compress: bool) -> bytes:
    if compress:
        content = zlib.compress(content)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
