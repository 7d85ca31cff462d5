"""The diff as a terminal redline: summary first, then each clause with ``[-deleted-]{+inserted+}``
marks (as git's word diff), coloured as well when asked (red struck out, green underlined). A moved
clause shows at both places: in full at the new one, as ``< 2.3 ...  [moved to 4.2]`` at the old one.
Control characters in the texts are shown as symbols, never sent to the terminal."""

from __future__ import annotations

from .describe import (
    LEFT_BEHIND_MARK,
    STATUS_MARK,
    change_flags,
    change_title,
    document_line,
    left_behind_flags,
    left_behind_title,
    show_controls,
    summary_line,
    visible_changes,
)
from .model import AgreementDiff, ClauseChange

INDENT = "    "
# ANSI SGR codes, written here rather than through click so that a text diff never loads click.
_SGR = {"red": "31", "green": "32", "yellow": "33", "magenta": "35", "bold": "1", "underline": "4",
        "strikethrough": "9"}


def _style(text: str, *styles: str | None) -> str:
    codes = ";".join(_SGR[style] for style in styles if style)
    return f"\x1b[{codes}m{text}\x1b[0m" if codes else text


def render_text(diff: AgreementDiff, *, color: bool = False, context: str = "unchanged") -> str:
    """Plain text (``color=False``) or ANSI-coloured text; ``context="none"`` leaves out clauses
    that did not change."""
    lines = [f"--- {show_controls(document_line(diff.old))}", f"+++ {show_controls(document_line(diff.new))}",
             f"Summary: {summary_line(diff)}", ""]
    for change, left_behind in visible_changes(diff, context):
        if left_behind:
            lines.append(_left_behind_header(change, color))
            lines.append("")
            continue
        lines.append(_header(change, color))
        body = _body(change, color)
        if body:
            lines.extend(INDENT + line if line else "" for line in body.split("\n"))
        lines.append("")
    return "\n".join(lines)


def _header(change: ClauseChange, color: bool) -> str:
    header = show_controls(f"{STATUS_MARK[change.status]} {change_title(change)}  [{'; '.join(change_flags(change))}]")
    if not color:
        return header
    colour = {"added": "green", "removed": "red", "modified": "yellow"}.get(change.status)
    return _style(header, colour, "bold" if change.status != "unchanged" else None)


def _left_behind_header(change: ClauseChange, color: bool) -> str:
    header = show_controls(f"{LEFT_BEHIND_MARK} {left_behind_title(change)}  [{'; '.join(left_behind_flags(change))}]")
    return _style(header, "magenta") if color else header


def _body(change: ClauseChange, color: bool) -> str:
    pieces = []
    for op, text in change.ops:
        text = show_controls(text)
        if op == "=":
            pieces.append(text)
        elif op == "-":
            pieces.append(_style(f"[-{text}-]", "red", "strikethrough") if color else f"[-{text}-]")
        else:
            pieces.append(_style(f"{{+{text}+}}", "green", "underline") if color else f"{{+{text}+}}")
    return "".join(pieces)
