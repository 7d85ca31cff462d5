"""Alignment accuracy on generated pairs with known truth: renumbering storms (whole sections
inserted early), moves among near-identical boilerplate, several blocks moved at once.

Targets (issue 10): >= 98% of pairings right, >= 95% of moves found with no false move, >= 99% of
renumbered clauses paired and flagged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from make_pair import Pair, make_hard_pair, make_pair  # noqa: E402

from clausewise.differ import diff_texts  # noqa: E402
from clausewise.differ.model import DocumentRef  # noqa: E402


def _score(pair: Pair) -> dict[str, float]:
    diff = diff_texts(pair.old, pair.new, DocumentRef("old"), DocumentRef("new"))
    found = {c.new_label: c for c in diff.changes if c.new is not None and c.new.kind == "clause"}
    assert set(found) == set(pair.truth), "every numbered clause of the new text is reported"
    right = sum(found[label].old_label == old for label, old in pair.truth.items())
    moves = sum(found[label].moved for label in pair.moved)
    false_moves = sum(c.moved for label, c in found.items() if label not in pair.moved)
    renumbered = [label for label, old in pair.truth.items() if old and old != label]
    renumbered_ok = sum(found[label].renumbered and found[label].old_label == pair.truth[label]
                        for label in renumbered)
    return {"pairings": right / len(pair.truth), "moves": moves / len(pair.moved),
            "false_moves": false_moves, "renumbered": renumbered_ok / len(renumbered)}


@pytest.mark.parametrize("seed", range(6))
def test_hard_generated_pairs_meet_the_targets(seed):
    pair = make_hard_pair(seed=seed)
    assert len(pair.moved) >= 15 and sum(1 for o in pair.truth.values() if o is None) >= 6
    score = _score(pair)
    assert score["pairings"] >= 0.98, score
    assert score["moves"] >= 0.95, score
    assert score["false_moves"] == 0, score
    assert score["renumbered"] >= 0.99, score


def test_a_run_of_renumbered_sections_is_paired_not_removed():
    pair = make_hard_pair(seed=3, inserted_sections=3, block_moves=0, single_moves=0, boilerplate_moves=0,
                          edits=0, deletions=0)
    diff = diff_texts(pair.old, pair.new, DocumentRef("old"), DocumentRef("new"))
    assert diff.summary()["removed"] == 0
    sections = [c for c in diff.changes if c.new is not None and c.new.kind == "heading" and c.old is not None]
    assert sum(c.renumbered for c in sections) >= 20


def test_the_standing_benchmark_pair_is_aligned_exactly():
    score = _score(make_pair(sections=40))
    assert score == {"pairings": 1.0, "moves": 1.0, "false_moves": 0, "renumbered": 1.0}


def test_boilerplate_heavy_pairs_with_edited_moves_meet_the_targets_overall():
    """Eight schedules of near-identical clauses, twelve moves among them, forty word edits (some
    on moved clauses), five blocks moved: over ten pairs."""
    totals = {"clauses": 0, "right": 0, "moves": 0, "found": 0, "false_moves": 0}
    for seed in range(10):
        pair = make_hard_pair(seed=seed, boilerplate_sections=8, boilerplate_moves=12, edits=40, block_moves=5,
                              single_moves=10)
        score = _score(pair)
        totals["clauses"] += len(pair.truth)
        totals["right"] += round(score["pairings"] * len(pair.truth))
        totals["moves"] += len(pair.moved)
        totals["found"] += round(score["moves"] * len(pair.moved))
        totals["false_moves"] += score["false_moves"]
    assert totals["right"] >= 0.98 * totals["clauses"], totals
    assert totals["found"] >= 0.95 * totals["moves"], totals
    assert totals["false_moves"] == 0, totals
