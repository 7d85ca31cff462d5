"""The structure found in real published documents (``../shared/corpus/real``): every article of
a Chinese statute, every heading of web-published terms, no clause swallowing the document.

The documents are not ours to copy into fixtures; these tests read them where CI lays them and
skip, saying so, where they are absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clausewise.differ import parse_agreement
from clausewise.differ.model import Clause

ZH_FILES = [f"{n:03d}-{side}.md" for n in range(1, 7) for side in ("old", "new")]
OTA_FILES = [f"{n:03d}-{side}.md" for n in range(1, 17) for side in ("old", "new")]
# 第X条 at the start of a line, plain or bold, with 之一 forms: the articles a reader counts
ARTICLE_LINE = re.compile(r"^[ \t\u3000]*(?:\*\*)?(第[零〇一二三四五六七八九十百千两\d]+条(?:之[一二三四五六七八九十]+)?)"
                          r"(?=[\s*])", re.M)


def read(folder: Path, name: str) -> str:
    return (folder / name).read_bytes().decode("utf-8")


def own_share(root: Clause, text: str) -> float:
    """The largest share of the text one clause (the preamble aside) holds as its own source."""
    return max((len(node.source) for node in root.walk()[1:]), default=0) / max(len(text), 1)


@pytest.mark.parametrize("name", ZH_FILES)
def test_every_article_of_a_real_statute_is_a_clause(real_corpus, name):
    text = read(real_corpus / "zh-laws", name)
    root = parse_agreement(text)
    written = ARTICLE_LINE.findall(text)
    lines = {text.count("\n", 0, m.start()) + 1 for m in ARTICLE_LINE.finditer(text)}
    articles = [node for node in root.walk() if node.label and node.label.startswith("第") and "条" in node.label]
    assert len(written) > 10
    assert [node.label for node in articles] == written
    assert {node.line for node in articles} == lines
    assert "".join(node.source for node in root.walk()) == text
    assert own_share(root, text) < 0.2


# Headings as web pages are extracted to Markdown: a one-line paragraph underlined with = or -
# (setext), an escaped number "4\.", an ATX heading with text (also in a table cell), a bold number
UNDERLINE = re.compile(r"[ \t]*(?:=+|-{2,})[ \t]*")
ESCAPED = re.compile(r"[ \t]*(?:#{1,6}[ \t]+)?(?:\[\]\([^)]*\))?\d+(?:\.\d+)*\\\.")
ATX = re.compile(r"[ \t]*(?:\|[ \t]*)?#{1,6}[ \t]+[^\s#|]")
BOLD_NUMBER = re.compile(r"\*\*\d+(?:\\?\.\d+)*\\?\.?(?:\*\*|\s)")
# ...but not a date in a change log (014: "**25\. März 2019**")
DATE = re.compile(r"\*\*\d{1,2}\\?\. (?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November"
                  r"|Dezember) \d{4}")


def web_headings(lines: list[str]) -> dict[int, str]:
    """1-based line numbers of the headings a reader sees, by kind."""
    found: dict[int, str] = {}
    for index, line in enumerate(lines):
        if index + 1 < len(lines) and UNDERLINE.fullmatch(lines[index + 1]) and line.strip() \
                and (index == 0 or not lines[index - 1].strip()):
            found[index + 1] = "setext"
        for kind, pattern in (("escaped", ESCAPED), ("atx", ATX), ("bold number", BOLD_NUMBER)):
            if pattern.match(line) and not DATE.match(line):
                found[index + 1] = kind
    return found


@pytest.mark.parametrize("name", OTA_FILES)
def test_every_heading_of_real_web_terms_is_a_clause(real_corpus, name):
    text = read(real_corpus / "ota", name)
    lines = re.split(r"\r\n|\r|\n", text)
    root = parse_agreement(text)
    starts = {node.line for node in root.walk()[1:]}
    title = next(index for index, line in enumerate(lines) if line.strip()) + 1
    missing = {line: kind for line, kind in web_headings(lines).items() if line not in starts and line != title}
    assert missing == {}
    assert "".join(node.source for node in root.walk()) == text
    assert len(starts) >= 15
    # the largest is 015's unnumbered country schedule after its last list, about a third
    assert own_share(root, text) < 0.4
    for node in root.walk()[1:]:
        assert not node.label or not any(mark in node.label for mark in ("#", "**", "\\", "|", "["))


@pytest.mark.parametrize("folder, name", [("zh-laws", "006-new.md"), ("ota", "001-old.md"), ("ota", "007-new.md"),
                                          ("ota", "016-old.md")])
def test_real_texts_parse_alike_with_any_line_endings(real_corpus, folder, name):
    text = read(real_corpus / folder, name).replace("\r\n", "\n")
    lines = text.split("\n")
    mixed = "".join(line + ("\r", "\r\n", "\n")[index % 3] for index, line in enumerate(lines[:-1])) + lines[-1]
    expected = [(n.label, n.heading, n.text, n.line, n.kind) for n in parse_agreement(text).walk()]
    for variant in (text.replace("\n", "\r"), text.replace("\n", "\r\n"), mixed):
        root = parse_agreement(variant)
        assert "".join(node.source for node in root.walk()) == variant
        assert [(n.label, n.heading, n.text, n.line, n.kind) for n in root.walk()] == expected
