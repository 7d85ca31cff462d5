"""Generate a large agreement pair with known changes, for the differ benchmarks.

``make_pair(sections=200, per_section=10)`` gives about 2,000 clauses and 1.3 MB of English text.
The new version has word edits, deletions, clauses moved to other sections and insertions that
renumber the rest of their section. ``truth`` records which old clause each new clause is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

WORDS = ("agreement customer provider service fees invoice notice written party parties term renewal "
         "termination liability damages indemnify data personal processing security confidential "
         "information affiliate assign transfer obligations rights law court dispute payment period "
         "days calendar month year reasonable efforts material breach cure remedy warranty support "
         "availability credit order form schedule annex usage limit account console subprocessor").split()


@dataclass
class Pair:
    old: str
    new: str
    truth: dict[str, str | None] = field(default_factory=dict)  # new label -> old label (None: added)
    moved: set[str] = field(default_factory=set)  # new labels of moved clauses
    edited: set[str] = field(default_factory=set)  # new labels of edited clauses


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def _clause(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(12, 20)) for _ in range(rng.randint(4, 6)))


def make_pair(sections: int = 200, per_section: int = 10, *, edits: int = 100, deletions: int = 20,
              moves: int = 10, insertions: int = 20, seed: int = 7) -> Pair:
    rng = random.Random(seed)
    old_sections = [[f"{s + 1}.{c + 1}" for c in range(per_section)] for s in range(sections)]
    text_of = {label: _clause(rng) for section in old_sections for label in section}
    new_sections = [list(section) for section in old_sections]  # old labels, in new order
    all_labels = [label for section in old_sections for label in section]
    picked = rng.sample(all_labels, edits + deletions + moves)
    edited, deleted, moved = picked[:edits], set(picked[edits:edits + deletions]), picked[edits + deletions:]
    for label in deleted:
        new_sections[int(label.split(".")[0]) - 1].remove(label)
    for label in moved:
        new_sections[int(label.split(".")[0]) - 1].remove(label)
        target = rng.randrange(sections)
        new_sections[target].insert(rng.randint(0, len(new_sections[target])), label)
    new_text_of = dict(text_of)
    for label in edited:
        words = new_text_of[label].split(" ")
        at = rng.randrange(len(words) - 1)
        words[at] = rng.choice(WORDS) + "ly"
        new_text_of[label] = " ".join(words)
    for number in range(insertions):
        target = rng.randrange(sections)
        key = f"new-{number}"
        new_text_of[key] = _clause(rng)
        new_sections[target].insert(rng.randint(0, len(new_sections[target])), key)
    old = _render(old_sections, text_of, [[label for label in section] for section in old_sections])
    new_labels = [[f"{s + 1}.{c + 1}" for c in range(len(section))] for s, section in enumerate(new_sections)]
    new = _render(new_sections, new_text_of, new_labels)
    pair = Pair(old, new)
    for section, labels in zip(new_sections, new_labels):
        for key, label in zip(section, labels):
            pair.truth[label] = None if key.startswith("new-") else key
            if key in moved:
                pair.moved.add(label)
            if key in edited:
                pair.edited.add(label)
    return pair


def _render(sections: list[list[str]], text_of: dict[str, str], labels: list[list[str]]) -> str:
    lines = ["# Master Services Agreement", "", "This Agreement is made between Example Ltd and the Customer.", ""]
    for number, (section, section_labels) in enumerate(zip(sections, labels), 1):
        lines += [f"## {number}. Section {number}", ""]
        for key, label in zip(section, section_labels):
            lines += [f"{label} {text_of[key]}", ""]
    return "\n".join(lines)
