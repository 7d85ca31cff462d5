"""Match the clauses of two versions by content, not by number.

Passes, each over what the previous ones left unmatched:

1. exact text (comparison key, label excluded) unique on both sides: the anchors;
2. exact text repeated on a side: the structurally nearest occurrence (same label, same parent,
   nearest to where the anchors say it should be), never simply the first; then the clearest
   moves document-wide (pass 4 at similarity >= 0.9), so that an edited clause moved out of
   boilerplate is not taken by a near-twin that happens to stand in its old place;
3. inside each gap between consecutive in-order anchors: the same text but for its numbers (a
   renumbered contents entry or cross-reference), then best similarity first (>= 0.5 with the
   same label, >= 0.3 when one clause stands where one clause was, >= 0.6 otherwise), comparing
   only pairs within a window of 25 clauses;
4. document-wide moves: similarity >= 0.8 with a margin of 0.1 over the runner-up, candidates
   found through an inverted index of rare features (never all pairs);
5. structure: an unmatched section whose matched children mostly come from one unmatched old
   section is that section (a renamed heading); under paired parents, an unmatched child with the
   same heading, or the same own number (``K.3`` under K for ``L.3`` under L) and similarity
   >= 0.3, is a rewrite of it; and what is left in a gap with the same label, the same parent and
   similarity >= 0.3 or the same heading is a rewrite of the same clause.

A matched clause is ``moved`` when it lies outside the heaviest increasing run of matches (each
weighing its subtree's size), or when
its parent section is not the counterpart of its old parent and its depth is the same. Cost is linear in the number of
clauses plus the (small) gaps: unchanged clauses are matched by hash.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .labels import core_label
from .model import Clause
from .normalize import comparison_key, is_cjk

SAME_LABEL_THRESHOLD = 0.5
SAME_LABEL_BONUS = 0.25  # a split keeps its label on the first part
GAP_THRESHOLD = 0.6
MOVE_THRESHOLD = 0.8
MOVE_MARGIN = 0.1
STRONG_MOVE_THRESHOLD = 0.9  # moves this clear are taken before the gaps are searched
MOVE_MIN_FEATURES = 8
REWRITE_THRESHOLD = 0.3
WINDOW = 25
PLACE_PENALTY = 0.003  # per clause of distance inside a gap, at most 10 clauses' worth
_WORD = re.compile(r"\w+")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # Markdown: a backslash before ASCII punctuation
_MARKUP = re.compile(r"\\|---|===|\*\*\*|___")
# An underline or rule: three or more marks standing alone ("--" is a dash, and text)
_UNDERLINE = re.compile(r"(?<!\S)(?:-{3,}|={3,}|\*{3,}|_{3,})(?!\S)")
_LABEL_SEPARATOR = re.compile(r"[.．]")
_DIGITS = re.compile(r"\d+")
_COMMON_FEATURE = 50  # features found in more old clauses than this do not propose candidates


@dataclass
class Side:
    """The clauses of one text in reading order, with what alignment needs to know about them.

    ``texts`` are the clauses' comparison keys (words single-spaced), from which similarity
    features come; ``keys`` are those texts without layout (``layout_key``): two clauses are the
    same text exactly when their keys are equal."""

    nodes: list[Clause]
    parents: list[int]  # index of each node's parent, -1 for the root
    texts: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)  # 1 for a top-level clause
    sizes: list[int] = field(default_factory=list)  # clauses in each clause's subtree, itself included
    _features: dict[int, frozenset] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.nodes):
            self.texts = [clause_key(node) for node in self.nodes]
        self.keys = [layout_key(text) for text in self.texts]
        self.labels = [label_key(node.label) for node in self.nodes]
        self.depths = []
        for parent in self.parents:  # parents come before their children
            self.depths.append(self.depths[parent] + 1 if parent >= 0 else 1)
        self.sizes = [1] * len(self.nodes)
        for index in range(len(self.nodes) - 1, -1, -1):
            if self.parents[index] >= 0:
                self.sizes[self.parents[index]] += self.sizes[index]

    def shape(self, index: int) -> str:
        """The key with every number as 0: equal shapes differ only in their numbers."""
        return _DIGITS.sub("0", self.keys[index])

    def features(self, index: int) -> frozenset:
        cached = self._features.get(index)
        if cached is None:
            cached = self._features[index] = text_features(self.texts[index])
        return cached

    def parent_label(self, index: int) -> str:
        parent = self.parents[index]
        return self.labels[parent] if parent >= 0 else ""


@dataclass
class Alignment:
    pairs: dict[int, int]  # new index -> old index
    moved: set[int]  # new indices of matched clauses that moved


def clause_key(node: Clause) -> str:
    """What must be equal for a clause to be unchanged: heading and text, label excluded."""
    return comparison_key(f"{node.heading} {node.text}" if node.heading else node.text)


def label_key(label: str | None) -> str:
    """What two labels must share to be the same number: ``core_label`` in NFKC, so that the
    full-width ``（一）`` and the half-width ``(一)`` are one label."""
    core = core_label(label)
    return core if core.isascii() else unicodedata.normalize("NFKC", core)


def layout_key(key: str) -> str:
    """A comparison key without layout, which is never a change: no whitespace at all (line and
    paragraph breaks, spaces inside a link, words glued or split where a line used to break), no
    setext underlines or rules (``----``, ``====``, whatever their length) and no Markdown
    backslash escapes (``1\\.`` reads ``1.``)."""
    if _MARKUP.search(key):
        key = _UNDERLINE.sub("", _ESCAPE.sub(r"\1", key))
    return key.replace(" ", "")  # comparison keys are single-spaced


def text_features(key: str) -> frozenset:
    """Character bigrams for CJK text, words and word pairs otherwise."""
    if is_cjk(key):
        compact = key.replace(" ", "")
        return frozenset(map(str.__add__, compact, compact[1:])) if len(compact) > 1 else frozenset((compact,))
    words = _WORD.findall(key.lower())
    return frozenset(words) | frozenset(zip(words, words[1:]))


def similarity(a: frozenset, b: frozenset) -> float:
    """Dice coefficient of two feature sets."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def align_clauses(old: Side, new: Side) -> Alignment:
    """Pair the clauses of ``old`` and ``new``; see the module docstring for the passes."""
    pairs: dict[int, int] = {}
    _exact_pass(old, new, pairs)
    _move_pass(old, new, pairs, STRONG_MOVE_THRESHOLD)  # before a gap offers a near-twin in its place
    gaps = _gaps(pairs, len(old.nodes), len(new.nodes))
    used_old = set(pairs.values())  # kept up to date by _take_best, for every gap
    for old_gap, new_gap in gaps:
        _similar_pass(old, new, pairs, old_gap, new_gap, used_old)
    _move_pass(old, new, pairs)
    _structure_pass(old, new, pairs)
    _children_pass(old, new, pairs)
    used_old = set(pairs.values())
    for old_gap, new_gap in _gaps(pairs, len(old.nodes), len(new.nodes)):
        _same_label_pass(old, new, pairs, old_gap, new_gap, used_old)
    return Alignment(pairs, _moved(old, new, pairs))


def _exact_pass(old: Side, new: Side, pairs: dict[int, int]) -> None:
    old_by_key: dict[str, list[int]] = defaultdict(list)
    new_by_key: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(old.keys):
        old_by_key[key].append(index)
    for index, key in enumerate(new.keys):
        new_by_key[key].append(index)
    repeated: list[tuple[list[int], list[int]]] = []
    for key, news in new_by_key.items():
        olds = old_by_key.get(key)
        if not olds:
            continue
        if len(olds) == 1 and len(news) == 1:
            pairs[news[0]] = olds[0]
        else:
            repeated.append((olds, news))
    if not repeated:
        return
    anchors = sorted(pairs.items())
    anchor_new = [n for n, _ in anchors]
    children: dict[int, list[int]] = defaultdict(list)
    for n, parent in enumerate(new.parents):
        children[parent].append(n)
    repeated.sort(key=lambda group: min(new.depths[n] for n in group[1]))  # parents first
    for olds, news in repeated:
        _nearest_pairs(old, new, pairs, olds, news, anchors, anchor_new, children)


def _nearest_pairs(old: Side, new: Side, pairs: dict[int, int], olds: list[int], news: list[int],
                   anchors: list[tuple[int, int]], anchor_new: list[int], children: dict[int, list[int]]
                   ) -> None:
    """Pair repeated identical clauses by structure, not simply the first copy: the copy whose
    children's counterparts it holds, then the one under the counterpart of its parent, then the
    same label, then the one nearest to where the anchors say it should be. (A heading repeated
    in every section, under sections renumbered by an insertion, goes with its own section.)"""
    if len(olds) * len(news) > 2500:  # a long run of identical boilerplate: keep reading order
        for n, o in zip(news, olds):
            pairs[n] = o
        return
    candidates = []
    for n in news:
        at = bisect.bisect_left(anchor_new, n) - 1
        expected = anchors[at][1] + (n - anchors[at][0]) if at >= 0 else n
        votes = Counter(old.parents[pairs[child]] for child in children.get(n, ()) if child in pairs)
        parent = new.parents[n]
        counterpart = pairs.get(parent) if parent >= 0 else -1
        for o in olds:
            if counterpart is not None:
                parent_cost = counterpart != old.parents[o]
            else:  # the parent is not paired (yet): its label is the best hint
                parent_cost = new.parent_label(n) != old.parent_label(o)
            cost = (-votes[o], parent_cost, new.labels[n] != old.labels[o], abs(expected - o))
            candidates.append((cost, n, o))
    candidates.sort()
    used_old: set[int] = set()
    for _, n, o in candidates:
        if n not in pairs and o not in used_old:
            pairs[n] = o
            used_old.add(o)


def _longest_run(pairs: dict[int, int]) -> list[tuple[int, int]]:
    """The longest run of matches in the same order on both sides (patience sorting): the anchors
    that bound the gaps."""
    ordered = sorted(pairs.items())
    tails: list[int] = []  # old index ending the best run of each length
    tail_at: list[int] = []  # position in ordered of that element
    previous = [-1] * len(ordered)
    for position, (_, o) in enumerate(ordered):
        length = bisect.bisect_left(tails, o)
        if length == len(tails):
            tails.append(o)
            tail_at.append(position)
        else:
            tails[length] = o
            tail_at[length] = position
        previous[position] = tail_at[length - 1] if length else -1
    run: list[tuple[int, int]] = []
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        run.append(ordered[position])
        position = previous[position]
    return run[::-1]


def _increasing_run(pairs: dict[int, int], weights: list[int]) -> list[tuple[int, int]]:
    """The heaviest run of matches in the same order on both sides, each match weighing its new
    clause's ``weights`` (its subtree size): when a section and one paragraph swap places, the
    section with its clauses stays in order and the paragraph is the one that moved. A Fenwick
    tree over old indices keeps it O(n log n)."""
    ordered = sorted(pairs.items())
    size = max(pairs.values(), default=-1) + 2
    tree = [(0, -1)] * (size + 1)  # (best weight of a run ending at or below this old index, position)
    previous = [-1] * len(ordered)
    best_end = (0, -1)
    for position, (n, o) in enumerate(ordered):
        best = (0, -1)
        at = o  # runs ending at old indices < o: Fenwick positions 1..o
        while at > 0:
            if tree[at] > best:
                best = tree[at]
            at -= at & -at
        total = (best[0] + weights[n], position)
        previous[position] = best[1]
        if total > best_end:
            best_end = total
        at = o + 1
        while at <= size:
            if tree[at] < total:
                tree[at] = total
            at += at & -at
    run: list[tuple[int, int]] = []
    position = best_end[1]
    while position >= 0:
        run.append(ordered[position])
        position = previous[position]
    return run[::-1]


def _gaps(pairs: dict[int, int], old_count: int, new_count: int) -> list[tuple[list[int], list[int]]]:
    """Unmatched old and new clauses between consecutive in-order matches."""
    matched_old = set(pairs.values())
    bounds = [(-1, -1)] + _longest_run(pairs) + [(new_count, old_count)]
    gaps = []
    for (n1, o1), (n2, o2) in zip(bounds, bounds[1:]):
        new_gap = [n for n in range(n1 + 1, n2) if n not in pairs]
        old_gap = [o for o in range(o1 + 1, o2) if o not in matched_old]
        if new_gap and old_gap:
            gaps.append((old_gap, new_gap))
    return gaps


def _similar_pass(old: Side, new: Side, pairs: dict[int, int], old_gap: list[int], new_gap: list[int],
                  used_old: set[int]) -> None:
    """``used_old``: the old indices in ``pairs``' values."""
    scored = []
    windowed = len(old_gap) * len(new_gap) > WINDOW * WINDOW * 4
    one_slot = len(old_gap) == len(new_gap) == 1  # one clause replaced by one clause in place
    old_shapes = {o: old.shape(o) for o in old_gap if o not in used_old}
    # Where the clauses around the gap were renumbered, an equal label is a different clause.
    label_bonus = 0.0 if any(new.labels[m] and new.labels[m] != old.labels[pairs[m]]
                             for m in (new_gap[0] - 1, new_gap[-1] + 1) if m in pairs) else SAME_LABEL_BONUS
    for ni, n in enumerate(new_gap):
        if n in pairs:
            continue
        fn = new.features(n)
        shape = new.shape(n)
        for oi, o in enumerate(old_gap):
            if o in used_old or (windowed and abs(ni - oi) > WINDOW):
                continue
            if shape == old_shapes[o]:  # the same text but for its numbers
                scored.append((1.0, n, o))
                continue
            fo = old.features(o)
            same_label = new.labels[n] == old.labels[o] and new.labels[n] != ""
            if one_slot and new.nodes[n].kind == old.nodes[o].kind:
                threshold = REWRITE_THRESHOLD
            else:
                threshold = SAME_LABEL_THRESHOLD if same_label else GAP_THRESHOLD
            if 2 * min(len(fn), len(fo)) < threshold * (len(fn) + len(fo)):
                continue  # length filter: cannot reach the threshold
            score = similarity(fn, fo)
            if score >= threshold:
                # near-equal candidates (boilerplate that differs in a word): the nearer one wins
                nearness = PLACE_PENALTY * min(abs(ni - oi), 10)
                scored.append((score + (label_bonus if same_label else 0.0) - nearness, n, o))
    _take_best(scored, pairs, used_old)


def _take_best(scored: list[tuple[float, int, int]], pairs: dict[int, int], used_old: set[int]) -> None:
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    for _, n, o in scored:
        if n not in pairs and o not in used_old:
            pairs[n] = o
            used_old.add(o)


def _move_pass(old: Side, new: Side, pairs: dict[int, int], threshold: float = MOVE_THRESHOLD) -> None:
    used_old = set(pairs.values())
    free_old = [o for o in range(len(old.nodes)) if o not in used_old
                and len(old.features(o)) >= MOVE_MIN_FEATURES]
    free_new = [n for n in range(len(new.nodes)) if n not in pairs
                and len(new.features(n)) >= MOVE_MIN_FEATURES]
    if not free_old or not free_new:
        return
    index: dict[object, list[int]] = defaultdict(list)
    for o in free_old:
        for feature in old.features(o):
            index[feature].append(o)
    scored = []
    for n in free_new:
        fn = new.features(n)
        shared = Counter()
        for feature in fn:
            postings = index.get(feature)
            if postings and len(postings) <= _COMMON_FEATURE:
                shared.update(postings)
        ranked = sorted((similarity(fn, old.features(o)), o) for o, _ in shared.most_common(5))
        if not ranked:
            continue
        best, o = ranked[-1]
        runner_up = ranked[-2][0] if len(ranked) > 1 else 0.0
        if best >= threshold and best - runner_up >= MOVE_MARGIN:
            scored.append((best, n, o))
    _take_best(scored, pairs, used_old)


def _structure_pass(old: Side, new: Side, pairs: dict[int, int]) -> None:
    """An unmatched parent whose matched children mostly come from one unmatched old parent."""
    used_old = set(pairs.values())
    votes: dict[int, Counter] = defaultdict(Counter)
    sizes: Counter = Counter(p for p in new.parents if p >= 0)
    for n, o in pairs.items():
        parent_new, parent_old = new.parents[n], old.parents[o]
        if parent_new >= 0 and parent_old >= 0 and parent_new not in pairs and parent_old not in used_old:
            votes[parent_new][parent_old] += 1
    for parent_new in sorted(votes):
        parent_old, count = votes[parent_new].most_common(1)[0]
        if parent_old not in used_old and 2 * count >= sizes[parent_new]:
            pairs[parent_new] = parent_old
            used_old.add(parent_old)


def _children_pass(old: Side, new: Side, pairs: dict[int, int]) -> None:
    """Under parents already paired, an unmatched child with the same heading, or with the same
    last label component (``K.3`` for ``L.3`` under a relettered parent) and similarity >= 0.3, is
    a rewrite of the same clause."""
    used_old = set(pairs.values())
    free_children: dict[int, list[int]] = defaultdict(list)
    for o, parent in enumerate(old.parents):
        if o not in used_old and parent in used_old:
            free_children[parent].append(o)
    if not free_children:
        return
    scored = []
    for n, parent in enumerate(new.parents):
        if n in pairs or parent not in pairs:
            continue
        heading = new.nodes[n].heading
        own_label = _last_component(new.labels[n])
        for o in free_children.get(pairs[parent], ()):
            same_heading = heading is not None and old.nodes[o].heading is not None and (
                comparison_key(heading) == comparison_key(old.nodes[o].heading))
            same_place = own_label != "" and own_label == _last_component(old.labels[o])
            if not (same_heading or same_place):
                continue
            score = similarity(new.features(n), old.features(o))
            if same_heading or score >= REWRITE_THRESHOLD:
                scored.append((score + same_heading + same_place, n, o))
    _take_best(scored, pairs, used_old)


def _last_component(label: str) -> str:
    """``3`` for ``K.3``, ``(a)`` for ``(a)``: a label's own number within its parent."""
    return _LABEL_SEPARATOR.split(label)[-1]


def _same_label_pass(old: Side, new: Side, pairs: dict[int, int], old_gap: list[int], new_gap: list[int],
                     used_old: set[int]) -> None:
    """``used_old``: the old indices in ``pairs``' values."""
    by_label: dict[tuple[str, str], list[int]] = defaultdict(list)
    for o in old_gap:
        if o not in used_old and old.labels[o]:
            by_label[(old.labels[o], old.parent_label(o))].append(o)
    scored = []
    for n in new_gap:
        if n in pairs:
            continue
        for o in by_label.get((new.labels[n], new.parent_label(n)), ()):
            score = similarity(new.features(n), old.features(o))
            same_heading = new.nodes[n].heading is not None and (
                comparison_key(new.nodes[n].heading) == comparison_key(old.nodes[o].heading or ""))
            if score >= REWRITE_THRESHOLD or same_heading:
                scored.append((score, n, o))
    _take_best(scored, pairs, used_old)


def _moved(old: Side, new: Side, pairs: dict[int, int]) -> set[int]:
    """Matched clauses out of the longest in-order run, and clauses in order that went from one
    section to another section, both present in either text, at the same depth (a move across a
    heading). A clause that kept its place while a heading was inserted or removed above it, or
    while its depth changed (a list turned into numbered items, a title level dropped), was
    restructured in place, not moved."""
    in_order = {n for n, _ in _increasing_run(pairs, new.sizes)}
    moved = {n for n in pairs if n not in in_order}
    matched_old = set(pairs.values())
    for n, o in pairs.items():
        if n in moved or new.depths[n] != old.depths[o]:
            continue
        parent_new, parent_old = new.parents[n], old.parents[o]
        if parent_new < 0 or parent_old < 0:
            continue  # same depth: both top-level
        if parent_new in pairs and parent_old in matched_old and pairs[parent_new] != parent_old:
            moved.add(n)
    return moved
