"""Comparison keys: what two clause texts must share to count as the same text.

Width (full-width vs half-width letters and punctuation), invisible characters (U+200B, U+FEFF,
soft hyphens), no-break and ideographic spaces, runs of whitespace and the line breaks of a wrapped
paragraph never count as a change. Everything here is pure string work.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Characters a reader never sees; Python's str.split() does not treat U+200B or U+FEFF as spaces.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_INVISIBLE_CHAR = re.compile(f"[{INVISIBLE}]")
# CJK ideographs, kana, hangul and CJK/full-width punctuation: no spaces are needed between them.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+")


class LazyPattern:
    """A regular expression compiled on its first use (a large character class or alternation
    takes up to 2 ms to compile, and a short diff may never need it). After the first call its
    ``match``/``sub`` are the compiled pattern's own bound methods: no cost per call."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self.source, self.flags = source, flags

    def match(self, string: str, pos: int = 0) -> re.Match[str] | None:
        self.match = re.compile(self.source, self.flags).match  # type: ignore[method-assign]
        return self.match(string, pos)

    def sub(self, repl, string: str) -> str:
        self.sub = re.compile(self.source, self.flags).sub  # type: ignore[method-assign]
        return self.sub(repl, string)


def strip_invisible(text: str) -> str:
    """``text`` without zero-width characters, BOMs and soft hyphens (none of them is ASCII)."""
    return text if text.isascii() else _INVISIBLE_CHAR.sub("", text)


def collapse_space(text: str) -> str:
    """Runs of whitespace (line breaks included) as one space; none at all next to CJK text."""
    text = " ".join(text.split())  # str.split() knows every Unicode space, U+3000 and U+00A0 too
    if " " in text and is_cjk(text):
        text = _cjk_patterns()[1].sub("", text)
    return text


def comparison_key(text: str) -> str:
    """The form of ``text`` that alignment and "unchanged" compare: NFKC width folding, invisible
    characters dropped, whitespace and in-paragraph line breaks collapsed. ASCII text is its own
    NFKC form and has neither invisible nor CJK characters: only its spacing is collapsed."""
    if text.isascii():
        return " ".join(text.split())
    return collapse_space(unicodedata.normalize("NFKC", strip_invisible(text)))


def typographic_key(text: str) -> str:
    """``comparison_key`` without any punctuation or spacing: equal keys mean the texts differ only
    typographically (quotes, dashes, commas, spacing)."""
    return _PUNCTUATION_OR_SPACE.sub("", comparison_key(text))


def is_cjk(text: str) -> bool:
    """True when ``text`` contains CJK characters (it is then compared character by character);
    ASCII text is answered without a scan."""
    return not text.isascii() and _cjk_patterns()[0].search(text) is not None


@cache
def _cjk_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A CJK character, and a space next to one: compiled on first use (their ranges take ~7 ms
    to compile, and ASCII text never needs them)."""
    return re.compile(f"[{_CJK}]"), re.compile(f"(?<=[{_CJK}]) (?=\\S)|(?<=\\S) (?=[{_CJK}])")
