"""Split a PDF page's content stream into operations, fast (pure logic, no I/O).

pypdf's own content-stream parser reads byte by byte and costs over half of the time spent on a
page of Chinese text. This tokenizer matches whole tokens with one regular expression and yields
the same (operands, operator) pairs that pypdf's layout mode consumes: numbers as int or float,
strings as bytes, names as str (``/F1``), arrays as pypdf ArrayObjects. It handles what text pages
are made of; anything else (an inline image, a malformed token) raises :class:`Unparsed`, and the
caller falls back to pypdf's parser for that page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_TOKEN = re.compile(  # white space and comments, then one token (none at the end of the stream)
    rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*"
    rb"(?:(?P<flat_string>\((?:[^()\\]|\\[^0-7\r\n])*\))"
    rb"|(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
    rb"|(?P<name>/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*)"
    rb"|(?P<open_dict><<)|(?P<close_dict>>>)"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)"
    rb"|(?P<open_array>\[)|(?P<close_array>\])"
    rb"|(?P<string>\()"
    rb"|(?P<keyword>[^\x00\t\n\x0c\r ()<>\[\]{}/%]+))?"
)
_STRING_PART = re.compile(rb"[^()\\]+|\\(?:[0-7]{1,3}|\r\n|[\s\S])|[()]")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")",
            b"\\": b"\\", b"\n": b"", b"\r": b"", b"\r\n": b""}
_SIMPLE_ESCAPE = re.compile(rb"\\([^0-7\r\n])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_CONSTANTS = {b"true": True, b"false": False, b"null": None}


class Unparsed(ValueError):
    """The stream holds something this tokenizer does not read (an inline image, broken syntax)."""


def content_operations(data: bytes) -> Iterator[tuple[list[Any], bytes]]:
    """The (operands, operator) pairs of the content stream ``data``, in order."""
    from pypdf.generic import ArrayObject

    operands: list[Any] = []
    stack: list[list[Any]] = []  # open arrays and dictionaries, innermost last
    position, end = 0, len(data)
    while position < end:
        match = _TOKEN.match(data, position)
        if match is None:
            raise Unparsed(f"unexpected byte {data[position:position + 1]!r} at offset {position}")
        kind, token = match.lastgroup, match.group(match.lastgroup or 0)
        position = match.end()
        if kind is None:
            if position < end:
                raise Unparsed(f"unexpected byte {data[position:position + 1]!r} at offset {position}")
            break
        if kind == "flat_string":  # no nested parentheses, no octal or line escapes: the common case
            value = token[token.index(b"(") + 1:-1]
            if b"\\" in value:
                value = _SIMPLE_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)
        elif kind == "string":
            value, position = _literal_string(data, position)
        elif kind == "number":
            value = float(token) if b"." in token else int(token)
        elif kind == "name":
            value = "/" + _NAME_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), token[1:]).decode("latin-1")
        elif kind == "hex":
            digits = re.sub(rb"[\x00\t\n\x0c\r ]", b"", token[1:-1])
            value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        elif kind in ("open_array", "open_dict"):
            stack.append([])
            continue
        elif kind == "close_array":
            if not stack:
                raise Unparsed(f"']' without '[' at offset {position}")
            value = ArrayObject(stack.pop())
        elif kind == "close_dict":
            if not stack:
                raise Unparsed(f"'>>' without '<<' at offset {position}")
            stack.pop()
            value = {}  # dictionaries (marked-content properties) carry nothing for the text
        elif token in _CONSTANTS:
            value = _CONSTANTS[token]
        else:  # an operator
            if stack:
                raise Unparsed(f"operator {token!r} inside an array at offset {position}")
            if token in (b"BI", b"ID", b"EI"):
                raise Unparsed("inline image")
            yield operands, token
            operands = []
            continue
        (stack[-1] if stack else operands).append(value)


def _literal_string(data: bytes, position: int) -> tuple[bytes, int]:
    """The string whose ``(`` ends just before ``position``, and the offset after its ``)``."""
    parts: list[bytes] = []
    depth = 1
    while True:
        match = _STRING_PART.match(data, position)
        if match is None:
            raise Unparsed("unterminated string")
        part = match.group()
        position = match.end()
        if part == b"(":
            depth += 1
        elif part == b")":
            depth -= 1
            if depth == 0:
                return b"".join(parts), position
        elif part[:1] == b"\\":
            escaped = part[1:]
            if escaped[:1].isdigit():
                part = bytes((int(escaped, 8) & 0xFF,))
            else:
                part = _ESCAPES.get(escaped, escaped)
        parts.append(part)
