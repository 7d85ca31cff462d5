"""Clause labels at the start of a line: what numbering series a label belongs to and where in it.

``read_labels(line)`` returns every plausible reading of a line's label (``(i)`` may be the ninth
letter or the first roman numeral); the parser decides which one the document's sequence supports.
Series compare by ``style``; ``value`` is the position in the series; ``rank`` orders series by
depth (编 above 章 above 节 above 条, 一、 above 1.1 above （一）/(a) above (i)); headings rank above
everything. Markup around a label (bold, a backslash escape, an empty anchor link, a table cell,
an HTML tag) is read through and left out of ``written``, the label as a reader writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .normalize import INVISIBLE, LazyPattern

CN_NUMERALS = "零〇一二三四五六七八九十百千两"
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_MULTIPLIER = {"十": 10, "百": 100, "千": 1000}

LEADING_SPACE = " \t\u3000\u00a0" + INVISIBLE
ITEM_RANK = 30  # ranks from here on are items and lists: a new item style nests under the current one

_MD_HEADING = re.compile(r"(#{1,6})(?:[ \t]+|$)")
# Markup a web page leaves before a label: emphasis, an empty anchor link, an HTML tag, a table cell
_OPENING_MARKS = re.compile(r"(?:\*\*(?=\S)|__(?=\S)|[*_](?=[*_\w\\])|\[\]\([^)\s]*\)|<[A-Za-z][^<>]{0,200}>|</\w+>)+")
_CLOSING_MARKS = re.compile(r"(?:\*\*|__|\*|_(?!\w)|</\w+>)+")
_TABLE_CELL = re.compile(r"\|[ \t]*")
_HTML_HEADING = re.compile(r"<(h[1-6])(?:\s[^<>]*)?>[ \t]*", re.IGNORECASE)
_MARK_START = ("*", "_", "<")
# The patterns of one kind of line each, compiled when a line of that kind first comes up
_CN_UNIT = LazyPattern(rf"第([{CN_NUMERALS}\d]{{1,9}})(分编|编|章|节|条|部分)(之[{CN_NUMERALS}]{{1,3}})?"
                      r"(?=$|[\s：:、.．【\[(（*_<])")
_CN_UNIT_RANK = {"编": 8, "分编": 9, "部分": 10, "章": 10, "节": 11, "条": 12}
_WORD = LazyPattern(
    r"(Article|ARTICLE|Artikel|ARTIKEL|Section|SECTION|Clause|CLAUSE|Chapter|CHAPTER|Chapitre|CHAPITRE"
    r"|Part|PART|Schedule|SCHEDULE|Annex|ANNEX|Annexe|ANNEXE|§)[ \t]*(\d{1,4}(?:\.\d{1,4})*|[IVXLC]{1,6})"
    r"(?:er|ER)?\\?\.?(?=$|[\s:.\-—–*_])"  # "Article 1er" in French
)
_WORD_RANK = {"chapter": 10, "chapitre": 10, "part": 10, "schedule": 10, "annex": 10, "annexe": 10,
              "article": 12, "artikel": 12}
_CN_SECTION = LazyPattern(rf"([{CN_NUMERALS}]{{1,4}})[、.．](?![\d０-９])")
_PAREN_CN = LazyPattern(rf"[（(]([{CN_NUMERALS}]{{1,4}})[）)]")
_PAREN_NUMBER = LazyPattern(r"[（(](\d{1,4})[）)]")
_PAREN_ALPHA = LazyPattern(r"[（(]([A-Za-z]{1,5})[）)]")
_DECIMAL = re.compile(r"(\d{1,4}(?:\\?[.．]\d{1,4})*)(\\?[.．、)）]?)")
_MONTHS = ("jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|f[ée]vrier|m(?:a|ä)r(?:ch|z|s)?|apr(?:il)?|avril|ma[iy]"
           "|june?|juni|juin|july?|juli|juillet|aug(?:ust)?|ao[uû]t|sep(?:t(?:ember)?)?|septembre"
           "|o[ck]t(?:ober|obre)?|nov(?:ember|embre)?|d[eé][cz](?:ember|embre)?")
_DATE_REST = LazyPattern(rf"[ \t]*(?:\*\*|__)?[ \t]*(?:{_MONTHS})\.?[ \t]+\d{{4}}\b", re.IGNORECASE)
_DASHED = re.compile(r"(\d{1,3})-(?=[A-Z][a-z])")
_ALNUM = LazyPattern(r"([A-Z])\.?(\d{1,3}(?:\.\d{1,3})*)(\\?[.)]?)(?=[ \t\u3000*_<]|$)")
_ALPHA = LazyPattern(r"([A-Za-z]{1,5})\\?([.)])(?=[ \t\u3000*_<]|$)")
_BULLET = LazyPattern(r"([-*+•])[ \t]+")
_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


@dataclass(frozen=True)
class Label:
    """One reading of the label at the start of a line."""

    written: str  # as a reader writes it, without markup: "第三条", "（二）", "7.3", "9."
    style: tuple  # the numbering series
    value: tuple[int, ...]  # position in the series; decimals keep every component
    rank: float  # depth order of the series; lower is higher up
    kind: str  # "heading", "section", "clause", "item", "list-item"
    end: int  # offset in the line where the label ends
    paragraph_only: bool = False  # a cross-reference look-alike: a label only at a paragraph start
    strong: bool = False  # set off by markup (a heading, bold): unmistakably a label

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
    """A label without spacing and trailing punctuation (and any Markdown marks), for renumbering
    checks: ``9.`` -> ``9``, ``一、`` -> ``一``, ``7.3`` -> ``7.3``."""
    if not label:
        return ""
    return label.lstrip("# \t").rstrip(" .．、:：")


def read_labels(line: str) -> tuple[int, list[Label]]:
    r"""The indentation of ``line`` and the readings of its label, most likely first.

    Markup around a label is read through: ``## 9.``, ``**第三条**``, ``1\. Title``, ``**3**.``,
    ``| ### 3\. Title |`` (a heading in a table cell), ``#### [](#6-5-x)6.5. Title``; the label's
    ``written`` form has none of it (``9.``, ``第三条``, ``1.``, ``3.``, ``3.``, ``6.5.``). An ATX
    heading is one reading of style ``("md", level)`` whether or not it carries a number; a
    heading with no text at all (``###`` alone) has no reading."""
    stripped = line.lstrip(LEADING_SPACE)
    indent = len(line) - len(stripped)
    if not stripped:
        return indent, []
    start = indent
    if stripped[0] == "|":
        start += _TABLE_CELL.match(stripped).end()
    heading = _MD_HEADING.match(line, start) or _HTML_HEADING.match(line, start)
    if heading:
        level = len(heading.group(1)) if heading.group(1)[0] == "#" else int(heading.group(1)[-1])
        body = heading.end()
        while body < len(line) and line[body] in LEADING_SPACE:
            body += 1
        if body >= len(line) or not line[body:].strip(LEADING_SPACE + "#*_|"):
            return indent, []  # an empty heading: markup only
        return indent, [heading_label(line, body, level)]
    if start != indent:
        return indent, []  # a table cell that is not a heading
    return indent, _inner_labels_all(line, indent, indent)


def heading_label(line: str, start: int, level: int) -> Label:
    """The reading of a Markdown heading of ``level`` whose text starts at ``start`` in ``line``;
    its ``written`` label is the number it carries, if any (``6.5.``), else empty."""
    inner = _inner_labels_all(line, start, 0)
    label = inner[0] if inner else None
    return Label(label.written if label else "", ("md", level), (0,), level, "heading",
                 label.end if label else start, strong=True)


def _inner_labels_all(line: str, start: int, indent: int) -> list[Label]:
    """The readings of a label at ``start`` in ``line`` (``indent``: how far the line is indented)."""
    marks = _OPENING_MARKS.match(line, start)
    strong = marks is not None
    if marks:
        start = marks.end()
    if start >= len(line):
        return []
    found = _core_labels(line, start, indent, strong)
    if strong:
        found = [_closed(line, label) for label in found]
    return found


def _closed(line: str, label: Label) -> Label:
    r"""A label read after opening marks (``**3.5.**``, ``**3**.``): its end after the closing
    marks; ``**3**.`` is written ``3.``."""
    end = label.end
    closing = _CLOSING_MARKS.match(line, end)
    if closing:
        end = closing.end()
        if label.style[0] == "decimal" and not label.written.endswith((".", "．", "、", ")", "）")):
            tail = line[end:end + 1]
            if tail in (".", "．"):
                end += 1
                return replace(label, written=label.written + ".", end=end, strong=True)
    return replace(label, end=end, strong=True)


def _written(match: re.Match) -> str:
    return match.group(0).replace("\\", "").rstrip(" \t")


def _core_labels(line: str, start: int, indent: int, strong: bool) -> list[Label]:
    found: list[Label] = []
    bucket = indent // 2 if indent >= 2 else 0

    def add(match: re.Match, style: tuple, value: tuple[int, ...], rank: float, kind: str,
            paragraph_only: bool = False) -> None:
        found.append(Label(_written(match), style, value, rank, kind, match.end(), paragraph_only))

    first = line[start]
    if first == "第":
        m = _CN_UNIT.match(line, start)
        if m:
            add(m, ("cn", m.group(2)), (chinese_number(m.group(1)),), _CN_UNIT_RANK[m.group(2)],
                "section")
        return found
    if first in "ASCP§":  # Article, Artikel, Section, Clause, Chapter, Chapitre, Part, Schedule, Annex
        m = _WORD.match(line, start)
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
        m = _CN_SECTION.match(line, start)
        if m:
            add(m, ("cn-section",), (chinese_number(m.group(1)),), 13, "section")
        return found
    if first in "(（":
        for pattern, style, rank in ((_PAREN_CN, "paren-cn", 30), (_PAREN_NUMBER, "paren-number", 31)):
            m = pattern.match(line, start)
            if m:
                add(m, (style,), (chinese_number(m.group(1)),), rank, "item")
                return found
        m = _PAREN_ALPHA.match(line, start)
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
        m = _DECIMAL.match(line, start)
        if not m:
            return found
        dash = _DASHED.match(line, start)
        if dash:  # "2-Setting up the Service:" (terms extracted from PDFs)
            found.append(Label(dash.group(1) + "-", ("dashed",), (int(dash.group(1)),), 15, "clause",
                               dash.end(), paragraph_only=True))
            return found
        parts = m.group(1).replace("\\", "").replace("．", ".").split(".")
        punct = m.group(2).replace("\\", "")
        after = line[m.end():m.end() + 1]
        if len(parts) == 1 and not punct and not (strong and after in _MARK_START and len(parts[0]) <= 3):
            return found
        if after and after.isdigit():
            return found
        if not punct and after and not after.isspace() and not (strong and after in _MARK_START):
            return found
        value = tuple(map(int, parts))
        if len(parts) == 1 and value[0] <= 31 and _DATE_REST.match(line, m.end()):
            return found  # "25. März 2019", "1. January 2024": a date, not a numbered clause
        if punct and punct in ")）":
            style, rank, kind = ("number-paren", bucket), 32 + bucket, "item"
        elif len(parts) == 1:
            style, rank, kind = ("decimal", 1, bucket), 15 + bucket, "clause"
        else:
            style, rank, kind = ("decimal", len(parts)), 14 + len(parts), "clause"
        # "36\." is escaped where a page showed the number as text, not as a list: a label
        found.append(Label(_written(m), style, value, rank, kind, m.end(), False, strong="\\" in m.group(0)))
        return found
    if first.isalpha() and first.isascii():
        m = _ALNUM.match(line, start)
        if m and (m.group(3) or "." in m.group(0) or line[m.end():m.end() + 2].strip()[:1].isupper()):
            numbers = tuple(int(part) for part in m.group(2).split("."))  # "A1.", "L.3", "B12.4"
            value = (ord(m.group(1)) - 64, *numbers)
            add(m, ("alnum", len(value)), value, 29 + len(numbers) / 10, "clause")
            return found
        m = _ALPHA.match(line, start)
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
    m = _BULLET.match(line, start)
    if m:
        found.append(Label(m.group(1), ("bullet", bucket), (0,), 40 + bucket, "list-item", m.end()))
    return found
