"""What a notice shows of a diff: every changed clause, each edit at word level with its context.

Pure: no I/O. The differ's inline ops are already whole words (characters for Chinese); this
module keeps every edit, shortens only the unchanged text between edits to whole words around
them, makes invisible characters visible, and stops at a size an email can carry, counting and
naming the clauses it had no room for so that none is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_LISTED_CHANGES = 25  # clauses listed in full in one email
MAX_SHOWN_CHARS = 20_000  # characters of clause text in one email's change list
CONTEXT_CHARS = 60  # unchanged text kept on each side of an edit (whole words)
ELLIPSIS = "…"

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_TOKEN = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
# Characters that reorder the text around them (bidi controls): never passed through raw.
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The differ's notes name invisible or look-alike characters by code point ("inserted U+202E ...").
_WHITESPACE = re.compile(r"\s+")
_CODE_POINT_NOTE = re.compile(r"\bU\+[0-9A-F]{4,6}\b")


@dataclass(frozen=True)
class Segment:
    """A piece of a clause: ``=`` unchanged (context), ``-`` deleted, ``+`` inserted."""

    op: str
    text: str


@dataclass(frozen=True)
class ChangeItem:
    """One changed clause as a notice lists it."""

    status: str  # added, removed, modified, unchanged (moved only)
    label: str | None
    old_label: str | None
    heading: str | None
    tags: list[str]
    renumbered: bool
    moved: bool
    substantive: bool
    segments: list[Segment]  # the clause's words with every edit marked
    heading_segments: list[Segment]  # the heading's edit, when the heading changed
    note: str | None  # the differ's note: "split from 3.2", "inserted U+202E RIGHT-TO-LEFT OVERRIDE"
    hidden_characters: bool  # the note names invisible or look-alike characters


@dataclass(frozen=True)
class ChangeList:
    """The clauses a notice lists, and those it had no room for (counted and named)."""

    items: list[ChangeItem]
    more: int
    more_labels: list[str]


def visible(text: str, *, edited: bool) -> str:
    """``text`` safe to show: bidi controls always as ``[U+202E]``; other invisible format or
    control characters as ``[U+200B]`` inside an edit (they are the change), dropped in context."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in _BIDI_CONTROLS or (edited and category in ("Cf", "Cc") and char not in "\n\t"):
            out.append(f"[U+{ord(char):04X}]")
        elif category == "Cf" or (category == "Cc" and char not in "\n\t"):
            continue
        else:
            out.append(char)
    return "".join(out)


def _one_line(text: str) -> str:
    """``text`` on one line: each run of whitespace (line breaks too) as one space, edges kept."""
    return _WHITESPACE.sub(" ", text)


def _head(text: str, limit: int) -> str:
    """Whole words from the start of ``text``, about ``limit`` characters."""
    taken, size = [], 0
    for token in _TOKEN.findall(text):
        if size + len(token) > limit and taken:
            break
        taken.append(token[:limit])
        size += len(token)
    return "".join(taken)


def _tail(text: str, limit: int) -> str:
    """Whole words from the end of ``text``, about ``limit`` characters."""
    taken, size = [], 0
    for token in reversed(_TOKEN.findall(text)):
        if size + len(token) > limit and taken:
            break
        taken.append(token[-limit:])
        size += len(token)
    return "".join(reversed(taken))


def _context(text: str, *, first: bool, last: bool, limit: int = CONTEXT_CHARS) -> str:
    """Unchanged text between edits, shortened to whole words next to the edits."""
    if first and last:
        return text if len(text) <= 2 * limit else _head(text, 2 * limit).rstrip() + " " + ELLIPSIS
    if first:
        return text if len(text) <= limit else ELLIPSIS + " " + _tail(text, limit).lstrip()
    if last:
        return text if len(text) <= limit else _head(text, limit).rstrip() + " " + ELLIPSIS
    if len(text) <= 2 * limit + 20:
        return text
    return _head(text, limit).rstrip() + " " + ELLIPSIS + " " + _tail(text, limit).lstrip()


def segments(ops: list[tuple[str, str]]) -> list[Segment]:
    """Every edit of ``ops``, with the unchanged text around it shortened to whole words."""
    pieces = [(op, _one_line(text) if op == "=" else text) for op, text in ops if text]
    result = []
    for index, (op, text) in enumerate(pieces):
        if op == "=":
            shown = _context(text, first=index == 0, last=index == len(pieces) - 1)
            result.append(Segment("=", visible(shown, edited=False)))
        else:
            result.append(Segment(op, visible(_one_line(text), edited=True)))
    return [segment for segment in result if segment.text.strip() or segment.op != "="]


def _clause_ops(change: Any) -> list[tuple[str, str]]:
    if change.status == "added":
        return [("+", change.new.text)] if change.new else []
    if change.status == "removed":
        return [("-", change.old.text)] if change.old else []
    if change.status == "unchanged":
        return []  # moved or renumbered only: the words are the same
    return list(change.ops)


def change_item(change: Any) -> ChangeItem:
    """One of the differ's ClauseChange objects as the notice shows it."""
    return ChangeItem(
        status=change.status, label=change.label, old_label=change.old_label,
        heading=visible(change.heading, edited=False) if change.heading else None, tags=list(change.tags),
        renumbered=change.renumbered, moved=change.moved, substantive=change.substantive,
        segments=segments(_clause_ops(change)),
        heading_segments=segments(change.heading_ops) if change.heading_ops else [],
        note=change.note, hidden_characters=bool(change.note and _CODE_POINT_NOTE.search(change.note)))


def _size(item: ChangeItem) -> int:
    return sum(len(s.text) for s in item.segments + item.heading_segments)


def change_list(diff: Any, *, max_items: int = MAX_LISTED_CHANGES, max_chars: int = MAX_SHOWN_CHARS) -> ChangeList:
    """The changes a notice lists (substantive first, reading order within) until ``max_items``
    clauses or ``max_chars`` characters; the rest are counted and named by label."""
    changed = sorted(diff.changed(), key=lambda c: not c.substantive)
    items: list[ChangeItem] = []
    size = 0
    for position, change in enumerate(changed):
        item = change_item(change)
        if items and (len(items) >= max_items or size + _size(item) > max_chars):
            rest = changed[position:]
            labels = [c.label or c.heading or ELLIPSIS for c in rest]
            return ChangeList(items, len(rest), labels)
        items.append(item)
        size += _size(item)
    return ChangeList(items, 0, [])
