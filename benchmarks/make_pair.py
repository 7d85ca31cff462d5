"""Generate a large agreement pair with known changes, for the differ benchmarks.

``make_pair(sections=200, per_section=10)`` gives about 2,000 clauses and 1.3 MB of English text.
The new version has word edits, deletions, clauses moved to other sections and insertions that
renumber the rest of their section. ``truth`` records which old clause each new clause is.
"""

from __future__ import annotations

import random
from collections.abc import Collection
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
    new_text_of = _edited_texts(text_of, edited, rng)
    for number in range(insertions):
        target = rng.randrange(sections)
        key = f"new-{number}"
        new_text_of[key] = _clause(rng)
        new_sections[target].insert(rng.randint(0, len(new_sections[target])), key)
    old = _render(old_sections, text_of, [[label for label in section] for section in old_sections])
    new_labels = [[f"{s + 1}.{c + 1}" for c in range(len(section))] for s, section in enumerate(new_sections)]
    new = _render(new_sections, new_text_of, new_labels)
    return _with_truth(Pair(old, new), new_sections, new_labels, moved, edited)




def _edited_texts(text_of: dict[str, str], edited: Collection[str], rng: random.Random) -> dict[str, str]:
    """``text_of`` with one word of each ``edited`` clause replaced."""
    new_text_of = dict(text_of)
    for label in edited:
        words = new_text_of[label].split(" ")
        at = rng.randrange(len(words) - 1)
        words[at] = rng.choice(WORDS) + "ly"
        new_text_of[label] = " ".join(words)
    return new_text_of

def _with_truth(pair: Pair, sections: list[list[str]], labels: list[list[str]], moved: Collection[str],
                edited: Collection[str]) -> Pair:
    """``pair`` with what each new label really is: the old clause it came from (None if new), and
    whether it was moved or edited."""
    for section, section_labels in zip(sections, labels):
        for key, label in zip(section, section_labels):
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


TITLES = ("Definitions Services Fees Payment Taxes Term Termination Warranties Liability Indemnity "
          "Confidentiality Data Security Audit Insurance Assignment Notices Disputes Law Miscellaneous "
          "Support Availability Credits Suspension Personnel Records Export Compliance Publicity Force").split()
# Boilerplate: most clauses of a schedule share these words and differ in a few names and numbers.
TEMPLATE = ("The Supplier shall deliver the {item} described in this Schedule to the {site} site no later "
            "than {days} days after the Purchase Order date, and the Customer shall inspect the {item} "
            "within {check} business days of delivery and notify the Supplier in writing of any defect.")
ITEMS = ("pumps valves filters gaskets sensors cables panels meters brackets hoses seals motors fans "
         "relays switches fuses lamps clamps bolts hinges").split()
SITES = ("Leeds Bristol Cardiff Dundee Exeter Glasgow Hull Inverness Kendal Lincoln Norwich Oxford Perth "
         "Ripon Salford Truro Wells York Bath Derby").split()


def make_hard_pair(*, sections: int = 24, per_section: int = 8, boilerplate_sections: int = 4,
                   inserted_sections: int = 3, block_moves: int = 3, single_moves: int = 6,
                   boilerplate_moves: int = 4, edits: int = 12, deletions: int = 6, seed: int = 11) -> Pair:
    """A pair built to hurt aligners: whole sections inserted early (every later section and all
    its clauses renumbered), schedules of near-identical boilerplate clauses with moves among
    them, several contiguous blocks moved at once, single moves across sections, word edits and
    deletions. Sections have distinct titles; ``truth`` covers every numbered clause."""
    rng = random.Random(seed)
    old_sections = [[f"{s + 1}.{c + 1}" for c in range(per_section)] for s in range(sections)]
    titles = {str(s + 1): TITLES[s % len(TITLES)] + (f" and {TITLES[(s * 7 + 3) % len(TITLES)]}" if s >= len(TITLES) else "")
              for s in range(sections)}
    boiler = set(rng.sample(range(sections), boilerplate_sections))
    text_of: dict[str, str] = {}
    for s, section in enumerate(old_sections):
        for label in section:
            if s in boiler:
                text_of[label] = TEMPLATE.format(item=rng.choice(ITEMS), site=rng.choice(SITES),
                                                 days=rng.randint(5, 90), check=rng.randint(2, 15))
            else:
                text_of[label] = _clause(rng)
    new_sections = [list(section) for section in old_sections]
    plain = [label for s, section in enumerate(old_sections) if s not in boiler for label in section]
    boiler_labels = [label for s, section in enumerate(old_sections) if s in boiler for label in section]
    moved: set[str] = set()
    # several contiguous blocks moved at once, each to another plain section
    for _ in range(block_moves):
        s = rng.choice([i for i in range(sections) if i not in boiler])
        section = new_sections[s]
        size = rng.randint(2, 4)
        if len(section) <= size + 1:
            continue
        start = rng.randrange(len(section) - size)
        block = [label for label in section[start:start + size] if label not in moved]
        for label in block:
            section.remove(label)
        target = new_sections[rng.choice([i for i in range(sections) if i != s and i not in boiler])]
        at = rng.randint(0, len(target))
        target[at:at] = block
        moved.update(block)
    for label in rng.sample([label for label in plain if label not in moved], single_moves):
        source = next(section for section in new_sections if label in section)
        source.remove(label)
        target = rng.choice([section for section in new_sections if section is not source])
        target.insert(rng.randint(0, len(target)), label)
        moved.add(label)
    # moves inside and between boilerplate schedules
    for label in rng.sample(boiler_labels, boilerplate_moves):
        source = next(section for section in new_sections if label in section)
        source.remove(label)
        target = rng.choice([new_sections[i] for i in sorted(boiler) if new_sections[i] is not source])
        target.insert(rng.randint(0, len(target)), label)
        moved.add(label)
    still = [label for label in plain if label not in moved]
    deleted = rng.sample(still, deletions)
    edited = rng.sample([label for label in plain + boiler_labels if label not in deleted], edits)
    for label in deleted:
        next(section for section in new_sections if label in section).remove(label)
    new_text_of = _edited_texts(text_of, edited, rng)
    # whole sections inserted early: every later section is renumbered with its clauses
    order = [str(s + 1) for s in range(sections)]
    sections_of = dict(zip(order, new_sections))
    for number in range(inserted_sections):
        key = f"new-section-{number}"
        titles[key] = f"Additional Terms {number + 1}"
        sections_of[key] = []
        for c in range(rng.randint(2, 4)):
            clause_key = f"new-{number}-{c}"
            new_text_of[clause_key] = _clause(rng)
            sections_of[key].append(clause_key)
        order.insert(rng.randint(1, 3), key)
    old = _render_titled([str(s + 1) for s in range(sections)], old_sections, text_of, titles,
                         [section for section in old_sections])
    new_order_sections = [sections_of[key] for key in order]
    new_labels = [[f"{s + 1}.{c + 1}" for c in range(len(section))] for s, section in enumerate(new_order_sections)]
    new = _render_titled(order, new_order_sections, new_text_of, titles, new_labels)
    return _with_truth(Pair(old, new), new_order_sections, new_labels, moved, edited)


def _render_titled(order: list[str], sections: list[list[str]], text_of: dict[str, str],
                   titles: dict[str, str], labels: list[list[str]]) -> str:
    lines = ["# Supply Framework Agreement", "", "This Agreement is made between Example Ltd and the Buyer.", ""]
    for number, (key, section, section_labels) in enumerate(zip(order, sections, labels), 1):
        lines += [f"## {number}. {titles[key]}", ""]
        for clause_key, label in zip(section, section_labels):
            lines += [f"{label} {text_of[clause_key]}", ""]
    return "\n".join(lines)
