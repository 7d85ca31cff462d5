"""Topic tags: which clauses deal with assignment, notice, fees, liability, termination, data,
governing law or the parties, from keyword patterns in Chinese and English.

Extend ``TOPIC_PATTERNS`` to add a topic or a language; a clause carries a tag when its heading,
its text or the heading of a section above it matches.
"""

from __future__ import annotations

import re

from .model import Clause

TOPIC_PATTERNS: dict[str, str] = {
    "assignment": r"\bassign(?:s|ed|ment|ee|or)?\b|\bnovat\w*|\btransfer(?:s|red)? (?:of )?(?:this|its|all|any|the) (?:agreement|rights|obligations)"
                  r"|\bsuccessors?\b|转让|让与|承继|权利义务(?:转移|转由)",
    "notice": r"\bnotice\b|\bnotif(?:y|ies|ied|ication)\b|\binform(?:s|ed)?\b|通知|告知|通告|公告",
    "fees": r"\bfees?\b|\bprices?\b|\bpricing\b|\bpayments?\b|\bpay(?:s|able)?\b|\binvoices?\b|\bcharges?\b"
            r"|\brefunds?\b|费用|价格|收费|付款|支付|发票|计费|退款|资费",
    "liability": r"\bliab(?:le|ility|ilities)\b|\bindemnif\w*|\bdamages\b|\bwarrant(?:y|ies)\b|\bdisclaim\w*"
                 r"|责任|赔偿|免责|损失|违约|保证",
    "termination": r"\bterminat\w*|\bsuspen(?:d|sion)\w*|\bexpir\w*|\bcancel\w*|终止|解除|暂停|到期|期限|生效",
    "data": r"\bdata\b|\bpersonal information\b|\bprivacy\b|\bGDPR\b|\bconfidential\w*|数据|个人信息|隐私|保密",
    "governing-law": r"\bgoverning law\b|\bgoverned by\b|\blaws of\b|\bjurisdiction\b|\bcourts?\b|\barbitrat\w*"
                     r"|\bdisputes?\b|适用\S{0,4}法律|法律管辖|法院|仲裁|争议|诉讼",
    "parties": r"\bby and between\b|\bentered into\b|\bis made between\b|\b(?:Ltd|Limited|Inc|LLC|GmbH|Corp|Co)\b\.?"
               r"|签署|签订|甲方|乙方|有限公司|有限责任公司|股份公司",
}
TOPICS: tuple[str, ...] = tuple(TOPIC_PATTERNS)
_COMPILED = {tag: re.compile(pattern, re.IGNORECASE) for tag, pattern in TOPIC_PATTERNS.items()}


def topic_tags(text: str) -> list[str]:
    """The topics ``text`` deals with, in the order of ``TOPICS``."""
    return [tag for tag, pattern in _COMPILED.items() if pattern.search(text)]


def clause_topic_text(node: Clause, ancestors: list[Clause]) -> str:
    """What a clause's tags are read from: the headings above it, its own heading and text."""
    headings = [a.heading for a in ancestors if a.heading]
    return "\n".join(headings + [node.heading or "", node.text])


def find_clauses(text: str, tag: str) -> list[Clause]:
    """The clauses of the agreement ``text`` that carry ``tag`` (e.g. all assignment clauses)."""
    from ..errors import UsageProblem
    from .parse import parse_agreement

    if tag not in _COMPILED:
        raise UsageProblem(f"unknown topic '{tag}'; known topics: {', '.join(TOPICS)}")
    found: list[Clause] = []

    def visit(node: Clause, ancestors: list[Clause]) -> None:
        if node.label is not None or node.heading is not None:
            if _COMPILED[tag].search(clause_topic_text(node, ancestors)):
                found.append(node)
        for child in node.children:
            visit(child, ancestors + [node])

    visit(parse_agreement(text), [])
    return found
