"""Put the differ together: parse both texts, align their clauses, describe every clause's fate.

The result lists every clause of either text once, in the reading order of the new text, with
each removed clause placed right after the old clause before it (at its old place).
A pair of clauses is ``unchanged`` when their layout keys are equal (label, layout, width and
zero-width characters aside), else ``modified``, with inline ops from diff-match-patch. A split
clause (one old clause become two new ones) is reported as the first part ``modified`` and the
second ``added`` with the note ``split from <label>``; a merge mirrors it (``merged into``).
"""

from __future__ import annotations

import re

from .align import Side, align_clauses, clause_key, label_key, layout_key, text_features
from .hidden import hidden_edits
from .describe import clause_title
from .inline import inline_ops, similarity_of
from .model import AgreementDiff, Clause, ClauseChange, DocumentRef, OpKind
from .normalize import LazyPattern, comparison_key, typographic_key
from .parse import parse_agreements
from .topics import topic_tags

SPLIT_CONTAINMENT = 0.7
_LAYOUT_MARKS = frozenset("\\-=*_#>")
# Cross-references that may be renumbered: 7.3, 第三条, (b)/（二）, Section 4, Article 12
# Each alternative starts with a character (the lookbehinds follow the first digit), so that re
# skips ahead to the positions where one can start.
_REFERENCE = LazyPattern(r"\d(?<=[Ss]ection \d)\d*|\d(?<=[Cc]lause \d)\d*|\d(?<=[Aa]rticle \d)\d*|\d+(?:\.\d+)+"
                        r"|第[零〇一二三四五六七八九十百千两\d]+条|[（(][a-zA-Z一二三四五六七八九十\d]{1,4}[）)]")
# What every match of _REFERENCE contains: a text without any is left as it is, uncompiled
_REFERENCE_CHAR = re.compile(r"[\d第（(]")


def diff_texts(old_text: str, new_text: str, old: DocumentRef, new: DocumentRef) -> AgreementDiff:
    """The clause-by-clause diff of two versions of an agreement."""
    old_root, new_root = parse_agreements(old_text, new_text)
    if old_text != new_text and _may_differ_in_layout_only(old_text, new_text) \
            and layout_key(comparison_key(old_text)) == layout_key(comparison_key(new_text)):
        # Only the layout differs (a reflowed text): where a wrapped line happens to start with
        # "(i)" must not make clauses of their own. One set of clause boundaries serves both.
        old_root = new_root
    old_side, new_side = _side(old_root), _side(new_root)
    alignment = align_clauses(old_side, new_side)
    pairs, moved = alignment.pairs, alignment.moved
    renumbering = {old_side.labels[o]: new_side.labels[n] for n, o in pairs.items()
                   if old_side.labels[o] and old_side.labels[o] != new_side.labels[n]}
    old_topics = _topic_texts(old_side)
    new_topics = _topic_texts(new_side)

    entries: list[tuple[tuple[int, int, int], ClauseChange]] = []
    if old_root.text or new_root.text:
        same = layout_key(clause_key(old_root)) == layout_key(clause_key(new_root))
        entries.append(((-1, 0, -1), _pair_change(old_root, new_root, same, False, renumbering,
                                                   old_root.text + "\n" + new_root.text)))
    for n, node in enumerate(new_side.nodes):
        o = pairs.get(n)
        if o is None:
            change = ClauseChange(status="added", old=None, new=node, similarity=0.0,
                                  ops=[("+", node.text)] if node.text else [],
                                  tags=topic_tags(new_topics[n]))
            change.note = _hidden_note([("+", f"{node.heading or ''} {node.text}")])
        else:
            same = old_side.keys[o] == new_side.keys[n]
            topic_text = new_topics[n] if same else old_topics[o] + "\n" + new_topics[n]
            change = _pair_change(old_side.nodes[o], node, same, n in moved, renumbering, topic_text)
        entries.append(((n, 0, -1), change))
    placed = _removed_places(pairs, moved, len(old_side.nodes))
    for o, node in enumerate(old_side.nodes):
        if o in placed:
            change = ClauseChange(status="removed", old=node, new=None, similarity=0.0,
                                  ops=[("-", node.text)] if node.text else [],
                                  tags=topic_tags(old_topics[o]))
            entries.append(((placed[o], 1, o), change))
    entries.sort(key=lambda entry: entry[0])
    changes = [change for _, change in entries]
    _note_splits(changes)
    return AgreementDiff(old=old, new=new, changes=changes)


def _may_differ_in_layout_only(old_text: str, new_text: str) -> bool:
    """A cheap test before comparing whole texts by layout key: where the texts first differ,
    one of them has whitespace, markup (escapes, underlines, emphasis) or a non-ASCII character
    (width, invisible characters); a word edit there rules layout alone out."""
    low, high = 0, min(len(old_text), len(new_text))
    while low < high:  # the length of the common prefix, by slice comparisons (memcmp)
        middle = (low + high + 1) // 2
        if old_text[low:middle] == new_text[low:middle]:
            low = middle
        else:
            high = middle - 1
    around = old_text[max(low - 1, 0):low + 2] + new_text[max(low - 1, 0):low + 2]
    return not around.isascii() or any(char.isspace() or char in _LAYOUT_MARKS for char in around)


def _side(root: Clause) -> Side:
    nodes: list[Clause] = []
    parents: list[int] = []
    pending = [(child, -1) for child in reversed(root.children)]  # iterative: any depth
    while pending:
        node, parent = pending.pop()
        nodes.append(node)
        parents.append(parent)
        index = len(nodes) - 1
        pending.extend((child, index) for child in reversed(node.children))
    return Side(nodes, parents, [_parsed_clause_key(node) for node in nodes])


def _parsed_clause_key(node: Clause) -> str:
    """``clause_key`` of a clause from ``parse_agreement``: its ASCII text without a heading is
    ``display_text`` output (words single-spaced, paragraphs apart by one blank line), whose key
    is that text with each paragraph break as one space."""
    if not node.heading and node.text.isascii():
        return node.text.replace("\n\n", " ")
    return clause_key(node)


def _topic_texts(side: Side) -> list[str]:
    """``clause_topic_text`` of every clause, the headings above each gathered from its parent's
    (parents come before their children)."""
    texts = []
    headings: list[list[str]] = []  # the headings of each clause's ancestors and its own
    for index, node in enumerate(side.nodes):
        parent = side.parents[index]
        above = headings[parent] if parent >= 0 else []
        headings.append(above + [node.heading] if node.heading else above)
        texts.append("\n".join(above + [node.heading or "", node.text]))
    return texts


def _pair_change(old: Clause, new: Clause, same: bool, moved: bool, renumbering: dict[str, str],
                 topic_text: str) -> ClauseChange:
    """The change for a matched pair; ``same`` when their comparison keys are equal."""
    renumbered = label_key(old.label) != label_key(new.label)
    change = ClauseChange(status="unchanged", old=old, new=new, renumbered=renumbered, moved=moved,
                          tags=topic_tags(topic_text))
    if same:
        change.ops = [("=", new.text)] if new.text else []
        change.substantive = moved
        return change
    change.status = "modified"
    change.ops = inline_ops(old.text, new.text) if old.text != new.text else [("=", new.text)]
    change.similarity = similarity_of(change.ops)
    if old.heading != new.heading:
        change.heading_ops = inline_ops(old.heading or "", new.heading or "")
    referenced = f"{old.heading or ''} {old.text}"
    if _REFERENCE_CHAR.search(referenced):
        referenced = _REFERENCE.sub(lambda m: renumbering.get(label_key(m.group(0)), m.group(0)), referenced)
    change.note = _hidden_note(change.ops + (change.heading_ops or []))
    change.substantive = moved or change.note is not None or typographic_key(referenced) != typographic_key(
        f"{new.heading or ''} {new.text}")
    return change


def _hidden_note(ops: list[tuple[OpKind, str]]) -> str | None:
    """What invisible or look-alike characters changed, as a note; None when nothing did."""
    findings = hidden_edits(ops)
    return "; ".join(findings) if findings else None


def _removed_places(pairs: dict[int, int], moved: set[int], old_count: int) -> dict[int, int]:
    """For each removed old clause, the new index it follows: that of the nearest old clause
    before it that stayed in order (-1 for the very start)."""
    stayed = {o: n for n, o in pairs.items() if n not in moved}
    matched = set(pairs.values())
    places: dict[int, int] = {}
    last = -1
    for o in range(old_count):
        if o in stayed:
            last = stayed[o]
        elif o not in matched:
            places[o] = last
    return places


def _note_splits(changes: list[ClauseChange]) -> None:
    """Note an added clause that was cut out of the modified clause just before it (a split), and
    a removed clause folded into the modified clause just before it (a merge)."""
    def contained(part: str, whole: str) -> bool:
        features = text_features(part)
        return bool(features) and len(features & text_features(whole)) >= SPLIT_CONTAINMENT * len(features)

    previous_modified: ClauseChange | None = None
    for change in changes:
        if change.status == "modified":
            previous_modified = change
            continue
        if previous_modified is not None and change.status == "added":
            if contained(change.new.text, previous_modified.old.text):
                _add_note(change, f"split from {clause_title(previous_modified.old)}")
                continue
        if previous_modified is not None and change.status == "removed":
            if contained(change.old.text, previous_modified.new.text):
                _add_note(change, f"merged into {clause_title(previous_modified.new)}")
                continue
        if change.status != "removed":
            previous_modified = None


def _add_note(change: ClauseChange, note: str) -> None:
    change.note = f"{note}; {change.note}" if change.note else note
