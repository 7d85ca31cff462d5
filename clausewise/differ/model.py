"""The differ's data model: clauses of one text, and the changes between two texts.

``AgreementDiff.to_dict()`` is the stable JSON schema ``clausewise.diff/1`` (documented in
README.md). Every renderer (text, JSON, Markdown, HTML) and the notifier read these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SCHEMA = "clausewise.diff/1"

Status = Literal["added", "removed", "modified", "unchanged"]
OpKind = Literal["=", "-", "+"]
STATUSES: tuple[Status, ...] = ("added", "removed", "modified", "unchanged")


@dataclass
class Clause:
    """One node of a parsed agreement.

    ``source`` is the exact slice of the original text that this node owns (its label line and
    own text, not its children's), so joining the ``source`` of every node in reading order gives
    back the original text.
    """

    label: str | None  # as a reader writes it: "第三条", "（二）", "7.3", "A.", "9." (never "## 9."
    # or "**2.12": Markdown marks stay in ``source``); None for the title/preamble and paragraphs
    path: tuple[str, ...]  # labels from the root down to and including this clause
    heading: str | None  # "定义", "General"; None when the clause has no heading
    text: str  # own text, without label and heading
    source: str  # exact source slice owned by this node
    line: int  # 1-based line where the node starts
    level: int  # 0 for the root/preamble, 1 for top sections, ...
    kind: str = "clause"  # "preamble", "section", "clause", "item", "heading", "list-item", "paragraph"
    children: list["Clause"] = field(default_factory=list)

    def walk(self) -> "list[Clause]":
        """This node and all its descendants, in reading order (iterative: any depth)."""
        nodes: list[Clause] = []
        pending = [self]
        while pending:
            node = pending.pop()
            nodes.append(node)
            pending.extend(reversed(node.children))
        return nodes


@dataclass
class ClauseChange:
    """How one clause fared between the old and the new text."""

    status: Status
    old: Clause | None
    new: Clause | None
    renumbered: bool = False  # the label changed (e.g. 7.3 -> 7.2) but the clause is the same
    moved: bool = False  # matched, but out of order relative to the other matches
    similarity: float = 1.0  # 0.0-1.0 between the normalised old and new text
    ops: list[tuple[OpKind, str]] = field(default_factory=list)  # inline diff of old_text -> new_text
    tags: list[str] = field(default_factory=list)  # topics: assignment, notice, fees, liability, ...
    substantive: bool = True  # False when the change is only typographic (width, spacing, numbering)
    note: str | None = None  # "split from 3.2", "merged into 3.2", "inserted U+202E RIGHT-TO-LEFT OVERRIDE"
    heading_ops: list[tuple[OpKind, str]] | None = None  # inline diff of the heading, when it changed

    @property
    def old_label(self) -> str | None:
        return self.old.label if self.old else None

    @property
    def new_label(self) -> str | None:
        return self.new.label if self.new else None

    @property
    def label(self) -> str | None:
        """The label a reader should see: the new one, or the old one for a removed clause."""
        return self.new_label if self.new is not None else self.old_label

    @property
    def heading(self) -> str | None:
        node = self.new if self.new is not None else self.old
        return node.heading if node else None

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "old_label": self.old_label,
            "new_label": self.new_label,
            "old_path": list(self.old.path) if self.old else None,
            "new_path": list(self.new.path) if self.new else None,
            "heading": self.heading,
            "renumbered": self.renumbered,
            "moved": self.moved,
            "similarity": round(self.similarity, 4),
            "old_text": self.old.text if self.old else "",
            "new_text": self.new.text if self.new else "",
            "ops": [[op, text] for op, text in self.ops],
            "tags": list(self.tags),
            "substantive": self.substantive,
            "old_heading": self.old.heading if self.old else None,
            "new_heading": self.new.heading if self.new else None,
            "kind": (self.new or self.old).kind if (self.new or self.old) else None,
            "note": self.note,
            "heading_ops": None if self.heading_ops is None else [[op, text] for op, text in self.heading_ops],
        }


@dataclass
class DocumentRef:
    """Which text a side of the diff is: ``ref`` as the user gave it (``trial@v2``, a path)."""

    ref: str
    title: str | None = None
    version: int | None = None
    effective: str | None = None  # ISO date of a published version


@dataclass
class AgreementDiff:
    old: DocumentRef
    new: DocumentRef
    changes: list[ClauseChange]  # reading order of the new text, removed clauses at their old place

    def summary(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        counts["moved"] = 0
        counts["renumbered"] = 0
        for change in self.changes:
            counts[change.status] += 1
            counts["moved"] += change.moved
            counts["renumbered"] += change.renumbered
        return counts

    def changed(self) -> list[ClauseChange]:
        """Every change a reader must see: not unchanged, or moved."""
        return [c for c in self.changes if c.status != "unchanged" or c.moved]

    def to_dict(self) -> dict:
        data = self.head_dict()
        data["changes"] = [change.to_dict() for change in self.changes]
        return data

    def head_dict(self) -> dict:
        """``to_dict()`` without ``changes``."""
        return {
            "schema": SCHEMA,
            "old": {"ref": self.old.ref, "title": self.old.title, "version": self.old.version,
                    "effective": self.old.effective},
            "new": {"ref": self.new.ref, "title": self.new.title, "version": self.new.version,
                    "effective": self.new.effective},
            "summary": self.summary(),
        }
