"""Words every renderer uses to describe a diff: the documents, the summary, a change's flags."""

from __future__ import annotations

import re
from bisect import bisect_left

from .model import AgreementDiff, Clause, ClauseChange, DocumentRef

STATUS_MARK = {"added": "+", "removed": "-", "modified": "~", "unchanged": " "}
LEFT_BEHIND_MARK = "<"  # the old place of a moved clause

# C0 controls but tab and newline, DEL and C1 controls: a terminal would act on them (ESC[2J
# clears the screen, OSC sets the window title), so text and Markdown show them as symbols.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def show_controls(text: str) -> str:
    """``text`` with each control character replaced by a visible stand-in: C0 by its Control
    Pictures symbol (ESC -> ␛, CR -> ␍), DEL by ␡, C1 by ``<U+009B>``; tab and newline stay."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_control_picture, text)


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else f"<U+{code:04X}>"


def document_line(ref: DocumentRef) -> str:
    """``trial@v2 "Cloud Speech Trial Agreement" (version 2, effective 2026-07-01)``."""
    details = [f"version {ref.version}"] if ref.version is not None else []
    if ref.effective:
        details.append(f"effective {ref.effective}")
    title = f' "{ref.title}"' if ref.title else ""
    return f"{ref.ref}{title}" + (f" ({', '.join(details)})" if details else "")


def summary_line(diff: AgreementDiff) -> str:
    """``2 added, 1 removed, 3 modified, 1 moved, 4 renumbered, 40 unchanged``."""
    counts = diff.summary()
    order = ("added", "removed", "modified", "moved", "renumbered", "unchanged")
    return ", ".join(f"{counts[key]} {key}" for key in order)


def change_title(change: ClauseChange) -> str:
    """The label and heading a reader sees: ``7.2 Assignment``, ``¶ in Data we collect`` for a
    paragraph under an unnumbered heading, or ``(preamble)``."""
    return clause_title(change.new if change.new is not None else change.old)


def clause_title(clause: Clause | None) -> str:
    """``7.2 Assignment``; a paragraph without label: ``¶ in`` its parent; else ``(preamble)``."""
    if clause is None:
        return "(preamble)"
    parts = [part for part in (clause.label, clause.heading) if part]
    if parts:
        return " ".join(parts)
    if clause.kind == "paragraph":
        return f"¶ in {clause.path[-2]}" if len(clause.path) > 1 else "¶"
    return "(preamble)"


def change_flags(change: ClauseChange) -> list[str]:
    """``modified``, ``moved from 3.4``, ``renumbered from 7.3``, ``typographic only``, topic tags."""
    flags = [change.status]
    if change.moved:
        if change.old_label:
            flags.append(f"moved from {change.old_label}")
        elif change.old is not None and change.old.kind == "paragraph" and len(change.old.path) > 1:
            flags.append(f"moved from {change.old.path[-2]}")
        else:
            flags.append("moved")
    if change.renumbered:
        flags.append(f"renumbered from {change.old_label}")
    if change.status == "modified" and change.old and change.new and change.old.heading != change.new.heading:
        flags.append(f"heading was: {change.old.heading or '(none)'}")
    if change.status == "modified" and not change.substantive:
        flags.append("typographic only")
    if change.note:
        flags.append(change.note)
    if change.tags:
        flags.append("topics: " + ", ".join(change.tags))
    return flags


def left_behind_flags(change: ClauseChange) -> list[str]:
    """What the old place of a moved clause says: ``moved to 4.2``."""
    new = change.new
    if change.new_label:
        return [f"moved to {change.new_label}"]
    if new is not None and new.kind == "paragraph" and len(new.path) > 1:
        return [f"moved to {new.path[-2]}"]
    return ["moved"]


def left_behind_title(change: ClauseChange) -> str:
    """The old label and heading of a moved clause: ``2.3 Support``."""
    return clause_title(change.old)


def places(diff: AgreementDiff) -> list[tuple[ClauseChange, bool]]:
    """Every change in reading order as ``(change, False)``, and ``(change, True)`` where a moved
    clause stood in the old text: after the unmoved clause that preceded it there."""
    stay = sorted((change.old.line, index) for index, change in enumerate(diff.changes, 1)
                  if change.old is not None and not change.moved)
    left_after: dict[int, list[ClauseChange]] = {}
    for change in diff.changes:
        if change.moved and change.old is not None:
            left_after.setdefault(_slot(change.old, stay), []).append(change)
    ordered = [(change, True) for change in left_after.get(0, [])]
    for index, change in enumerate(diff.changes, 1):
        ordered.append((change, False))
        ordered.extend((moved, True) for moved in left_after.get(index, []))
    return ordered


def _slot(old: Clause, stay: list[tuple[int, int]]) -> int:
    """The reading-order index after which ``old``'s place lies (0: before every clause)."""
    at = bisect_left(stay, (old.line, -1))
    return stay[at - 1][1] if at else 0


def visible_changes(diff: AgreementDiff, context: str) -> list[tuple[ClauseChange, bool]]:
    """``places(diff)``: all of them for ``context="unchanged"``, only what changed or moved (and
    the old places of moves) for ``"none"``."""
    if context not in ("unchanged", "none"):
        raise ValueError(f"context must be 'unchanged' or 'none', not {context!r}")
    every = places(diff)
    if context == "unchanged":
        return every
    return [(change, left) for change, left in every if left or change.status != "unchanged" or change.moved]
