"""The fast content-stream tokenizer gives the operations pypdf's own parser gives."""

from __future__ import annotations

import pytest
from pypdf.generic import ContentStream, DecodedStreamObject

from clausewise.versions.readers.pdf_content import Unparsed, content_operations

from .pdf_maker import make_pdf

TRICKY = (
    b"% a comment\n/P <</MCID 0 /Alt (x) /K [1 2]>> BDC\nBT /F#31 11 Tf 72 770 Td\n"
    b"(nested (parens) and \\(escaped\\) and \\\\ back) Tj\n"
    b"(octal \\101\\102 and line \\\ncontinued and \\n) Tj\n"
    b"<48 65 6c\n6C 6f> Tj [(A) -120 (B) 3.5 <43>] TJ\n"
    b"-.5 Tc 0 Tw 100 Tz 1 0 0 1 +10 -20.25 Tm T* (a) ' 1 2 (b) \"\nET EMC\n"
)


def _pypdf(data: bytes) -> list[tuple[list, bytes]]:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return [(list(operands), op) for operands, op in ContentStream(stream, None, "bytes").operations]


def _comparable(ops: list[tuple[list, bytes]]) -> list[tuple[bytes, list]]:
    return [(op, [{} if isinstance(x, dict) else (list(x) if isinstance(x, list) else x) for x in operands])
            for operands, op in ops]


def test_the_tokenizer_agrees_with_pypdfs_parser_on_every_kind_of_token():
    ours = list(content_operations(TRICKY))
    assert _comparable(ours) == _comparable(_pypdf(TRICKY))
    assert ours[2] == (["/F1", 11], b"Tf")
    assert ours[4][0] == [b"nested (parens) and (escaped) and \\ back"]
    assert ours[5][0] == [b"octal AB and line continued and \n"]


def test_an_inline_image_is_left_to_pypdfs_parser():
    with pytest.raises(Unparsed):
        list(content_operations(b"q BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI Q BT (x) Tj ET"))


def test_a_page_with_an_inline_image_is_still_read():
    from clausewise.versions.readers.pdf import read_pdf

    page = b"q 10 0 0 10 50 50 cm BI /W 1 /H 1 /BPC 8 /CS /G ID \x80 EI Q\nBT /F1 11 Tf 72 770 Td (1.1 Fees.) Tj ET"
    assert read_pdf(make_pdf([page]), "deal.pdf").text == "1.1 Fees.\n"
