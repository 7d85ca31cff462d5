"""Checks for characters that must not reach a header, an address or an id.

Pure logic. Each check returns the first offending character (or None) so that the caller can name
it in its error message as ``U+202E RIGHT-TO-LEFT OVERRIDE``: an invisible character is useless in
a message unless it is named.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that reorder the text around them (embeddings, overrides, isolates): they make an
# address or a name display as something other than what it is.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode categories that print nothing or something other than themselves: controls (Cc),
# format characters such as U+200B ZERO WIDTH SPACE and U+202E (Cf), lone surrogates (Cs),
# private use (Co), unassigned code points (Cn), and line and paragraph separators (Zl, Zp).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# In ASCII text only the controls are invisible (and U+0020 is the only space): one regex search
# instead of a category lookup per character, for the ids and addresses of a million-row import.
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def char_name(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; code point only if the character has no name."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def first_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (JSON's ``"\\ud800"`` decodes to one): not text at all."""
    if text.isascii():  # constant time for a str
        return None
    found = _SURROGATE.search(text)
    return found.group() if found else None


def first_invisible(text: str, *, wide_spaces: bool = False) -> str | None:
    """The first character of ``text`` that is a control, format, surrogate, private-use,
    unassigned or line/paragraph separator character; with ``wide_spaces``, also any space other
    than U+0020 (no-break, ideographic, thin ... spaces look like nothing or like a plain space)."""
    if text.isascii():
        found = _ASCII_CONTROL.search(text)
        return found.group() if found else None
    for char in text:
        category = unicodedata.category(char)
        if category in _INVISIBLE_CATEGORIES or (wide_spaces and category == "Zs" and char != " "):
            return char
    return None


def first_control(text: str) -> str | None:
    """The first C0/C1 control character (NUL, ESC, ...) in ``text``."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            return char
    return None


def first_bidi_control(text: str) -> str | None:
    """The first embedding, override or isolate control in ``text``."""
    for char in text:
        if char in BIDI_CONTROLS:
            return char
    return None
