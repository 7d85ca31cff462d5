"""Pure: a table's content as a row count and an order-independent SHA-256 digest.

``state copy`` computes it on both sides, from the rows each database returns, in whatever order
each returns them: SQLite and PostgreSQL sort text differently (byte order versus the collation),
so an ordered hash would need one agreed order. Each row is encoded canonically (every value
tagged with its kind and length-prefixed, so no two different rows encode alike) and hashed with
SHA-256; the table's digest is the sum of the row digests modulo 2**256. A sum rather than an XOR,
so that a row copied twice changes the digest. Values are compared as stored: a timestamp or a date
that one side returns as ``datetime``/``date`` is encoded as the text the SQLite store writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

_MODULUS = 1 << 256


def encode_value(value: object) -> bytes:
    """One column value, tagged by kind, as bytes (``None`` and ``""`` and ``0`` all differ)."""
    if value is None:
        return b"n"
    if isinstance(value, bool):
        return b"i" + (b"1" if value else b"0")
    if isinstance(value, int):
        return b"i" + str(value).encode("ascii")
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        text = moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return b"s" + text.encode("ascii")
    if isinstance(value, date):
        return b"s" + value.isoformat().encode("ascii")
    if isinstance(value, float):
        return b"f" + repr(value).encode("ascii")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return b"b" + bytes(value)
    raise TypeError(f"cannot digest a value of type {type(value).__name__}")


def row_digest(row: Sequence[object]) -> int:
    """The SHA-256 of one row's canonical encoding, as an integer."""
    hasher = hashlib.sha256()
    for value in row:
        encoded = encode_value(value)
        hasher.update(len(encoded).to_bytes(4, "big"))
        hasher.update(encoded)
    return int.from_bytes(hasher.digest(), "big")


@dataclass(frozen=True)
class TableDigest:
    """One table's row count and content digest (64 hex digits)."""

    table: str
    rows: int
    sha256: str


class DigestBuilder:
    """Accumulates rows, in any order, into a TableDigest."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.rows = 0
        self._sum = 0

    def add(self, row: Sequence[object]) -> None:
        self.rows += 1
        self._sum = (self._sum + row_digest(row)) % _MODULUS

    def add_all(self, rows: Iterable[Sequence[object]]) -> "DigestBuilder":
        for row in rows:
            self.add(row)
        return self

    def result(self) -> TableDigest:
        return TableDigest(self.table, self.rows, f"{self._sum:064x}")
