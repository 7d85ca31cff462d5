"""Clause labels at the start of a line: what numbering series a label belongs to and where in it.

``read_labels(line)`` returns every plausible reading of a line's label (``(i)`` may be the ninth
letter or the first roman numeral); the parser decides which one the document's sequence supports.
Series compare by ``style``; ``value`` is the position in the series; ``rank`` orders series by
depth (一、 above 1.1 above （一）/(a) above (i)); headings rank above everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import INVISIBLE

CN_NUMERALS = "零〇一二三四五六七八九十百千两"
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_MULTIPLIER = {"十": 10, "百": 100, "千": 1000}

LEADING_SPACE = " \t\u3000\u00a0" + INVISIBLE
ITEM_RANK = 30  # ranks from here on are items and lists: a new item style nests under the current one

_MD_HEADING = re.compile(r"(#{1,6})[ \t]+")
_CN_UNIT = re.compile(rf"第([{CN_NUMERALS}\d]+)(章|节|条|部分)(?=$|[\s：:、.．【\[(（])")
_CN_UNIT_RANK = {"部分": 10, "章": 10, "节": 11, "条": 12}
_WORD = re.compile(
    r"(Article|ARTICLE|Section|SECTION|Clause|CLAUSE|Chapter|CHAPTER|Part|PART|Schedule|SCHEDULE"
    r"|Annex|ANNEX|§)[ \t]*(\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6})\.?(?=$|[\s:.\-—–])"
)
_WORD_RANK = {"chapter": 10, "part": 10, "schedule": 10, "annex": 10, "article": 12}
_CN_SECTION = re.compile(rf"([{CN_NUMERALS}]{{1,4}})[、.．](?![\d０-９])")
_PAREN_CN = re.compile(rf"[（(]([{CN_NUMERALS}]{{1,4}})[）)]")
_PAREN_NUMBER = re.compile(r"[（(](\d{1,3})[）)]")
_PAREN_ALPHA = re.compile(r"[（(]([A-Za-z]{1,5})[）)]")
_DECIMAL = re.compile(r"(\d{1,3}(?:[.．]\d{1,3})*)([.．、)）]?)")
_ALPHA = re.compile(r"([A-Za-z]{1,5})([.)])(?=[ \t\u3000])")
_BULLET = re.compile(r"([-*+•])[ \t]+")
_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


@dataclass(frozen=True)
class Label:
    """One reading of the label at the start of a line."""

    written: str  # as written, e.g. "第三条", "（二）", "7.3", "## 9."
    style: tuple  # the numbering series
    value: tuple[int, ...]  # position in the series; decimals keep every component
    rank: float  # depth order of the series; lower is higher up
    kind: str  # "heading", "section", "clause", "item", "list-item"
    end: int  # offset in the line where the label ends
    paragraph_only: bool = False  # a cross-reference look-alike: a label only at a paragraph start

    @property
    def is_item(self) -> bool:
        return self.rank >= ITEM_RANK

    @property
    def may_have_heading(self) -> bool:
        return not self.is_item


def chinese_number(text: str) -> int:
    """``三`` -> 3, ``十二`` -> 12, ``二十三`` -> 23, ``一百零五`` -> 105; arabic digits too."""
    if text.isdigit():
        return int(text)
    total = current = 0
    for char in text:
        if char in _CN_DIGIT:
            current = _CN_DIGIT[char]
        else:
            total += (current or 1) * _CN_MULTIPLIER[char]
            current = 0
    return total + current


def roman_number(text: str) -> int | None:
    """The value of a well-formed roman numeral, else None."""
    upper = text.upper()
    if not upper or not _ROMAN.fullmatch(upper):
        return None
    values = [_ROMAN_VALUES[c] for c in upper]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def core_label(label: str | None) -> str:
    """A label without Markdown marks, spacing and trailing punctuation, for renumbering checks:
    ``## 9.`` -> ``9``, ``一、`` -> ``一``, ``7.3`` -> ``7.3``."""
    if not label:
        return ""
    return label.lstrip("# \t").rstrip(" .．、:：")


def read_labels(line: str) -> tuple[int, list[Label]]:
    """The indentation of ``line`` and the readings of its label, most likely first."""
    stripped = line.lstrip(LEADING_SPACE)
    indent = len(line) - len(stripped)
    readings: list[Label] = []
    if not stripped:
        return indent, readings
    heading = _MD_HEADING.match(stripped)
    if heading:
        marks = heading.group(1)
        inner = _inner_labels(stripped[heading.end():])
        written = f"{marks} {inner.written}" if inner else None
        end = heading.end() + (inner.end if inner else 0)
        readings.append(Label(written or "", ("md", len(marks)), (0,), len(marks), "heading",
                              indent + end))
        return indent, readings
    for label in _inner_labels_all(stripped, indent):
        readings.append(label)
    return indent, readings


def _inner_labels(text: str) -> Label | None:
    labels = _inner_labels_all(text, 0)
    return labels[0] if labels else None


def _inner_labels_all(text: str, indent: int) -> list[Label]:
    found: list[Label] = []
    bucket = indent // 2 if indent >= 2 else 0

    def add(match: re.Match, style: tuple, value: tuple[int, ...], rank: float, kind: str,
            paragraph_only: bool = False) -> None:
        found.append(Label(match.group(0).rstrip(" \t"), style, value, rank, kind,
                           indent + match.end(), paragraph_only))

    first = text[0]
    if first == "第":
        m = _CN_UNIT.match(text)
        if m:
            add(m, ("cn", m.group(2)), (chinese_number(m.group(1)),), _CN_UNIT_RANK[m.group(2)],
                "section")
        return found
    if first in "ASCP§":
        m = _WORD.match(text)
        if m:
            word = m.group(1).lower().rstrip(".")
            number = m.group(2)
            if number[0].isdigit():
                value = tuple(int(part) for part in number.split("."))
            else:
                value = (roman_number(number) or 0,)
            rank = _WORD_RANK.get(word, 13 + len(value))
            kind = "section" if word in _WORD_RANK else "clause"
            add(m, ("word", word, len(value)), value, rank, kind, paragraph_only=True)
            return found
    if first in CN_NUMERALS:
        m = _CN_SECTION.match(text)
        if m:
            add(m, ("cn-section",), (chinese_number(m.group(1)),), 13, "section")
        return found
    if first in "(（":
        for pattern, style, rank in ((_PAREN_CN, "paren-cn", 30), (_PAREN_NUMBER, "paren-number", 31)):
            m = pattern.match(text)
            if m:
                add(m, (style,), (chinese_number(m.group(1)),), rank, "item")
                return found
        m = _PAREN_ALPHA.match(text)
        if m:
            letters = m.group(1)
            case = "upper" if letters.isupper() else "lower"
            if len(letters) == 1:
                add(m, ("paren-alpha", case), (ord(letters.lower()) - 96,), 33, "item")
            roman = roman_number(letters)
            if roman is not None and letters in (letters.lower(), letters.upper()):
                add(m, ("paren-roman", case), (roman,), 35, "item")
        return found
    if first.isdigit():
        m = _DECIMAL.match(text)
        if not m:
            return found
        parts = m.group(1).replace("．", ".").split(".")
        punct = m.group(2)
        after = text[m.end():m.end() + 1]
        if len(parts) == 1 and not punct:
            return found
        if after and after.isdigit():
            return found
        if not punct and after and not after.isspace():
            return found
        value = tuple(map(int, parts))
        if punct and punct in ")）":
            style, rank, kind = ("number-paren", bucket), 32 + bucket, "item"
        elif len(parts) == 1:
            style, rank, kind = ("decimal", 1, bucket), 15 + bucket, "clause"
        else:
            style, rank, kind = ("decimal", len(parts)), 14 + len(parts), "clause"
        found.append(Label(m.group(0).rstrip(" \t"), style, value, rank, kind, indent + m.end(), False))
        return found
    if first.isalpha() and first.isascii():
        m = _ALPHA.match(text)
        if m:
            letters, punct = m.group(1), m.group(2)
            case = "upper" if letters.isupper() else "lower"
            if len(letters) == 1:
                rank = 29 if case == "upper" and punct == "." else 33
                add(m, ("alpha", case, punct), (ord(letters.lower()) - 96,), rank, "item")
            roman = roman_number(letters)
            if roman is not None and letters in (letters.lower(), letters.upper()):
                rank = 12 if case == "upper" and punct == "." else 35
                add(m, ("roman", case, punct), (roman,), rank, "section" if rank < ITEM_RANK else "item")
        return found
    m = _BULLET.match(text)
    if m:
        found.append(Label(m.group(1), ("bullet", bucket), (0,), 40 + bucket, "list-item",
                           indent + m.end()))
    return found
