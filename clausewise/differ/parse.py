"""Parse an agreement into a tree of clauses: preamble, sections, clauses, items, list items,
paragraphs.

A line starts a clause only when its label fits the document's numbering: the next number of a
series already open, or the first number of a new, deeper series. So a wrapped line that happens
to begin with ``50%`` or ``2026.``, or a cross-reference ``Section 9.3`` carried to the start of a
line, stays part of its paragraph. Some labels are unmistakable and always start a clause: every
``第X条`` (and 编/分编/章/节) at the start of a line, and, at a paragraph start, a number set off by
markup (a heading, bold, an escaped ``36\\.``). Lines split on LF, CRLF or a lone CR alike.

Before the lines are walked, what only looks like a clause is taken out: the document's title (its
only level-1 heading, on top), a table of contents, a number repeated just above its own heading.
Lines that are not labelled continue the clause above them, except that a paragraph under a
heading without a number, and a paragraph after a list, is a node of its own (``kind="paragraph"``,
no label); consecutive paragraphs that are only in-page links (a contents list) make one such node. Text before the first clause (title, preamble) belongs to the root. Each node owns the
exact slice of the text from its first line up to the next node, so joining ``source`` over
``walk()`` gives the original text back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from .labels import LEADING_SPACE, Label, heading_label, read_labels
from .model import Clause
from .normalize import is_cjk, strip_invisible

_TERMINAL = tuple(".。;；:：!?！？")
_NOT_HEADING_END = tuple(".。;；:：!?！？,，、")
_PARAGRAPH_MARK = "¶"
_SEPARATORS = ("-", "–", "—", ":", "：")
_CONTENTS_ENTRY = 120  # a contents line is at most this long
_NOT_CONTENTS_END = tuple(";；,，。:：")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UNDERLINE = re.compile(r"[ \t]*(={2,}|-{2,}|=)[ \t]*")
_BULLET_LINE = re.compile(r"[ \t]*[-*+•][ \t]")
_INTRODUCING = (":", "：", ":**", "：**")
_MARKUP_START = tuple("#=-*_<")
_MARKUP_LINE = re.compile(r"#{1,6}|={2,}|-{2,}|[*_]{3,}|(?:</?[A-Za-z][^<>]*> ?)+")
# A line that is only a link to a place in the same page: an entry of a contents list.
_CONTENTS_LINK = re.compile(r"\[[^\]\n]*\]\(#[^()\s]*\)")
_H1 = re.compile(r"#[ \t]")
_BOLD_END = re.compile(r"\*\*|__")
_TRAILING_MARKS = re.compile(r"(?<![*_#>])[ \t]*(?:\*\*|__|[*_]|#+|</\w+>)+$")
_LEADING_MARKS = re.compile(r"^(?:\*\*|__|[*_](?=\S)|<[A-Za-z][^<>]*>)+")
_SPACE = LEADING_SPACE + " \t"


@dataclass
class _Start:
    """Where a node starts: its line, and where its own text (after label and heading) begins."""

    index: int
    node: Clause
    body_line: int
    body_offset: int


@dataclass
class _Open:
    """A clause whose numbering series is still open on the stack."""

    label: Label
    node: Clause
    indent: int = 0  # where the label's line starts


def parse_agreement(text: str) -> Clause:
    """The clause tree of ``text``; the root holds the title and preamble (``kind="preamble"``)."""
    return _parse(text, {}, {})


def parse_agreements(*texts: str) -> list[Clause]:
    """The clause trees of several versions of an agreement, as ``parse_agreement`` gives them;
    a line or a clause they share is read once (label readings and display text are functions of
    the line, and of the clause's exact source, alone)."""
    readings: dict[str, list[Label]] = {}
    display: dict[tuple, str] = {}
    return [_parse(text, readings, display) for text in texts]


def _parse(text: str, readings_of: dict[str, list[Label]], display: dict[tuple, str]) -> Clause:
    lines, offsets = split_lines(text)
    root = Clause(label=None, path=(), heading=None, text="", source="", line=1, level=0,
                  kind="preamble")
    all_readings, setext = _line_readings(lines, readings_of)
    stack: list[_Open] = []
    starts: list[_Start] = []
    paragraph_start = True  # the line may open a paragraph: a label may start here
    block_start = True  # the line follows a blank line, a heading or markup: a new block
    skip_to = -1  # a title line taken by the number alone on the line above it
    introduced = False  # the last non-blank line ends with a colon
    contents: Clause | None = None  # a paragraph of in-page links so far: later link lines join it
    for index, line in enumerate(lines):
        if index <= skip_to:
            continue
        content = line.strip(_SPACE)
        if content:
            introduced, was_introduced = content.endswith(_INTRODUCING), introduced
        else:
            was_introduced = introduced
        readings = all_readings[index]
        chosen = _choose(stack, readings, paragraph_start, was_introduced) if readings else None
        if chosen is None:
            markup = content and content[0] in _MARKUP_START and _MARKUP_LINE.fullmatch(content) is not None
            links_only = _CONTENTS_LINK.fullmatch(content) is not None
            if content and block_start and stack and not markup \
                    and not (links_only and contents is not None and starts[-1].node is contents):
                keep = _paragraph_keep(stack, line)
                if keep is not None:
                    del stack[keep:]
                    parent = stack[-1].node if stack else root
                    node = Clause(label=None, path=parent.path + (_PARAGRAPH_MARK,), heading=None,
                                  text="", source="", line=index + 1, level=parent.level + 1,
                                  kind="paragraph")
                    parent.children.append(node)
                    starts.append(_Start(index, node, index, 0))
                    contents = node if links_only else None
            if content and not links_only:
                contents = None
            underline = index - 1 in setext
            paragraph_start = not content or content.endswith(_TERMINAL) or underline
            block_start = not content or underline or markup
            continue
        label, keep = chosen
        contents = None
        del stack[keep:]
        parent = stack[-1].node if stack else root
        heading, body_offset = _heading(label, line)
        body_line = index
        bare = body_offset >= len(line.rstrip(_SPACE))  # nothing after the label
        if heading is None and bare and label.may_have_heading:
            title_line = _title_below(lines, all_readings, index)
            if title_line is not None:  # "7." alone, its title on the next line
                heading = _clean_heading(lines[title_line])
                body_line, body_offset = title_line, len(lines[title_line])
                skip_to = title_line
        written = label.written or None
        node = Clause(label=written, path=parent.path + (written or heading or _PARAGRAPH_MARK,),
                      heading=heading, text="", source="", line=index + 1, level=len(stack) + 1,
                      kind=label.kind)
        parent.children.append(node)
        stack.append(_Open(label, node, len(line) - len(line.lstrip(_SPACE))))
        starts.append(_Start(index, node, body_line, body_offset))
        paragraph_start = heading is not None or bare or content.endswith(_TERMINAL)
        block_start = label.kind == "heading" or bare
    _fill_text(text, lines, offsets, root, starts, display)
    return root


def _line_readings(lines: list[str], readings_of: dict[str, list[Label]]
                   ) -> tuple[list[list[Label]], dict[int, int]]:
    """The label readings of every line, with what is not a clause taken out (the document's
    title, a table of contents, a number repeated just above its own heading), and the setext
    headings by line."""
    setext = _setext_headings(lines)
    title = _title_line(lines, setext)
    found: list[list[Label]] = []
    for index, line in enumerate(lines):
        level = setext.get(index)
        if level is not None:
            found.append([heading_label(line, len(line) - len(line.lstrip(LEADING_SPACE)), level)])
            continue
        readings = readings_of.get(line)
        if readings is None:
            readings = readings_of[line] = read_labels(line)[1]
        found.append(readings)
    if title >= 0:
        found[title] = []
    _drop_contents(lines, found)
    return found, setext


def _drop_contents(lines: list[str], found: list[list[Label]]) -> None:
    """Take the labels out of a table of contents: a run of at least three short section labels
    (no items or bullets) with nothing but blank lines between them, most of which the document
    uses exactly once more further on, in the same order; and out of a plain line that repeats
    the number of the heading right below it."""
    labelled = [index for index, readings in enumerate(found) if readings]
    uses: dict[str, list[int]] = {}
    for index in labelled:
        uses.setdefault(_contents_key(found[index][0]), []).append(index)
    run: list[int] = []
    for position, index in enumerate(labelled):
        label = found[index][0]
        content = lines[index].strip(_SPACE)
        nxt = labelled[position + 1] if position + 1 < len(labelled) else -1
        if nxt >= 0 and label.kind != "heading" and found[nxt][0].kind == "heading" \
                and label.written and found[nxt][0].written == label.written \
                and not any(line.strip(_SPACE) for line in lines[index + 1:nxt]) \
                and _clean_heading(lines[index][label.end:]) == _clean_heading(lines[nxt][found[nxt][0].end:]):
            found[index] = []  # "2. Obligations" just above "2\. Obligations" underlined
            continue
        entry = (label.kind != "heading" and not label.is_item and label.written
                 and len(content) <= _CONTENTS_ENTRY and not content.endswith(_NOT_CONTENTS_END))
        if entry and run and not any(line.strip(_SPACE) for line in lines[run[-1] + 1:index]) \
                and all(_contents_key(found[other][0]) != _contents_key(label) for other in run):
            run.append(index)
            continue
        _drop_run(run, found, uses)
        run = [index] if entry else []
    _drop_run(run, found, uses)


def _drop_run(run: list[int], found: list[list[Label]], uses: dict[str, list[int]]) -> None:
    if len(run) < 3:
        return
    end, previous, repeated = run[-1], -1, 0
    for index in run:
        places = uses[_contents_key(found[index][0])]
        after = [place for place in places if place > end]
        if len(after) == 1 and len(places) == 2 and after[0] > previous:
            repeated += 1
            previous = after[0]
    if repeated >= max(3, 0.8 * len(run)):
        for index in run:
            found[index] = []


def _contents_key(label: Label) -> str:
    """A label as a contents list and the body may both write it: ``Article 1`` = ``ARTICLE 1.``"""
    return label.written.casefold().rstrip(".:：")


def _title_below(lines: list[str], readings: list[list[Label]], index: int) -> int | None:
    """The line holding the title of a number that stands alone on line ``index``: the next
    non-blank line (at most one blank line between), short, unlabelled and not a sentence."""
    for below in (index + 1, index + 2):
        if below >= len(lines):
            return None
        content = lines[below].strip(_SPACE)
        if not content:
            continue
        if readings[below] or _MARKUP_LINE.fullmatch(content):
            return None
        title = _clean_heading(content)
        if title and len(title) <= 80 and not title.endswith(_NOT_HEADING_END) and (
                is_cjk(title) or title[0].isupper()):
            return below
        return None
    return None


def split_lines(text: str) -> tuple[list[str], list[int]]:
    """The lines of ``text`` without their line breaks (LF, CRLF or a lone CR, mixed as they
    come) and the offset where each starts."""
    if "\r" not in text:
        lines = text.split("\n")
        return lines, [0, *accumulate(len(line) + 1 for line in lines[:-1])]
    lines, offsets, start = [], [], 0
    for brk in _LINE_BREAK.finditer(text):
        lines.append(text[start:brk.start()])
        offsets.append(start)
        start = brk.end()
    lines.append(text[start:])
    offsets.append(start)
    return lines, offsets


def _title_line(lines: list[str], setext: dict[int, int]) -> int:
    """The index of the document's title, a level-1 heading that opens the text and is its only
    one (it belongs to the preamble, not a clause holding everything), else -1."""
    first = next((index for index, line in enumerate(lines) if line.strip(_SPACE)), -1)
    if first < 0 or not (setext.get(first) == 1 or _H1.match(lines[first])):
        return -1
    others = sum(1 for line in lines if line.startswith("# ")) + sum(1 for level in setext.values() if level == 1)
    return first if others == 1 else -1


def _setext_headings(lines: list[str]) -> dict[int, int]:
    """Lines underlined with ``===`` (level 1) or ``---`` (level 2), any length, as Markdown's
    setext headings: a one-line paragraph directly above the underline."""
    found: dict[int, int] = {}
    for index in range(1, len(lines)):
        line = lines[index]
        if not line or line[-1] not in "=- \t":
            continue
        underline = _UNDERLINE.fullmatch(line)
        if not underline:
            continue
        title = lines[index - 1]
        if not title.strip(_SPACE) or index - 1 in found or _UNDERLINE.fullmatch(title):
            continue
        if index >= 2 and lines[index - 2].strip(_SPACE) and index - 2 not in found \
                and not _UNDERLINE.fullmatch(lines[index - 2]):
            continue  # the last line of a longer paragraph: a rule, not an underline
        if _BULLET_LINE.match(title) or title.lstrip().startswith(("#", "|", ">")):
            continue
        found[index - 1] = 1 if underline.group(1)[0] == "=" else 2
    return found


def _paragraph_keep(stack: list[_Open], line: str) -> int | None:
    """How much of the stack stays open when a paragraph starts at ``line`` (after a blank line),
    or None when the paragraph continues the clause above. A numbered clause owns its paragraphs;
    a paragraph under a heading without a number is a unit of its own (a child of the heading
    without a label), and so is an unindented paragraph after a list, which ends the list and
    belongs to the list's parent."""
    top = stack[-1]
    if top.label.kind == "heading" and not top.label.written:
        return len(stack)
    if not _is_list_item(stack, len(stack) - 1) or len(line) - len(line.lstrip(_SPACE)) > top.indent:
        return None
    keep = len(stack) - 1
    while keep and _is_list_item(stack, keep - 1):
        keep -= 1
    return keep


def _is_list_item(stack: list[_Open], depth: int) -> bool:
    """Whether the open clause at ``depth`` is an item of a list: an item or bullet, or a plain
    number (``1.``) right under a heading."""
    label = stack[depth].label
    if label.is_item:
        return True
    return (label.style[0] == "decimal" and len(label.value) == 1 and depth > 0
            and stack[depth - 1].label.kind == "heading")


def _choose(stack: list[_Open], readings: list[Label], paragraph_start: bool, introduced: bool = False
            ) -> tuple[Label, int] | None:
    """The reading the numbering supports and how much of the stack stays open, or None.
    ``introduced``: the line above ends with a colon, so a first number (``1.``, ``(a)``) opens a
    list under the clause above even where the same numbering is open further up."""
    for label in readings:
        if label.style[0] == "md":
            keep = len(stack)
            while keep and (stack[keep - 1].label.style[0] != "md" or stack[keep - 1].label.rank >= label.rank):
                keep -= 1
            return label, keep
    candidates = [r for r in readings if paragraph_start or not r.paragraph_only]
    for label in candidates:  # first: the very next number of a series open at any depth
        if len(label.value) == 1 and label.style[0] not in ("bullet", "md"):
            for depth in range(len(stack) - 1, -1, -1):
                entry = stack[depth].label
                if entry.style == label.style and len(entry.value) == 1 and entry.value[0] + 1 == label.value[0]:
                    return label, depth
    if introduced and stack:
        for label in candidates:
            if _is_first(label.value) and label.style[0] not in ("bullet", "md", "cn") \
                    and any(entry.label.style == label.style for entry in stack) \
                    and stack[-1].label.style != label.style:
                return label, len(stack)
    for label in candidates:  # then: a plausible next label of the nearest open series
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].label.style == label.style:
                if _follows(stack[depth].label.value, label, paragraph_start):
                    return label, depth
                break
    for label in sorted(candidates, key=lambda r: not _is_first(r.value)):  # then: a new series
        if any(entry.label.style == label.style for entry in stack):
            continue
        keep = len(stack)
        opens_list = label.style[0] == "decimal" and len(label.value) == 1 and _is_first(label.value)
        while keep and not opens_list:  # a new "1." list nests under the clause above it
            top = stack[keep - 1].label
            if top.style[0] == "md" or (top.is_item and label.is_item) or top.rank < label.rank:
                break
            keep -= 1
        if _starts(label, paragraph_start, stack[:keep]):
            return label, keep
    return None


def _is_first(value: tuple[int, ...]) -> bool:
    return value[-1] == 1


def _follows(previous: tuple[int, ...], label: Label, paragraph_start: bool) -> bool:
    """Whether ``label`` plausibly comes next after ``previous`` in the same series."""
    value = label.value
    if label.style[0] in ("bullet", "cn"):
        return True  # 第十二条 after 第二条, 第十七条之一 after 第十七条: unmistakable
    if label.strong and paragraph_start:
        return True  # a bold or heading number: a label even where the numbering slips
    if len(value) == 1:
        if value[0] == previous[0] + 1:
            return True
        if value[0] == previous[0] == 1 and label.style[0] in ("decimal", "number-paren"):
            return True  # Markdown's "1." for every item of a list
        return paragraph_start and previous[0] < value[0] <= previous[0] + 3
    prefix, last = value[:-1], value[-1]
    if prefix == previous[:-1]:
        return last == previous[-1] + 1 or (paragraph_start and previous[-1] < last <= previous[-1] + 3)
    if prefix > previous[:-1]:
        return last == 1 or (paragraph_start and last <= 3)
    return False


def _starts(label: Label, paragraph_start: bool, ancestors: list[_Open]) -> bool:
    """Whether ``label`` plausibly opens a new series under ``ancestors``."""
    if label.style[0] == "cn":
        return True
    if len(label.value) > 1:
        for entry in reversed(ancestors):
            if entry.label.style[0] in ("decimal", "word"):
                return entry.label.value == label.value[:-1]  # 9.3.1 only under 9.3
    if label.style[0] == "bullet" or _is_first(label.value):
        return True
    return paragraph_start and (label.strong or max(label.value) <= 50)


def _heading(label: Label, line: str) -> tuple[str | None, int]:
    """The heading on a label's line, if it has one (``二、保证与陈述``, ``## 9. General``,
    ``**2.1 Definitions.** Text``), and the offset in the line where the clause's own text starts."""
    rest = line[label.end:]
    if label.strong and not label.kind == "heading":
        closing = _BOLD_END.search(rest)
        if closing and rest[:closing.start()].strip(_SPACE):
            heading = _clean_heading(rest[:closing.start()])
            if heading and len(heading) <= 80:
                return heading, label.end + closing.end()
    rest = _clean_heading(rest)
    if rest[:1] in _SEPARATORS:
        rest = rest[1:].lstrip(_SPACE)  # "Article 2 – Price", "ARTICLE 3 : Term"
    if label.written and rest.startswith(label.written + " "):
        rest = rest[len(label.written) + 1:].lstrip(_SPACE)  # "5. 5\. PRIVACY": the number twice
    heading = _heading_text(label, rest)
    return heading, (len(line) if heading is not None else label.end)


def _clean_heading(text: str) -> str:
    """A heading without the markup around it: emphasis, a table cell's end, closing ``#``s."""
    text = text.strip(_SPACE)
    if "|" in text:
        text = text.split("|", 1)[0].strip(_SPACE)
    if text and text[-1] in "*_#>":
        text = _TRAILING_MARKS.sub("", text)
    if text and text[0] in "*_<":
        text = _LEADING_MARKS.sub("", text)
    return text.replace("\\.", ".").strip(_SPACE) if "\\" in text else text


def _heading_text(label: Label, rest: str) -> str | None:
    if not rest:
        return None
    if label.kind == "heading":
        return rest
    if not label.may_have_heading or rest.endswith(_NOT_HEADING_END) or "。" in rest:
        return None
    if is_cjk(rest):
        return rest if len(rest) <= 25 and not any(c in rest for c in "，,；;") else None
    if len(rest) > 60:
        return None
    words = rest.split()
    if len(words) > 8:
        return None
    if rest.isupper() or (rest[0].isupper() and all(w[0].isupper() or len(w) <= 3 for w in words)):
        return rest
    return None


def _fill_text(text: str, lines: list[str], offsets: list[int], root: Clause,
               starts: list[_Start], display: dict[tuple, str]) -> None:
    """Give every node its exact ``source`` slice and its display ``text`` (``display``: the
    display text by source, where the body starts and whether the source runs to the end)."""
    boundaries = [start.index for start in starts] + [len(lines)]
    first = boundaries[0]
    root.source = text[: offsets[first]] if first < len(lines) else text
    root.text = display_text(lines[:first])
    for start, end in zip(starts, boundaries[1:]):
        index, node, body_line, body_offset = start.index, start.node, start.body_line, start.body_offset
        end_offset = offsets[end] if end < len(lines) else len(text)
        node.source = text[offsets[index]:end_offset]
        key = (node.source, body_line - index, body_offset, end == len(lines))
        shown = display.get(key)
        if shown is None:
            shown = display[key] = display_text([lines[body_line][body_offset:]] + lines[body_line + 1:end])
        node.text = shown


def display_text(lines: list[str]) -> str:
    """Lines as readable text: invisible characters dropped, spacing collapsed, wrapped lines of a
    paragraph joined (without a space next to CJK text), paragraphs separated by a blank line."""
    paragraphs: list[str] = []
    current = ""
    for raw in lines:
        line = " ".join(strip_invisible(raw).split())
        if line and line[0] in _MARKUP_START and _MARKUP_LINE.fullmatch(line):
            line = ""  # an underline, a rule, an empty heading or a bare HTML tag: no text
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
        elif not current:
            current = line
        elif is_cjk(current[-1]) or is_cjk(line[0]):
            current += line
        else:
            current += " " + line
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)
