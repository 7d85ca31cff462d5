"""Topic tags: which clauses deal with assignment, notice, fees, liability, termination, data,
governing law or the parties, from keywords in Chinese and English.

Extend ``TOPIC_KEYWORDS`` to add a topic or a language; a clause carries a tag when its heading,
its text or the heading of a section above it matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .model import Clause

# word: the whole word; word*: any word starting so; "two words": the phrase; 中文: the characters.
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "assignment": ("assign", "assigns", "assigned", "assignment", "assignee", "novat*", "successor",
                   "successors", "transfer this agreement", "transfer its rights", "转让", "让与", "承继",
                   "权利义务转移"),
    "notice": ("notice*", "notif*", "inform", "informed",
               "通知", "告知", "通告", "公告"),
    "fees": ("fee", "fees", "price", "prices", "pricing", "payment", "payments", "pay", "pays", "payable",
             "invoice*", "charge", "charges", "refund*", "费用", "价格", "收费", "付款", "支付", "发票", "计费",
             "退款", "资费"),
    "liability": ("liable", "liability", "liabilities", "indemnif*", "damages", "warranty", "warranties",
                  "disclaim*", "责任", "赔偿", "免责", "损失", "违约", "保证"),
    "termination": ("terminat*", "suspend*", "suspension", "expir*", "cancel*", "终止", "解除", "暂停", "到期",
                    "期限", "生效"),
    "data": ("data", "personal information", "privacy", "gdpr", "confidential*", "数据", "个人信息", "隐私",
             "保密"),
    "governing-law": ("governing law", "governed by", "laws of", "jurisdiction", "court", "courts",
                      "arbitrat*", "dispute", "disputes", "适用法律", "适用中国法律", "适用中华人民共和国法律", "管辖", "法律管辖", "法院", "仲裁", "争议",
                      "诉讼"),
    "parties": ("by and between", "entered into", "is made between", "ltd", "limited", "inc", "llc", "gmbh",
                "corp", "签署", "签订", "甲方", "乙方", "有限公司", "有限责任公司", "股份公司"),
}
TOPICS: tuple[str, ...] = tuple(TOPIC_KEYWORDS)
Search = Callable[[str], "re.Match[str] | None"]


def _keyword_pattern(keyword: str) -> str:
    """The regular expression of one keyword, matched against lower-case text. Each starts with
    the keyword's own letters, so that ``re`` scans for them as fast as ``str.find``; the word
    boundary is a lookbehind placed after them."""
    if keyword.endswith("*"):
        stem = re.escape(keyword[:-1])
        return rf"{stem}(?<!\w{stem})"
    if " " in keyword or not keyword.isascii():
        return r"\s+".join(map(re.escape, keyword.split(" ")))
    word = re.escape(keyword)
    return rf"{word}(?<![a-z]{word})(?![a-z])"


def _searches(keywords: Iterable[str]) -> tuple[Search, ...]:
    return tuple(re.compile(_keyword_pattern(keyword)).search for keyword in keywords)


def _gate(keyword: str) -> str:
    """A literal every match of ``keyword``'s pattern contains: its first word (a stem's letters),
    or for a phrase starting with a short word its longest one."""
    words = keyword.rstrip("*").split(" ")
    return words[0] if len(words[0]) >= 4 else max(words, key=len)


def _gated_searches(keywords: Iterable[str]) -> tuple[tuple[str, tuple[Search, ...]], ...]:
    """The searches for ASCII keywords, grouped under literals they need: keywords whose literals
    share a prefix of three letters or more (``pay``, ``payment``, ``payable``) share it as gate.
    A plain substring test (``in``) is three times cheaper than a search, and most gates are
    absent from most clauses, so their searches never run."""
    keywords = list(keywords)
    groups: list[tuple[str, list[str]]] = []
    for keyword in sorted(keywords, key=_gate):
        literal = _gate(keyword)
        if groups:
            gate, members = groups[-1]
            common = len(gate)
            while common and not literal.startswith(gate[:common]):
                common -= 1
            if common >= 3:
                groups[-1] = (gate[:common], members + [keyword])
                continue
        groups.append((literal, [keyword]))
    # in the order the keywords are listed (the common ones first): a topic is found sooner
    groups.sort(key=lambda group: min(map(keywords.index, group[1])))
    return tuple((gate, _gate_searches(gate, members)) for gate, members in groups)


def _gate_searches(gate: str, keywords: list[str]) -> tuple[Search, ...]:
    """One search for keywords whose patterns all start with ``gate``: the gate's letters, then
    the rest of each as alternatives (one scan instead of one per keyword; the same matches)."""
    patterns = [_keyword_pattern(keyword) for keyword in keywords]
    if len(patterns) == 1 or not all(pattern.startswith(gate) for pattern in patterns):
        return _searches(keywords)
    alternatives = "|".join(pattern[len(gate):] for pattern in patterns)
    return (re.compile(f"{gate}(?:{alternatives})").search,)


# Per topic: gated searches for the ASCII keywords, and the others (literals in other scripts,
# never found in ASCII text).
_TABLE: dict[str, tuple[tuple[tuple[str, tuple[Search, ...]], ...], tuple[str, ...]]] = {
    tag: (_gated_searches(k for k in keywords if k.isascii()), tuple(k for k in keywords if not k.isascii()))
    for tag, keywords in TOPIC_KEYWORDS.items()
}
assert all(" " not in keyword for _, other in _TABLE.values() for keyword in other)


def topic_tags(text: str) -> list[str]:
    """The topics ``text`` deals with, in the order of ``TOPICS``."""
    lower = text.lower()
    latin_only = lower.isascii()
    tags = []
    for tag, (latin, other) in _TABLE.items():
        found = False
        for gate, searches in latin:
            if gate in lower:
                for search in searches:
                    if search(lower):
                        found = True
                        break
                if found:
                    break
        if not found and not latin_only:
            for keyword in other:
                if keyword in lower:
                    found = True
                    break
        if found:
            tags.append(tag)
    return tags


def clause_topic_text(node: Clause, ancestors: list[Clause]) -> str:
    """What a clause's tags are read from: the headings above it, its own heading and text."""
    headings = [a.heading for a in ancestors if a.heading]
    return "\n".join(headings + [node.heading or "", node.text])


def find_clauses(text: str, tag: str) -> list[Clause]:
    """The clauses of the agreement ``text`` that carry ``tag`` (e.g. all assignment clauses)."""
    from ..errors import UsageProblem
    from .parse import parse_agreement

    if tag not in _TABLE:
        raise UsageProblem(f"unknown topic '{tag}'; known topics: {', '.join(TOPICS)}")
    found: list[Clause] = []

    def visit(node: Clause, ancestors: list[Clause]) -> None:
        if node.label is not None or node.heading is not None:
            if tag in topic_tags(clause_topic_text(node, ancestors)):
                found.append(node)
        for child in node.children:
            visit(child, ancestors + [node])

    visit(parse_agreement(text), [])
    return found
