"""Alignment on its own: hand-built clause trees, then whole texts through diff_texts."""

from __future__ import annotations

from clausewise.differ import diff_texts
from clausewise.differ.align import Side, align_clauses
from clausewise.differ.model import Clause, DocumentRef


def _tree(spec: list[tuple]) -> Side:
    """``spec``: (depth, label, heading, text) in reading order; depth 1 is a top section."""
    nodes: list[Clause] = []
    parents: list[int] = []
    stack: list[int] = []
    for depth, label, heading, text in spec:
        del stack[depth - 1:]
        parent = stack[-1] if stack else -1
        path = (nodes[parent].path if parent >= 0 else ()) + (label or heading,)
        nodes.append(Clause(label=label, path=path, heading=heading, text=text, source=text, line=len(nodes) + 1,
                            level=depth))
        parents.append(parent)
        stack.append(len(nodes) - 1)
    return Side(nodes, parents)


WARRANTY = "The seller warrants that the goods match their description for twelve months."
REPAIR = "The seller repairs or replaces faulty goods at its own cost within ten working days."
REFUND = "Where repair fails twice the buyer may return the goods for a full refund of the price."
CAP_OLD = "Neither party is liable for indirect loss, and each party's total liability is capped at the fees paid."
CAP_NEW = ("Liability for death, personal injury and fraud is unlimited; any other claim is limited to "
           "twice the annual charges, excluding loss of profit, revenue or goodwill.")


def test_rewritten_child_under_a_relettered_parent_pairs_with_its_counterpart():
    old = _tree([(1, "K.", "Delivery", "Goods are delivered to the buyer's named warehouse."),
                 (2, "K.1", None, "Delivery dates are estimates unless the order says otherwise."),
                 (1, "L.", "Remedies", ""),
                 (2, "L.1", None, REPAIR),
                 (2, "L.2", None, REFUND),
                 (2, "L.3", "Limitation of Liability", CAP_OLD)])
    new = _tree([(1, "K.", "Remedies", ""),
                 (2, "K.1", None, REPAIR),
                 (2, "K.2", None, REFUND),
                 (2, "K.3", "Limitation of Liability", CAP_NEW)])
    alignment = align_clauses(old, new)
    assert alignment.pairs == {0: 2, 1: 3, 2: 4, 3: 5}
    assert not alignment.moved


def test_relettered_parent_through_diff_texts():
    old = ("# Supply Terms\n\n## K. Delivery\n\nGoods are delivered to the buyer's named warehouse.\n\n"
           "## L. Remedies\n\n### 1. Repair\n\n" + REPAIR + "\n\n### 2. Refund\n\n" + REFUND +
           "\n\n### 3. Limitation of Liability\n\n" + CAP_OLD + "\n")
    new = ("# Supply Terms\n\n## K. Remedies\n\n### 1. Repair\n\n" + REPAIR + "\n\n### 2. Refund\n\n" + REFUND +
           "\n\n### 3. Limitation of Liability\n\n" + CAP_NEW + "\n")
    diff = diff_texts(old, new, DocumentRef("old"), DocumentRef("new"))
    cap = [c for c in diff.changes if c.heading == "Limitation of Liability"]
    assert len(cap) == 1 and cap[0].status == "modified"
    assert [c.status for c in diff.changes if c.heading == "Delivery"] == ["removed"]


def test_several_blocks_moved_at_once_are_each_found_as_moves():
    words = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar "
             "papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()
    texts = [" ".join(words[(i * 5 + k * 3) % len(words)] for k in range(14)) + f" clause{i}" for i in range(24)]
    old = _tree([(1, str(i + 1), None, text) for i, text in enumerate(texts)])
    order = list(range(24))
    block_a, block_b = order[3:6], order[14:17]
    rest = [i for i in order if i not in block_a + block_b]
    moved_order = rest[:10] + block_a + rest[10:15] + block_b[::-1] + rest[15:]
    new = _tree([(1, str(i + 1), None, texts[o]) for i, o in enumerate(moved_order)])
    alignment = align_clauses(old, new)
    assert alignment.pairs == {n: o for n, o in enumerate(moved_order)}
    moved_old = {alignment.pairs[n] for n in alignment.moved}
    assert set(block_a) | set(block_b[:2]) <= moved_old or set(block_a) | set(block_b[1:]) <= moved_old
    assert moved_old <= set(block_a) | set(block_b)


def test_identical_boilerplate_pairs_with_the_structurally_nearest_copy():
    line = "This Schedule forms part of the Agreement and is governed by its terms."
    old = _tree([(1, "1.", "Hardware", ""), (2, "1.1", None, line), (2, "1.2", None, "Servers and racks."),
                 (1, "2.", "Software", ""), (2, "2.1", None, line), (2, "2.2", None, "Licences per seat.")])
    new = _tree([(1, "1.", "Hardware", ""), (2, "1.1", None, line), (2, "1.2", None, "Servers and racks."),
                 (1, "2.", "Training", ""), (2, "2.1", None, "Two days on site for each new team."),
                 (1, "3.", "Software", ""), (2, "3.1", None, line), (2, "3.2", None, "Licences per seat.")])
    alignment = align_clauses(old, new)
    assert alignment.pairs[1] == 1 and alignment.pairs[6] == 4
    assert not alignment.moved


PARAGRAPHS = [
    "We collect the address you type when you create an account and keep it while the account is open.",
    "Payment details go straight to our card processor and never touch our own servers at any time.",
    "Support staff can read a ticket only after you open it and only for as long as it stays open.",
    "Logs of failed sign-ins are kept for ninety days so that we can spot attacks on your account.",
    "Here is more detail on how each kind of information helps us run the service for you.",
    "Rough location from your network address picks the nearest data centre for your uploads.",
    "Precise location is read only when you switch it on in the app and is never sold to anyone.",
]


def test_a_paragraph_moved_across_a_heading_is_a_move():
    old = _tree([(1, None, "What We Collect", ""), (2, None, None, PARAGRAPHS[0]), (2, None, None, PARAGRAPHS[1]),
                 (1, None, "How We Use It", ""), (2, None, None, PARAGRAPHS[2]), (2, None, None, PARAGRAPHS[3]),
                 (2, None, None, PARAGRAPHS[4]),
                 (1, None, "Location", ""), (2, None, None, PARAGRAPHS[5]), (2, None, None, PARAGRAPHS[6])])
    new = _tree([(1, None, "What We Collect", ""), (2, None, None, PARAGRAPHS[0]), (2, None, None, PARAGRAPHS[1]),
                 (1, None, "How We Use It", ""), (2, None, None, PARAGRAPHS[2]), (2, None, None, PARAGRAPHS[3]),
                 (1, None, "Location", ""), (2, None, None, PARAGRAPHS[4]), (2, None, None, PARAGRAPHS[5]),
                 (2, None, None, PARAGRAPHS[6])])
    alignment = align_clauses(old, new)
    assert alignment.pairs == {n: n for n in range(10)} | {6: 7, 7: 6}
    assert alignment.moved == {7}


def test_a_heading_inserted_above_paragraphs_does_not_move_them():
    old = _tree([(1, None, "Privacy Policy", ""), (2, None, None, PARAGRAPHS[0]), (2, None, None, PARAGRAPHS[1]),
                 (2, None, None, PARAGRAPHS[2])])
    new = _tree([(1, None, "Privacy Policy", ""), (2, None, None, PARAGRAPHS[0]),
                 (1, None, "Payments and Support", ""), (2, None, None, PARAGRAPHS[1]), (2, None, None, PARAGRAPHS[2])])
    alignment = align_clauses(old, new)
    assert alignment.pairs == {0: 0, 1: 1, 3: 2, 4: 3}
    assert not alignment.moved


def test_a_list_turned_into_numbered_items_in_place_is_not_moved():
    old = _tree([(1, "2.", "Licence", ""), (2, "2.1", None, "The customer may:"),
                 (3, "*", None, PARAGRAPHS[0]), (3, "*", None, PARAGRAPHS[1])])
    new = _tree([(1, "2.", "Licence", ""), (2, "2.1", None, "The customer may:"),
                 (2, "1.", None, PARAGRAPHS[0]), (2, "2.", None, PARAGRAPHS[1])])
    alignment = align_clauses(old, new)
    assert alignment.pairs == {0: 0, 1: 1, 2: 2, 3: 3}
    assert not alignment.moved


def test_a_heading_repeated_in_every_section_goes_with_its_own_section_after_renumbering():
    tagline = "That is all there is to it."
    sections = [("Accounts", PARAGRAPHS[0]), ("Payments", PARAGRAPHS[1]), ("Support", PARAGRAPHS[2])]

    def document(first: int, extra: bool) -> Side:
        spec = [(1, f"{first}.", "Artificial Intelligence", PARAGRAPHS[6])] if extra else []
        for number, (heading, body) in enumerate(sections, first + extra):
            spec += [(1, f"{number}.", heading, ""), (2, None, tagline, ""), (3, None, None, body)]
        return _tree(spec)

    old, new = document(4, False), document(4, True)
    alignment = align_clauses(old, new)
    assert alignment.pairs == {n + 1: n for n in range(9)}
    assert not alignment.moved


def test_a_renumbered_contents_entry_pairs_with_its_old_self():
    old = _tree([(1, None, "Contents", ""), (2, None, None, "[12\\. Payments](#12-payments)"),
                 (2, None, None, "[13\\. Support](#13-support)")])
    new = _tree([(1, None, "Contents", ""), (2, None, None, "[12\\. Recommendations](#12-recommendations)"),
                 (2, None, None, "[13\\. Payments](#13-payments)"), (2, None, None, "[14\\. Support](#14-support)")])
    alignment = align_clauses(old, new)
    assert alignment.pairs == {0: 0, 2: 1, 3: 2}
