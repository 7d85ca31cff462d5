"""The diff as GitHub-flavoured Markdown: a summary table, then one section per clause with
deletions as ``~~struck~~`` and insertions as ``**bold**``. A moved clause shows at both places: in
full at the new one, as ``### < 2.3 ...`` with "moved to 4.2" at the old one. Agreement text is
escaped, so it can never inject Markdown or HTML, and its control characters show as symbols."""

from __future__ import annotations

import re

from .describe import (
    LEFT_BEHIND_MARK,
    STATUS_MARK,
    change_flags,
    change_title,
    document_line,
    left_behind_flags,
    left_behind_title,
    show_controls,
    visible_changes,
)
from .model import AgreementDiff

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!&])")
_LINE_START = re.compile(r"(?m)^(\s*)([-+=]|\d+(?=[.)]))")


def escape_markdown(text: str, *, line_starts: bool = True) -> str:
    """``text`` with every character Markdown or HTML would interpret escaped and control
    characters shown as symbols; ``line_starts`` also escapes list and quote markers at the start
    of a line."""
    text = _SPECIAL.sub(r"\\\1", show_controls(text))
    if not line_starts:
        return text
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def render_markdown(diff: AgreementDiff, *, context: str = "unchanged") -> str:
    counts = diff.summary()
    keys = ("added", "removed", "modified", "moved", "renumbered", "unchanged")
    lines = [
        "# Changes",
        "",
        f"- Old: {escape_markdown(document_line(diff.old))}",
        f"- New: {escape_markdown(document_line(diff.new))}",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
        "| " + " | ".join(str(counts[key]) for key in keys) + " |",
        "",
    ]
    for change, left_behind in visible_changes(diff, context):
        if left_behind:
            title = escape_markdown(left_behind_title(change), line_starts=False)
            lines.append(f"### {escape_markdown(LEFT_BEHIND_MARK, line_starts=False)} {title}")
            lines.append("")
            lines.append("*" + escape_markdown("; ".join(left_behind_flags(change))) + "*")
            lines.append("")
            continue
        mark = STATUS_MARK[change.status].strip() or "="
        title = escape_markdown(change_title(change), line_starts=False)
        lines.append(f"### {escape_markdown(mark, line_starts=False)} {title}")
        lines.append("")
        lines.append("*" + escape_markdown("; ".join(change_flags(change))) + "*")
        lines.append("")
        body = "".join(_mark(op, text) for op, text in change.ops)
        if body:
            lines.append(body)
            lines.append("")
    return "\n".join(lines)


def _mark(op: str, text: str) -> str:
    if op == "=":
        return escape_markdown(text)
    fence = "~~" if op == "-" else "**"
    marked = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            marked.append(line)
            continue
        start = line.index(core)
        marked.append(f"{line[:start]}{fence}{escape_markdown(core)}{fence}{line[start + len(core):]}")
    return "\n".join(marked)
