"""Words every renderer uses to describe a diff: the documents, the summary, a change's flags."""

from __future__ import annotations

from .model import AgreementDiff, ClauseChange, DocumentRef

STATUS_MARK = {"added": "+", "removed": "-", "modified": "~", "unchanged": " "}


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
    """The label and heading a reader sees: ``7.2 Assignment`` or ``(preamble)``."""
    parts = [part for part in (change.label, change.heading) if part]
    return " ".join(parts) if parts else "(preamble)"


def change_flags(change: ClauseChange) -> list[str]:
    """``modified``, ``moved from 3.4``, ``renumbered from 7.3``, ``typographic only``, topic tags."""
    flags = [change.status]
    if change.moved:
        flags.append(f"moved from {change.old_label}" if change.old_label else "moved")
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


def visible_changes(diff: AgreementDiff, context: str) -> list[ClauseChange]:
    """Every change for ``context="unchanged"``, only what changed or moved for ``"none"``."""
    if context == "unchanged":
        return list(diff.changes)
    if context == "none":
        return diff.changed()
    raise ValueError(f"context must be 'unchanged' or 'none', not {context!r}")
