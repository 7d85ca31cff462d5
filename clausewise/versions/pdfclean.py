"""Clean the artifacts that extracting text from a PDF leaves behind (pure logic, no I/O).

Each kind of artifact has one small rule; :func:`clean_extracted_text` applies them in a fixed
order and records every change as a :class:`Fix`, so that a reader can check that no real text was
lost. Every rule is conservative: a repetition is removed only when it is an exact doubling of a
whole unit (a line printed twice, a sentence printed twice in a row, a paragraph repeated right
after itself, a running header on several pages); a sentence that legitimately recurs stays.

Page breaks are read from form feeds (as ``pdftotext`` writes them) or, when the text has no other
indentation, from lines that begin with a single stray space (as some extractors write them).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .split import is_title_line

# Kinds of artifact, in the order the rules run; reports list counts in this order.
KINDS = (
    "invisible-char",
    "page-break",
    "doubled-line",
    "broken-title",
    "doubled-sentence",
    "page-number",
    "running-header",
    "repeated-paragraph",
    "misplaced-title",
    "hyphenation",
    "page-wrap",
    "split-word",
)
KIND_DESCRIPTIONS = {
    "invisible-char": "invisible characters removed (zero-width, BOM, no-break and full-width spaces)",
    "page-break": "stray page-break marks removed (form feed, single leading space)",
    "doubled-line": "lines printed twice within one line (bold text), kept once",
    "broken-title": "title lines broken across two lines, joined",
    "doubled-sentence": "sentences printed twice in a row (bold text), kept once",
    "repeated-paragraph": "paragraphs repeated right after themselves, kept once",
    "page-number": "page numbers removed",
    "running-header": "running page headers and footers removed",
    "misplaced-title": "document titles printed after their page's text, moved to the page start",
    "hyphenation": "words hyphenated across lines, joined",
    "page-wrap": "sentences that a page break cut in two, joined",
    "split-word": "words split by a stray space, joined",
}

_REMOVE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = {ord(ch): " " for ch in "\u00a0\u2007\u202f"}
_CLAUSE_LABEL = re.compile(
    r"^(?:\d+(?:\.\d+)*[.、．]?|[（(][一二三四五六七八九十\da-zA-Z]{1,4}[）)]|[一二三四五六七八九十百]+[、.．]"
    r"|第[一二三四五六七八九十百零\d]{1,6}[条章节])\s*"
)
_STARTS_WITH_LABEL = re.compile(r"^(?:\d+(?:\.\d+)*[.、．)]?\s|\d+(?:\.\d+)+|[（(][^）)]{1,4}[）)]|第\S{1,6}[条章节]"
                                r"|[一二三四五六七八九十百]+[、.．])")
_SENTENCE_END = "。！？；.!?;"
_LINE_END_PUNCT = tuple("。．.；;：:！!？?，,")
_PARAGRAPH_END = tuple("。．.；;：:！!？?")
_PAGE_NUMBER = re.compile(
    r"^(?:page|pg\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$"
    r"|^[-–—]\s*\d{1,4}\s*[-–—]$|^\d{1,4}\s*/\s*\d{1,4}$",
    re.IGNORECASE,
)
_LEADER = re.compile(r"^(?P<before>.*?\S)\s*(?P<leader>·{2,}|…+|\s\|\s)\s*(?P<after>\S.*)$")
_CLOSING_ONLY = re.compile(r"^[)）\]】」』”’\"'>》〉]{1,3}$")
_HYPHENATED = re.compile(r"(?<![A-Za-z-])(?P<word>[A-Za-z]{2,})-$")
_CONTINUATION = re.compile(r"^(?P<word>[a-z]+)(?P<tail>\S*)\s*(?P<rest>.*)$")
_SPLIT_PAIR = re.compile(r"(?<![A-Za-z'’])(?=(?P<left>[A-Za-z]{1,8}) (?P<right>[a-z]{1,8})(?![A-Za-z]))")
_VOWELS = set("aeiouyAEIOUY")

# Short words that stand alone: two of them next to each other are never one split word.
COMMON_WORDS = frozenset("""
a an the and or nor but if of to in on at by for from with as is am are was were be been being it its
i we you he she they me us him her them my our your his their this that these those who whom which
what when where why how all any each both few more most other some such no not only own same so than
too very can will just do does did done has have had may might must shall should would could
up down out off over under again then once here there into onto upon per via new old one two three
yes use used due set get got let see say said make made take taken give given fee fees own part
act law term terms day days end tax pay paid data free plan able also well even ever
""".split())
# Consonant-only words that are real words or abbreviations, never fragments of a split word.
ABBREVIATIONS = frozenset("""
mr mrs ms dr jr sr st vs cf pp ltd llc hr hrs km kg mm cm ml mg gb mb kb tb hz ms
http https www html xml css sql sms gps pdf cd ls rm mv cp nb ps pc tv
""".split())
# First halves of hyphenated compounds whose hyphen is real ("non-exclusive", "third-party").
COMPOUND_PREFIXES = frozenset("""
non self co ex anti pre post multi cross third first second sub well long short high low full part
semi quasi inter intra
""".split())


@dataclass(frozen=True)
class Fix:
    """One cleaning change: ``line`` is the 1-based line in the input text."""

    kind: str
    line: int
    before: str
    after: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "line": self.line, "before": self.before, "after": self.after}


@dataclass
class CleanResult:
    text: str
    fixes: list[Fix] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many fixes of each kind, in the order the rules run; kinds with none are left out."""
        counted = Counter(fix.kind for fix in self.fixes)
        return {kind: counted[kind] for kind in KINDS if counted[kind]}


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based line in the input
    text: str
    page_start: bool = False
    after_removal: bool = False  # lines before this one were removed as artifacts


def clean_extracted_text(text: str) -> CleanResult:
    """Clean ``text`` extracted from a PDF; the result's fixes say what changed and where."""
    fixes: list[Fix] = []
    lines = [_Line(n, t) for n, t in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1)]
    for rule in (
        _normalise_invisible,
        _mark_page_starts,
        _undouble_lines,
        _join_broken_titles,
        _undouble_sentences,
        _drop_page_furniture,
        _drop_repeated_paragraphs,
        _move_misplaced_titles,
        _tidy_page_breaks,
        _join_hyphenated,
        _join_page_wraps,
        _join_split_words,
    ):
        lines = rule(lines, fixes)
    return CleanResult(_assemble(lines), fixes)


def _assemble(lines: list[_Line]) -> str:
    """The lines with trailing spaces trimmed and runs of blank lines reduced to one."""
    out: list[str] = []
    for line in lines:
        stripped = line.text.rstrip()
        if not stripped and (not out or not out[-1]):
            continue
        out.append(stripped)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


# --- invisible characters and page marks -----------------------------------------------------


def _normalise_invisible(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    result = []
    for line in lines:
        text = line.text.translate(_REMOVE).translate(_SPACES)
        if not text.strip():  # str.strip() also takes full-width spaces (U+3000)
            text = "" if "\f" not in text else "\f"
        if text != line.text:
            fixes.append(Fix("invisible-char", line.number, line.text, text))
            line = replace(line, text=text)
        result.append(line)
    return result


def _mark_page_starts(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """Read page breaks from form feeds or single leading spaces, and drop those marks."""
    nonblank = [line for line in lines if line.text.strip()]
    indented = sum(1 for line in nonblank if re.match(r"^(?:\s{2,}|\t)", line.text))
    single = sum(1 for line in nonblank if re.match(r"^ \S", line.text))
    use_spaces = indented == 0 and 0 < single <= max(1, len(nonblank) // 2)
    result = []
    pending_break = False
    for line in lines:
        text = line.text
        if "\f" in text:
            pending_break = True
            text = text.replace("\f", "")
        elif use_spaces and re.match(r"^ \S", text):
            pending_break = True
            text = text[1:]
        if text != line.text:
            fixes.append(Fix("page-break", line.number, line.text, text))
        if pending_break and text.strip():
            result.append(replace(line, text=text, page_start=True))
            pending_break = False
        else:
            result.append(replace(line, text=text))
    return result


# --- doubled lines, titles, sentences, paragraphs --------------------------------------------


def _half(text: str) -> str | None:
    """X when ``text`` is X+X or "X X" and X holds at least two letters, else None."""
    n = len(text)
    if n % 2 == 0 and text[: n // 2] == text[n // 2:]:
        unit = text[: n // 2]
    elif n % 2 == 1 and text[n // 2] == " " and text[: n // 2] == text[n // 2 + 1:]:
        unit = text[: n // 2]
    else:
        return None
    return unit if sum(ch.isalpha() for ch in unit) >= 2 and unit.strip() == unit else None


def undouble_line(text: str) -> str | None:
    """The line printed once when ``text`` is a whole line printed twice (after an optional clause
    label, as in ``5.1 XX``), else None."""
    stripped = text.strip()
    unit = _half(stripped)
    if unit is not None:
        return text[: len(text) - len(text.lstrip())] + unit
    label = _CLAUSE_LABEL.match(stripped)
    if label and label.end() < len(stripped):
        unit = _half(stripped[label.end():])
        if unit is not None:
            return text[: len(text) - len(text.lstrip())] + stripped[: label.end()] + unit
    return None


def _undouble_lines(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    result = []
    for line in lines:
        single = undouble_line(line.text)
        if single is not None:
            fixes.append(Fix("doubled-line", line.number, line.text, single))
            line = replace(line, text=single)
        result.append(line)
    return result


def _join_broken_titles(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """Join a title broken across two lines (``…服务改进计划`` + ``协议``, ``Master Services`` +
    ``Agreement``) when the two stand apart from the text and only the joined line is a title."""
    result: list[_Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and _is_broken_title(lines, i):
            first, second = line.text.strip(), lines[i + 1].text.strip()
            joined = first + _joiner(first, second) + second
            fixes.append(Fix("broken-title", line.number, f"{first}\n{second}", joined))
            result.append(replace(line, text=joined))
            i += 2
            continue
        result.append(line)
        i += 1
    return result


def _is_broken_title(lines: list[_Line], i: int) -> bool:
    first, second = lines[i].text.strip(), lines[i + 1].text.strip()
    if not first or not second or len(second) > 12 or lines[i + 1].page_start:
        return False
    apart = (i == 0 or not lines[i - 1].text.strip()) and (
        i + 2 >= len(lines) or not lines[i + 2].text.strip() or lines[i + 2].page_start)
    if not apart or is_title_line(first) or first.endswith(_LINE_END_PUNCT):
        return False
    return is_title_line(first + _joiner(first, second) + second)


def _joiner(first: str, second: str) -> str:
    return " " if first[-1].isascii() and second[0].isascii() else ""


def undouble_sentences(text: str) -> str:
    """``text`` with every sentence printed exactly twice in a row kept once (sentences of 10+
    characters); a sentence printed three times is not a doubling and stays."""
    label = _CLAUSE_LABEL.match(text)
    pos = label.end() if label else 0
    while pos < len(text):
        while pos < len(text) and text[pos] == " ":
            pos += 1
        doubled = _doubled_sentence(text, pos)
        if doubled:
            end, copy_length = doubled
            text = text[:end] + text[end + copy_length:]
            pos = end
            continue
        ends = [i for i in range(pos, len(text)) if text[i] in _SENTENCE_END]
        if not ends:
            break
        pos = ends[0] + 1
    return text


def _doubled_sentence(text: str, start: int) -> tuple[int, int] | None:
    """(end of the sentence at ``start``, length of its copy) when the sentence is printed twice."""
    for end in range(start + 8, len(text)):
        if text[end - 1] not in _SENTENCE_END:
            continue
        unit = text[start:end]
        copy = (" " + unit) if text.startswith(" " + unit, end) else unit
        if not text.startswith(copy, end) or len(unit.strip()) < 10:
            continue
        tripled = text.startswith(copy, end + len(copy)) or text[:start].rstrip().endswith(unit)
        return None if tripled else (end, len(copy))
    return None


def _undouble_sentences(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    result = []
    for line in lines:
        single = undouble_sentences(line.text)
        if single != line.text:
            fixes.append(Fix("doubled-sentence", line.number, line.text, single))
            line = replace(line, text=single)
        result.append(line)
    return result


def _paragraphs(lines: list[_Line]) -> list[tuple[int, int]]:
    """(first, end) index ranges of the runs of non-blank lines; a page start begins a new run."""
    ranges, first = [], None
    for i, line in enumerate(lines):
        if line.page_start and first is not None:
            ranges.append((first, i))
            first = None
        if line.text.strip() and first is None:
            first = i
        elif not line.text.strip() and first is not None:
            ranges.append((first, i))
            first = None
    if first is not None:
        ranges.append((first, len(lines)))
    return ranges


def _drop_repeated_paragraphs(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """Drop a paragraph (20+ characters) that repeats the paragraph right before it exactly."""
    drop: set[int] = set()
    previous = None
    for first, end in _paragraphs(lines):
        key = "".join(line.text.strip() for line in lines[first:end])
        if previous is not None and key == previous[0] and len(key) >= 20:
            drop.update(range(previous[1], end))  # the blank lines between, and the copy
            fixes.append(Fix("repeated-paragraph", lines[first].number,
                             "\n".join(line.text for line in lines[first:end]), ""))
            continue
        previous = (key, end)
    return _without(lines, drop)


def _without(lines: list[_Line], drop: set[int]) -> list[_Line]:
    """``lines`` minus the indexes in ``drop``; the next line of text remembers the removal and
    inherits a removed page start."""
    result: list[_Line] = []
    removed = removed_page_start = False
    for i, line in enumerate(lines):
        if i in drop:
            removed = True
            removed_page_start = removed_page_start or line.page_start
            continue
        if line.text.strip() and removed:
            line = replace(line, after_removal=True, page_start=line.page_start or removed_page_start)
            removed = removed_page_start = False
        result.append(line)
    return result


# --- page furniture: numbers, running headers and footers -------------------------------------


def _drop_page_furniture(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    has_pages = any(line.page_start for line in lines)
    near = _near_page_break(lines) if has_pages else set()
    drop: set[int] = set()
    for i, line in enumerate(lines):
        text = line.text.strip()
        if _PAGE_NUMBER.match(text) or (has_pages and i in near and re.fullmatch(r"\d{1,4}", text)):
            drop.add(i)
            fixes.append(Fix("page-number", line.number, line.text, ""))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        if i in drop or not _may_be_header(line.text.strip()):
            continue
        text = line.text.strip()
        groups["=" + re.sub(r"\s+", " ", re.sub(r"\d+", "#", text))].append(i)
        leader = _LEADER.match(text)
        if leader:
            groups["·" + leader.group("before").split()[-1] + leader.group("leader").strip()].append(i)
    headers: set[int] = set()
    for key, members in groups.items():
        if len(members) < 3:
            continue
        if has_pages:
            if not all(i in near for i in members):
                continue
        elif not (key.startswith("·") or "#" in key):
            continue
        if is_title_line(lines[members[0]].text):
            members = members[1:]  # a title repeated as the running header: keep the title itself
        headers.update(members)
    for i in sorted(headers):
        drop.add(i)
        fixes.append(Fix("running-header", lines[i].number, lines[i].text, ""))
        follower = _next_nonblank(lines, i)
        if follower is not None and _CLOSING_ONLY.match(lines[follower].text.strip()):
            drop.add(follower)  # the header's own wrapped tail, e.g. a lone "）"
            fixes.append(Fix("running-header", lines[follower].number, lines[follower].text, ""))
    return _without(lines, drop)


def _may_be_header(text: str) -> bool:
    return 4 <= len(text) <= 100 and not text.endswith(_LINE_END_PUNCT) and not _STARTS_WITH_LABEL.match(text)


def _next_nonblank(lines: list[_Line], i: int) -> int | None:
    for j in range(i + 1, len(lines)):
        if lines[j].text.strip():
            return j
    return None


def _near_page_break(lines: list[_Line]) -> set[int]:
    """Indexes of the three non-blank lines on either side of each page break."""
    nonblank = [i for i, line in enumerate(lines) if line.text.strip()]
    near: set[int] = set()
    for k, i in enumerate(nonblank):
        if lines[i].page_start:
            near.update(nonblank[max(0, k - 3): k + 3])
    near.update(nonblank[:3] + nonblank[-3:])  # the document's own edges are page edges too
    return near


# --- titles printed after their page's text ---------------------------------------------------


def _move_misplaced_titles(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """Move a document title that is the last text of its page (as some PDFs print it) to that
    page's start, so that the agreement reads title first."""
    page_starts = [i for i, line in enumerate(lines) if line.page_start]
    if not page_starts:
        return lines
    bounds = [0] + page_starts + [len(lines)]
    result: list[_Line] = []
    moved_before = False
    for first, end in zip(bounds, bounds[1:]):
        page = lines[first:end]
        content = [k for k, line in enumerate(page) if line.text.strip()]
        if moved_before and content:
            page[content[0]] = replace(page[content[0]], after_removal=True)
        moved_before = len(content) >= 2 and is_title_line(page[content[-1]].text)
        if moved_before:
            opening, last = content[0], content[-1]
            title = page[last]
            fixes.append(Fix("misplaced-title", title.number, title.text.strip(),
                             f"{title.text.strip()} (moved before input line {page[opening].number})"))
            page = (page[:opening]
                    + [replace(title, page_start=page[opening].page_start, after_removal=True),
                       _Line(title.number, ""), replace(page[opening], page_start=False)]
                    + page[opening + 1:last] + page[last + 1:])
        result.extend(page)
    return result


def _tidy_page_breaks(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """Where artifacts were removed at a page break, leave one blank line after a finished
    sentence and none inside one, so the text flows on as it did before the break."""
    result: list[_Line] = []
    for line in lines:
        if line.text.strip() and line.page_start and line.after_removal:
            while result and not result[-1].text.strip():
                result.pop()
            if result and (result[-1].text.rstrip().endswith(_PARAGRAPH_END) or is_title_line(line.text)
                           or is_title_line(result[-1].text)):
                result.append(_Line(line.number, ""))
        result.append(line)
    return result


# --- words broken by hyphens or stray spaces --------------------------------------------------


def _join_hyphenated(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """``agree-`` + ``ment shall`` becomes ``agreement`` + ``shall``; a real compound keeps its hyphen."""
    words = _document_words(lines)
    result = list(lines)
    for i in range(len(result) - 1):
        head = _HYPHENATED.search(result[i].text.rstrip())
        tail = _CONTINUATION.match(result[i + 1].text.strip())
        if not head or not tail:
            continue
        joined = unhyphenate(head.group("word"), tail.group("word"), words) + tail.group("tail")
        before = f"{result[i].text}\n{result[i + 1].text}"
        result[i] = replace(result[i], text=result[i].text.rstrip()[: head.start()] + joined)
        result[i + 1] = replace(result[i + 1], text=tail.group("rest"))
        fixes.append(Fix("hyphenation", result[i].number, before, f"{result[i].text}\n{result[i + 1].text}"))
    return result


def unhyphenate(left: str, right: str, document_words: set[str]) -> str:
    """The word hyphenated across a line break as ``left-`` + ``right``, joined: without the hyphen,
    unless the document writes the compound with one elsewhere or ``left`` is a prefix that takes one."""
    keep = (left + right).lower() not in document_words and (
        f"{left}-{right}".lower() in document_words or left.lower() in COMPOUND_PREFIXES)
    return left + ("-" if keep else "") + right


def document_words(texts: Iterable[str]) -> set[str]:
    """Every ASCII word (and hyphenated compound) of ``texts``, lowercased."""
    words: set[str] = set()
    for text in texts:
        for token in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text):
            words.add(token.lower())
            words.update(part.lower() for part in token.split("-"))
    return words


def _join_page_wraps(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    """Join a sentence that a page break cut in two (``caused`` | page break | ``by negligence``):
    the line before the break ends inside a sentence, and the line after it goes on with a
    lower-case word or, in Chinese, with more of the sentence. Headings, labels and titles never join."""
    result: list[_Line] = []
    for line in lines:
        previous = result[-1] if result else None
        if previous is not None and line.page_start and _continues_across_page(previous.text, line.text):
            head, tail = previous.text.rstrip(), line.text.strip()
            joined = head + ("" if _is_cjk(head[-1]) or _is_cjk(tail[0]) else " ") + tail
            fixes.append(Fix("page-wrap", line.number, f"{previous.text}\n{line.text}", joined))
            result[-1] = replace(previous, text=joined)
            continue
        result.append(line)
    return result


def _continues_across_page(before: str, after: str) -> bool:
    before, after = before.strip(), after.strip()
    if not before or not after or before.endswith(_PARAGRAPH_END) or before.startswith("#"):
        return False
    if is_title_line(before) or is_title_line(after) or _STARTS_WITH_LABEL.match(after):
        return False
    if after[0].islower() and after[0].isascii():
        return before[-1].isalpha() or before[-1] in ",;'’\")"
    heading = _STARTS_WITH_LABEL.match(before) and len(before) < 30
    return (_is_cjk(before[-1]) or before[-1] in "，、") and _is_cjk(after[0]) and len(before) >= 20 and not heading


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _document_words(lines: list[_Line]) -> set[str]:
    return document_words(line.text for line in lines)


def _join_split_words(lines: list[_Line], fixes: list[Fix]) -> list[_Line]:
    words = _document_words(lines)
    result = []
    for line in lines:
        joined = join_split_words(line.text, words)
        if joined != line.text:
            fixes.append(Fix("split-word", line.number, line.text, joined))
            line = replace(line, text=joined)
        result.append(line)
    return result


def join_split_words(text: str, document_words: set[str]) -> str:
    """Join ASCII words that a stray space split (``Ct rl`` → ``Ctrl``, ``Ser vice`` → ``Service``).

    A pair joins when the joined word occurs elsewhere in the document and neither half is a
    common word, or when one half has no vowel (no English word does) and neither half is a known
    abbreviation. "in a", "I am", "Mr and" never join.
    """
    out, last = [], 0
    for match in _SPLIT_PAIR.finditer(text):
        if match.start() < last:
            continue
        left, right = match.group("left"), match.group("right")
        if _is_split_word(left, right, document_words):
            out.append(text[last: match.start()] + left + right)
            last = match.start() + len(left) + 1 + len(right)
    return "".join(out) + text[last:]


def _is_split_word(left: str, right: str, document_words: set[str]) -> bool:
    low_left, low_right = left.lower(), right.lower()
    if low_left in COMMON_WORDS and low_right in COMMON_WORDS:
        return False
    joined = low_left + low_right
    if joined in document_words and low_left not in COMMON_WORDS and low_right not in COMMON_WORDS:
        return True
    vowelless = not (_VOWELS & set(left)) or not (_VOWELS & set(right))
    return (vowelless and low_left not in ABBREVIATIONS and low_right not in ABBREVIATIONS
            and len(left) + len(right) >= 4)
