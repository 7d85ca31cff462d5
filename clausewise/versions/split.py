"""Find the separate agreements in one compiled document (pure logic, no I/O).

A compiled document (a PDF of "related agreements", a Markdown file of several policies) holds a
cover and front matter, then one agreement after another. An agreement starts at a document-title
line (``3.智能语音交互试用服务协议``, ``Terms of Service``, ``# Privacy Policy``) or, when it has no
title line, at the preamble paragraph that names it (``《…协议》（以下简称“本协议”）``,
``(the "Agreement")``). What comes before the first agreement, and any part that is a cover, a
legal notice, a conventions table or a table of contents, is dropped and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("sla", "trial", "commercial", "general")
_BEFORE = "text before the first agreement"

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_INDEX = r"(?P<index>\d{1,2})\s*[.、．]\s*"
_ZH_TITLE = re.compile(
    rf"^(?:{_INDEX})?(?P<title>[{_CJK}A-Za-z0-9（）()\-《》 ]{{2,60}}?"
    r"(?:协议书|协议|合同|条款|规则|政策|须知|承诺书|授权书|许可)(?:\s*[（(][^（）()]{1,12}[）)])?)$"
)
_EN_TITLE_WORDS = re.compile(
    r"\b(agreement|terms of (?:service|use|sale|business)|terms and conditions|conditions of (?:use|sale)"
    r"|policy|contract|licen[cs]e|addendum|eula)\b",
    re.IGNORECASE,
)
# Clause headings that name the agreement but never start one.
_CLAUSE_HEADINGS = re.compile(
    r"^(?:entire|whole|complete|this|the|term of|termination|amendments?|changes|modifications?|assignment"
    r"|breach|scope|governing|severability|survival)\b|完整协议|全部协议|其他协议|本协议|协议的|协议条款",
    re.IGNORECASE,
)
_EN_INDEX = re.compile(r"^(?P<index>\d{1,2})\s*[.)]\s+")
_MARKDOWN_H1 = re.compile(r"^#\s+(?P<text>\S.*?)\s*#*\s*$")
_TERMINAL = tuple("。；;，,：:！!？?")

# Front matter of a compiled document: its cover, legal notice, conventions, table of contents.
_FRONT_MATTER_LINE = re.compile(
    r"^(?:法律声明|通用约定|目录|版权声明|legal notices?|conventions|(?:table of )?contents|copyright notice)$"
    r"|^(?:文档版本|document version|版本号)\s*[:：]",
    re.IGNORECASE,
)
_FRONT_MATTER_NAMES = (
    ("cover", re.compile(r"^(?:文档版本|document version|版本号)\s*[:：]", re.IGNORECASE)),
    ("legal notice", re.compile(r"^(?:法律声明|legal notices?|版权声明|copyright notice)$", re.IGNORECASE)),
    ("conventions", re.compile(r"^(?:通用约定|conventions)$", re.IGNORECASE)),
    ("table of contents", re.compile(r"^(?:目录|(?:table of )?contents)$", re.IGNORECASE)),
)

# A preamble that defines "this Agreement": 《名称》（以下简称“本协议”）, (the "Agreement").
_ZH_PREAMBLE = re.compile(r"《(?P<name>[^《》]{2,60})》\s*[（(]\s*(?:以下|下文)?(?:简|统)?称\s*[“\"「]本协议")
_EN_PREAMBLE = re.compile(
    r"\((?:hereinafter\s+)?(?:referred to as\s+)?(?:the\s+|this\s+)?[\"“](?:agreement|terms|contract|eula)[\"”]\)",
    re.IGNORECASE,
)
_CLAUSE_LABEL = re.compile(
    r"^\s*(?:\d+(?:\.\d+)+\s|\d+[.、．)]\s*\S|第[一二三四五六七八九十百零\d]+[条章节]|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十\da-zA-Z]{1,4}[）)]|#{2,6}\s)"
)
_LEGAL_WORDS = re.compile(
    r"协议|合同|条款|甲方|乙方|双方|违约|agreement|terms|part(?:y|ies)|shall|liabilit|warrant", re.IGNORECASE
)
_KIND_PATTERNS = (
    ("sla", re.compile(r"服务等级|服务水平|\bSLA\b|service level", re.IGNORECASE)),
    ("trial", re.compile(r"试用|体验版|公测|\btrial\b|evaluation|\bbeta\b", re.IGNORECASE)),
    ("commercial", re.compile(r"商业|商用|付费|\bcommercial\b|\bpaid\b|enterprise", re.IGNORECASE)),
    ("general", re.compile(r"通用|用户协议|产品服务协议|general|terms of (?:service|use)|user agreement", re.IGNORECASE)),
)


@dataclass(frozen=True)
class FoundAgreement:
    """One agreement found in a document; ``text`` starts with its title line when it has one."""

    id: str
    title: str
    language: str  # BCP 47: "zh-CN", "en"
    kind: str  # sla, trial, commercial, general
    text: str
    line: int  # 1-based line of the agreement's start in the text given to split_document

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "language": self.language, "kind": self.kind,
                "line": self.line, "lines": self.text.count("\n")}


@dataclass(frozen=True)
class DroppedPart:
    """A part of the document that is not an agreement (cover, legal notice, ...)."""

    first_line: int  # 1-based, inclusive
    last_line: int
    description: str  # "cover, legal notice, conventions" or "text before the first agreement"
    text: str

    def to_dict(self) -> dict:
        return {"first_line": self.first_line, "last_line": self.last_line, "description": self.description}


@dataclass(frozen=True)
class SplitDocument:
    agreements: list[FoundAgreement]
    dropped: list[DroppedPart]


@dataclass
class _Start:
    line: int  # 0-based index of the start line
    title: str | None  # the title as written, without the compiled document's index number
    index: int | None  # "3" of "3.智能语音…协议"
    has_title_line: bool
    has_preamble: bool = False


def title_of_line(line: str) -> tuple[str, int | None] | None:
    """The (title, index) a document-title line names, or None if the line is not a title.

    ``"3.智能语音交互试用服务协议"`` gives ``("智能语音交互试用服务协议", 3)``; ``"Terms of Service"``
    gives ``("Terms of Service", None)``; a clause heading like ``"12. Entire Agreement"`` gives None.
    """
    text = line.strip()
    heading = _MARKDOWN_H1.match(text)
    if heading:
        text = heading.group("text")
    if not text or len(text) > 100 or text.endswith(_TERMINAL) or _FRONT_MATTER_LINE.match(text):
        return None
    zh = _ZH_TITLE.match(text)
    if zh and re.search(f"[{_CJK}]", zh.group("title")):
        title = zh.group("title").strip()
        if _CLAUSE_HEADINGS.search(title) or len(re.findall(f"[{_CJK}]", title)) < 4:
            return None
        return title, int(zh.group("index")) if zh.group("index") else None
    if re.search(f"[{_CJK}]", text):
        return None
    index = None
    numbered = _EN_INDEX.match(text)
    if numbered:
        index = int(numbered.group("index"))
        text = text[numbered.end():]
    words = text.split()
    if not 1 <= len(words) <= 12 or not _EN_TITLE_WORDS.search(text) or _CLAUSE_HEADINGS.search(text):
        return None
    small = {"of", "and", "or", "the", "for", "to", "in", "on", "a", "an", "&", "-", "–"}
    capitalised = [w for w in words if w.lower() not in small]
    if not capitalised or not all(w[0].isupper() or w[0].isdigit() or w[0] in "(\"“" for w in capitalised):
        return None
    return text, index


def is_title_line(line: str) -> bool:
    """True when ``line`` on its own looks like a document title (see :func:`title_of_line`)."""
    return title_of_line(line) is not None


def guess_language(text: str) -> str:
    """"zh-CN" when Chinese characters outnumber a third of the Latin letters, else "en"."""
    cjk = len(re.findall(f"[{_CJK}]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh-CN" if cjk and cjk * 3 >= latin else "en"


def guess_kind(title: str, text: str) -> str:
    """trial, commercial, sla or general, from the title first, then from the opening of the text."""
    for source in (title, text[:400]):
        for kind, pattern in _KIND_PATTERNS:
            if pattern.search(source):
                return kind
    return "general"


def slug_for(title: str, kind: str, number: int, prefix: str | None = None) -> str:
    """An ASCII id: a slug of an ASCII title, else ``<prefix or 'agreement'>-<number>-<kind>``."""
    if re.fullmatch(r"[\x20-\x7e]+", title) and re.search(r"[A-Za-z]", title):
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:56].strip("-")
        return f"{prefix}-{slug}" if prefix else slug
    return f"{prefix or 'agreement'}-{number}-{kind}"


def split_agreements(text: str, *, id_prefix: str | None = None) -> list[FoundAgreement]:
    """The agreements in ``text`` (cleaned text, see pdfclean), in order; [] if it holds none."""
    return split_document(text, id_prefix=id_prefix).agreements


def split_document(text: str, *, id_prefix: str | None = None) -> SplitDocument:
    """The agreements in ``text`` and the parts dropped as front matter."""
    lines = text.split("\n")
    starts = _find_starts(lines)
    if not starts:
        return _whole_text_or_nothing(lines, id_prefix)
    bounds = [s.line for s in starts] + [len(lines)]
    dropped: list[DroppedPart] = []
    if _has_content(lines[: starts[0].line]):
        dropped.append(_dropped(lines, 0, starts[0].line))
    pieces: list[tuple[_Start, list[str]]] = []
    for start, end in zip(starts, bounds[1:]):
        segment = lines[start.line:end]
        if _front_matter_kinds(segment):
            dropped.append(_dropped(lines, start.line, end))
        else:
            pieces.append((start, segment))
    dropped = _merge_adjacent(dropped, lines)
    found: list[FoundAgreement] = []
    used: set[str] = set()
    for position, (start, segment) in enumerate(pieces, 1):
        found.append(_agreement(start, segment, position, id_prefix, used))
    return SplitDocument(found, dropped)


def _find_starts(lines: list[str]) -> list[_Start]:
    starts: list[_Start] = []
    for i, line in enumerate(lines):
        if not line.strip() or not _standalone(lines, i):
            continue
        named = title_of_line(line)
        if named:
            starts.append(_Start(i, named[0], named[1], has_title_line=True))
    for block_start, block_text in _blocks(lines):
        match = _ZH_PREAMBLE.search(block_text) or _EN_PREAMBLE.search(block_text)
        if not match:
            continue
        current = [s for s in starts if s.line <= block_start]
        if current and not current[-1].has_preamble:
            current[-1].has_preamble = True
            continue
        name = match.groupdict().get("name")
        starts.append(_Start(block_start, name, None, has_title_line=False, has_preamble=True))
        starts.sort(key=lambda s: s.line)
    return starts


def _standalone(lines: list[str], i: int) -> bool:
    """A title line stands apart: a blank line (or the document's edge, or a heading mark) on each side."""
    if lines[i].lstrip().startswith("#"):
        return True
    before = i == 0 or not lines[i - 1].strip()
    after = i + 1 >= len(lines) or not lines[i + 1].strip()
    return before and after


def _blocks(lines: list[str]) -> list[tuple[int, str]]:
    """Paragraphs as (first line index, text joined without line breaks)."""
    blocks: list[tuple[int, str]] = []
    first = None
    for i, line in enumerate(lines + [""]):
        if line.strip() and first is None:
            first = i
        elif not line.strip() and first is not None:
            blocks.append((first, "".join(part.strip() for part in lines[first:i])))
            first = None
    return blocks


def _has_content(lines: list[str]) -> bool:
    return any(line.strip() for line in lines)


def _front_matter_kinds(segment: list[str]) -> list[str]:
    kinds = []
    for name, pattern in _FRONT_MATTER_NAMES:
        if any(pattern.match(line.strip()) for line in segment) and name not in kinds:
            kinds.append(name)
    return kinds


def _dropped(lines: list[str], first: int, end: int) -> DroppedPart:
    while end > first and not lines[end - 1].strip():
        end -= 1
    while first < end and not lines[first].strip():
        first += 1
    segment = lines[first:end]
    kinds = _front_matter_kinds(segment)
    description = ", ".join(kinds) if kinds else _BEFORE
    return DroppedPart(first + 1, end, description, "\n".join(segment) + "\n")


def _merge_adjacent(parts: list[DroppedPart], lines: list[str]) -> list[DroppedPart]:
    """Dropped parts with only blank lines between them become one part."""
    merged: list[DroppedPart] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if previous and not _has_content(lines[previous.last_line: part.first_line - 1]):
            kinds = [k for k in previous.description.split(", ") + part.description.split(", ") if k != _BEFORE]
            merged[-1] = DroppedPart(previous.first_line, part.last_line,
                                     ", ".join(dict.fromkeys(kinds)) or _BEFORE,
                                     "\n".join(lines[previous.first_line - 1: part.last_line]) + "\n")
        else:
            merged.append(part)
    return merged


def _agreement(start: _Start, segment: list[str], position: int, id_prefix: str | None,
               used: set[str]) -> FoundAgreement:
    body_lines = segment[1:] if start.has_title_line else segment
    body = "\n".join(body_lines).strip("\n")
    title = start.title or _first_line(body) or f"Agreement {position}"
    text = f"{title}\n\n{body}\n" if start.has_title_line else f"{body}\n"
    if start.has_title_line and segment[0].lstrip().startswith("#"):
        text = f"# {title}\n\n{body}\n"
    kind = guess_kind(title, body)
    agreement_id = slug_for(title, kind, start.index or position, id_prefix)
    unique, n = agreement_id, 2
    while unique in used:
        unique, n = f"{agreement_id}-{n}", n + 1
    used.add(unique)
    return FoundAgreement(unique, title, guess_language(text), kind, text, start.line + 1)


def _first_line(text: str) -> str | None:
    for line in text.split("\n"):
        stripped = line.strip().lstrip("#").strip()
        if stripped:
            return stripped if len(stripped) <= 80 else None
    return None


def _whole_text_or_nothing(lines: list[str], id_prefix: str | None) -> SplitDocument:
    """No title or preamble found: the whole text is one agreement if it reads like one, else none."""
    labelled = sum(1 for line in lines if _CLAUSE_LABEL.match(line))
    text = "\n".join(lines).strip("\n")
    if labelled < 3 or len(_LEGAL_WORDS.findall(text)) < 2:
        return SplitDocument([], [])
    start = _Start(next(i for i, line in enumerate(lines) if line.strip()), None, None, has_title_line=False)
    return SplitDocument([_agreement(start, lines[start.line:], 1, id_prefix, set())], [])
