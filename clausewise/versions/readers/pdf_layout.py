"""Put the text runs of PDF pages back into reading order (pure logic, no I/O).

A PDF draws text as runs at positions; it has no lines, paragraphs or words of its own. Here runs
become lines (same baseline), a two-column page is read column by column, and the lines a word
processor wrapped are joined again: with a space between Latin words, with nothing between Chinese
characters. Real line breaks (a clause, a heading, a list item) stay, and a paragraph gap becomes a
blank line, so that the cleaner (pdfclean) and the clause parser see the text as it was written.
Pages are separated by a form feed at the start of the next page's first line, as ``pdftotext``
writes them.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A gap wider than this many ems between two runs of one line separates cells (columns, tables).
CELL_GAP_EMS = 2.5
# A vertical step larger than this many line pitches is a paragraph gap (a blank line).
PARAGRAPH_GAP_PITCHES = 1.6
# Runs drawn twice within this many points (fake bold) are one run.
DOUBLE_PRINT_POINTS = 1.0

_CONTROL = {code: " " for code in (*range(0, 32), 0x7F)}
# Fonts such as Noto CJK map some glyphs to radicals (⽤ U+2F64, ⻛ U+2EDB) or compatibility
# ideographs instead of the characters themselves (用, 风): the text reads the same but compares
# unequal. Kangxi radicals and compatibility ideographs have their character in NFKC; the simplified
# radicals have none, and the Kangxi door radical is 户 in simplified text, 戶 in traditional.
_IDEOGRAPHS = {code: unicodedata.normalize("NFKC", chr(code))
               for code in (*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00))
               if len(unicodedata.normalize("NFKC", chr(code))) == 1 and unicodedata.normalize("NFKC", chr(code)) != chr(code)}
_IDEOGRAPHS.update((ord(radical), character) for radical, character in zip(
    "⺠⻅⻆⻉⻋⻓⻔⻙⻚⻛⻜⻢⻥⻦⻧⻨⻩⻪⻬⻮⻰", "民见角贝车长门韦页风飞马鱼鸟卤麦黄黾齐齿龙"))
_SIMPLIFIED_IDEOGRAPHS = {**_IDEOGRAPHS, 0x2F3E: "户"}
_SIMPLIFIED_MARKS, _TRADITIONAL_MARKS = "们这个为说国发于与务议应该时会对", "們這個為說國發於與務議應該時會對"
_LABEL = re.compile(r"^(?:\d+(?:\.\d+)*[.、．)]?\s|\d+(?:\.\d+)+|[（(][^）)]{1,4}[）)]|第\S{1,6}[条章节]"
                    r"|[一二三四五六七八九十百]+[、.．]|[-•·*▪◦●]\s|[A-Za-z][.)]\s|#+\s)")
_BREAK_BEFORE_LABEL = tuple("。．.；;：:！!？?")
_HYPHENATED = re.compile(r"(?<![A-Za-z-])([A-Za-z]{2,})-$")
_CONTINUED = re.compile(r"[a-z]+")
# What a line break cannot split in Chinese typesetting: opening marks stay with the character after
# them, closing marks with the character before them (so a wrap moves the whole unit down).
_FIRST_WIDE_UNIT = re.compile(r"[“‘（《〈「『【〔(\[]*.[”’）》〉」』】〕)\]，。、；：？！,.;:?!…—]*")


@dataclass(frozen=True)
class Run:
    """Text drawn on one baseline: ``x0``-``x1`` left to right, ``y`` from the page top down, in points;
    ``size`` is the font's height in points (one em)."""

    x0: float
    x1: float
    y: float
    size: float
    text: str


@dataclass(frozen=True)
class Line:
    """One line of text (or one cell of it, where a wide gap splits a line into columns); ``column``
    is 1 or 2 for the left or right column of a two-column page, else 0; ``cells`` counts the parts
    that wide gaps separate (more than one: a table row, never a wrapped line)."""

    x0: float
    x1: float
    y: float
    size: float
    text: str
    column: int = 0
    cells: int = 1


def is_wide(char: str) -> bool:
    """True for a character that is written without spaces around it (Chinese, Japanese, full-width
    punctuation)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def page_lines(runs: Sequence[Run]) -> list[Line]:
    """The lines of one page in reading order: top to bottom, and column by column where the page
    has two columns of text."""
    rows = _rows(_without_double_prints(runs))
    cells = [_cells(row) for row in rows]
    gutter = _gutter(cells)
    if gutter is None:
        return [_joined_cells(row) for row in cells]
    ordered: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for row in cells:
        if any(cell.x0 < gutter < cell.x1 for cell in row):  # a heading across both columns
            ordered.extend(left + right)
            left, right = [], []
            ordered.append(_joined_cells(row))
            continue
        left_cells = [cell for cell in row if cell.x1 <= gutter]
        right_cells = [cell for cell in row if cell.x0 >= gutter]
        if left_cells:
            left.append(_joined_cells(left_cells, 1))
        if right_cells:
            right.append(_joined_cells(right_cells, 2))
    return ordered + left + right


def _without_double_prints(runs: Sequence[Run]) -> list[Run]:
    """``runs`` minus the copies that print a run again a hair away from itself (fake bold)."""
    kept: list[Run] = []
    seen: dict[str, list[Run]] = {}
    for run in runs:
        text = run.text.translate(_CONTROL)
        if not text.strip():
            continue
        twins = seen.setdefault(text, [])
        if any(abs(t.x0 - run.x0) <= DOUBLE_PRINT_POINTS and abs(t.y - run.y) <= DOUBLE_PRINT_POINTS for t in twins):
            continue
        run = Run(run.x0, run.x1, run.y, run.size, text)
        twins.append(run)
        kept.append(run)
    return kept


def _rows(runs: list[Run]) -> list[list[Run]]:
    """Runs grouped by baseline (within 60% of the smaller font's height), each row left to right."""
    rows: list[list[Run]] = []
    for run in sorted(runs, key=lambda r: (r.y, r.x0)):
        if rows:
            last = rows[-1]
            anchor = last[0]
            if abs(run.y - anchor.y) <= 0.6 * min(run.size, anchor.size) or (
                    run.size < 0.8 * anchor.size and 0 <= run.y - anchor.y <= 0.8 * anchor.size):  # a sub/superscript
                last.append(run)
                continue
        rows.append([run])
    return [sorted(row, key=lambda r: r.x0) for row in rows]


def _cells(row: list[Run]) -> list[Line]:
    """The runs of one row joined into cells, split where a gap is wider than CELL_GAP_EMS ems."""
    cells: list[list[Run]] = [[row[0]]]
    for run in row[1:]:
        previous = cells[-1][-1]
        if run.x0 - previous.x1 > CELL_GAP_EMS * max(run.size, previous.size):
            cells.append([run])
        else:
            cells[-1].append(run)
    return [_joined(cell) for cell in cells]


def _joined(runs: list[Run]) -> Line:
    """The runs of one line as one Line, with a space where the gap between two runs is one."""
    parts = [runs[0].text]
    for previous, run in zip(runs, runs[1:]):
        gap = run.x0 - previous.x1
        left, right = parts[-1][-1:], run.text[:1]
        wide = is_wide(left) and is_wide(right)
        if gap > (0.5 if wide else 0.15) * max(run.size, previous.size) and not left.isspace() \
                and not right.isspace():
            parts.append(" ")
        parts.append(run.text)
    joined = "".join(parts)
    # runs of spaces are layout, not text; one space at the end may matter where the line wraps
    text = " ".join(joined.split()) + (" " if joined[-1:].isspace() else "")
    return Line(runs[0].x0, max(r.x1 for r in runs), runs[0].y, max(r.size for r in runs), text)


def _joined_cells(cells: list[Line], column: int = 0) -> Line:
    if len(cells) == 1 and column == 0:
        return cells[0]
    return Line(cells[0].x0, cells[-1].x1, cells[0].y, max(c.size for c in cells),
                " ".join(cell.text.rstrip() for cell in cells) + (" " if cells[-1].text.endswith(" ") else ""),
                column, len(cells))


def _gutter(rows: list[list[Line]]) -> float | None:
    """The x of the gap between two columns of text, when the page has two columns of prose: most
    rows have text on both sides of it, almost none runs across it, and the text on either side is
    prose (long lines), not the cells of a table."""
    if len(rows) < 8:
        return None
    x0 = min(cell.x0 for row in rows for cell in row)
    x1 = max(cell.x1 for row in rows for cell in row)
    width = x1 - x0
    best: tuple[int, float] | None = None
    for step in range(1, 40):
        x = x0 + width * (0.3 + 0.4 * step / 40)
        crossing = sum(1 for row in rows for cell in row if cell.x0 < x < cell.x1)
        if best is None or crossing < best[0]:
            best = (crossing, x)
    assert best is not None
    crossing, gutter = best
    split = [row for row in rows if any(c.x1 <= gutter for c in row) and any(c.x0 >= gutter for c in row)]
    if crossing > max(1, len(rows) // 10) or len(split) < max(4, 2 * len(rows) // 5):
        return None
    left = [c.text for row in split for c in row if c.x1 <= gutter]
    right = [c.text for row in split for c in row if c.x0 >= gutter]
    if statistics.median(map(len, left)) < 15 or statistics.median(map(len, right)) < 15:
        return None  # short cells: a table, read row by row
    return gutter


def with_ideographs(text: str) -> str:
    """``text`` with the radicals and compatibility ideographs a font put in place of Chinese
    characters replaced by those characters (``⽤⼾`` -> ``用户``)."""
    if not any(code in _IDEOGRAPHS or code == 0x2F3E for code in map(ord, set(text))):
        return text
    simplified = sum(map(text.count, _SIMPLIFIED_MARKS)) >= sum(map(text.count, _TRADITIONAL_MARKS))
    return text.translate(_SIMPLIFIED_IDEOGRAPHS if simplified else _IDEOGRAPHS)


def document_text(pages: Sequence[Sequence[Line]],
                  join_hyphenated: Callable[[str, str], str] | None = None) -> str:
    """The text of all pages: wrapped lines joined, paragraph gaps as blank lines, a form feed
    before each page after the first. ``join_hyphenated(left, right)`` joins a word hyphenated at a
    line end (``agree``, ``ment``) and decides whether the hyphen stays; by default it goes."""
    join = join_hyphenated or (lambda left, right: left + right)
    margins = _document_margins(pages)
    out: list[str] = []
    for number, lines in enumerate(pages):
        if not lines:
            continue
        page_text = _page_text(lines, margins, join)
        out.append(("\f" if number and out else "") + page_text)
    return "\n".join(out) + ("\n" if out else "")


def _document_margins(pages: Sequence[Sequence[Line]]) -> tuple[float, float] | None:
    """The left and right edges of the body text over the whole document, when pages share them."""
    lines = [line for page in pages for line in page]
    if len(lines) < 3:
        return None
    return min(line.x0 for line in lines), _right_edge(lines)


def _right_edge(lines: Sequence[Line]) -> float:
    """Where the longest lines end: the second largest right end (one overlong line does not count)
    where there are enough lines to tell."""
    ends = sorted(line.x1 for line in lines)
    return ends[-2] if len(ends) >= 4 else ends[-1]


def _page_text(lines: Sequence[Line], margins: tuple[float, float] | None, join: Callable[[str, str], str]) -> str:
    pitch = _line_pitch(lines)
    edges = {}
    for column in {line.column for line in lines}:
        in_column = [line for line in lines if line.column == column]
        left, right = min(line.x0 for line in in_column), _right_edge(in_column)
        if margins is not None and len(lines) < 10 and column == 0:
            left, right = min(left, margins[0]), max(right, margins[1])
        edges[column] = (left, right)
    parts = [lines[0].text]
    for previous, line in zip(lines, lines[1:]):
        step = line.y - previous.y
        if step > PARAGRAPH_GAP_PITCHES * pitch or step < -previous.size:  # a gap, or the next column
            parts[-1] = parts[-1].rstrip()
            parts.append("\n\n" if step > 0 else "\n")
        elif previous.column == line.column and _wraps(previous, line, *edges[line.column]):
            hyphenated = _HYPHENATED.search(parts[-1].rstrip())
            continued = _CONTINUED.match(line.text)
            if hyphenated and continued:
                parts[-1] = parts[-1][: hyphenated.start()] + join(hyphenated.group(1), continued.group())
                parts.append(line.text[continued.end():])
                continue
            ended = parts[-1][-1:]
            parts.append("" if ended.isspace() or is_wide(ended) or is_wide(line.text[0]) else " ")
        else:
            parts[-1] = parts[-1].rstrip()
            parts.append("\n")
        parts.append(line.text)
    parts[-1] = parts[-1].rstrip()
    return "".join(parts)


def _line_pitch(lines: Sequence[Line]) -> float:
    """The usual distance between the baselines of two lines of one paragraph."""
    steps = sorted(b.y - a.y for a, b in zip(lines, lines[1:]) if 0.5 * a.size < b.y - a.y < 2.5 * max(a.size, b.size))
    if not steps:
        return 1.2 * statistics.median(line.size for line in lines)
    return steps[len(steps) // 5]  # most pages wrap some lines; the larger steps are paragraph gaps


def _wraps(previous: Line, line: Line, left: float, right: float) -> bool:
    """True when ``line`` continues ``previous``: the word processor wrapped there because the first
    word of ``line`` did not fit at the end of ``previous``."""
    em = max(previous.size, line.size)
    if previous.cells > 1 or line.cells > 1:  # table rows
        return False
    if previous.x0 > left + 4 * em:  # centred or indented far: a title, a signature block
        return False
    if _LABEL.match(line.text) and previous.text.rstrip().endswith(_BREAK_BEFORE_LABEL):
        return False
    ended = previous.text.rstrip()
    first_word = _FIRST_WIDE_UNIT.match(line.text) if is_wide(line.text[0]) else None
    first = first_word.group() if first_word else line.text.split(" ", 1)[0]
    word_width = (line.x1 - line.x0) * len(first) / max(1, len(line.text))
    space = 0.0 if is_wide(line.text[0]) or is_wide(ended[-1]) else 0.25 * em
    return previous.x1 + space + word_width > right - 0.2 * em
