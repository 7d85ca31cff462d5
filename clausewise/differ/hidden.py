"""Edits a reader cannot see: invisible format characters and look-alike letters.

An inserted right-to-left override (U+202E) reorders what a reader sees without a visible
character of its own; a Cyrillic ``а`` in place of a Latin ``a`` changes what a name means while
looking the same. Either is a substantive change that the inline ops alone cannot show, so
``hidden_edits`` names them in words for the change's note.

Zero-width spaces, joiners, BOMs and soft hyphens are left out: the comparison keys drop them, so
they are never a change at all (see normalize.py).
"""

from __future__ import annotations

import re
import unicodedata

from .model import OpKind
from .normalize import INVISIBLE

# Letters of other scripts that look like a Latin letter (from Unicode's confusables, the common
# Cyrillic and Greek cases), mapped to that letter.
LOOK_ALIKES = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v",
}
# Candidates for is_hidden: C0/C1 controls and the format characters of Unicode's Cf category.
_FORMAT_OR_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
                                "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
                                "\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
                                "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
_LOOK_ALIKE = re.compile(f"[{''.join(LOOK_ALIKES)}]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_WORD_END = re.compile(r"\S*$")
_WORD_START = re.compile(r"\S*")


def is_hidden(char: str) -> bool:
    """A character that changes the text without being seen: format controls (bidi overrides and
    isolates, marks) and other control characters, apart from line breaks and tabs."""
    if char in INVISIBLE or char in "\n\r\t":
        return False
    return unicodedata.category(char) in ("Cf", "Cc")


def describe_char(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'CONTROL CHARACTER')}"


def hidden_edits(ops: list[tuple[OpKind, str]]) -> list[str]:
    """What invisible or look-alike characters the ops insert or remove, in words:
    ``inserted U+202E RIGHT-TO-LEFT OVERRIDE``, ``look-alike letters: "Acme" became "Аcme"
    (U+0410 CYRILLIC CAPITAL LETTER A for A)``. Empty when every edit is visible."""
    findings: list[str] = []
    inserted = _hidden_chars(text for op, text in ops if op == "+")
    removed = _hidden_chars(text for op, text in ops if op == "-")
    findings += [f"inserted {describe_char(c)}" for c in inserted if c not in removed]
    findings += [f"removed {describe_char(c)}" for c in removed if c not in inserted]
    findings += [f"moved {describe_char(c)}" for c in inserted if c in removed]
    for deleted, added in _replacements(ops):
        for old_word, new_word in zip(deleted.split(), added.split()):
            swapped = _swapped_letters(old_word, new_word)
            if swapped:
                findings.append(f'look-alike letters: "{old_word}" became "{new_word}" ({swapped})')
    for op, text in ops:
        if op == "+" and not text.isascii():
            for word in text.split():
                mixed = _mixed_script(word)
                if mixed and not any(f'became "{word}"' in finding for finding in findings):
                    findings.append(f'look-alike letters in "{word}" ({mixed})')
    return findings


def _hidden_chars(texts) -> dict[str, None]:
    found: dict[str, None] = {}
    for text in texts:
        for char in _FORMAT_OR_CONTROL.findall(text):
            if is_hidden(char):
                found[char] = None
    return found


def _replacements(ops: list[tuple[OpKind, str]]) -> list[tuple[str, str]]:
    """Each deletion followed directly by an insertion, with the words around them completed
    (a diff may cut inside a word: ``Acme`` -> ``A`` kept, ``cme`` replaced)."""
    pairs = []
    for index in range(len(ops) - 1):
        (op, deleted), (next_op, added) = ops[index], ops[index + 1]
        if op == "-" and next_op == "+":
            before = ops[index - 1][1] if index and ops[index - 1][0] == "=" else ""
            after = ops[index + 2][1] if index + 2 < len(ops) and ops[index + 2][0] == "=" else ""
            head = _WORD_END.search(before).group()
            tail = _WORD_START.match(after).group()
            pairs.append((head + deleted + tail, head + added + tail))
    return pairs


def _swapped_letters(old_word: str, new_word: str) -> str:
    """``U+0410 CYRILLIC CAPITAL LETTER A for A`` when ``new_word`` is ``old_word`` with letters
    swapped for look-alikes (or back), else empty."""
    if old_word == new_word or len(old_word) != len(new_word):
        return ""
    if _skeleton(old_word) != _skeleton(new_word):
        return ""
    swaps = {}
    for old_char, new_char in zip(old_word, new_word):
        if old_char != new_char:
            look_alike = new_char if new_char in LOOK_ALIKES else old_char
            swaps[look_alike] = f"{describe_char(look_alike)} for {LOOK_ALIKES[look_alike]}"
    return ", ".join(swaps.values())


def _mixed_script(word: str) -> str:
    """The look-alike letters of a word that also has Latin letters, described; else empty."""
    if word.isascii() or not _LATIN_LETTER.search(word) or not _LOOK_ALIKE.search(word):
        return ""
    look_alikes = [c for c in dict.fromkeys(word) if c in LOOK_ALIKES]
    return ", ".join(f"{describe_char(c)} for {LOOK_ALIKES[c]}" for c in look_alikes)


def _skeleton(word: str) -> str:
    return "".join(LOOK_ALIKES.get(c, c) for c in word)
