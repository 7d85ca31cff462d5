"""Alignment on the English and Chinese sample pairs: renumbering, moves, deletion, split, parties."""

from __future__ import annotations

import pytest

from clausewise.differ import diff_texts
from clausewise.differ.model import AgreementDiff, ClauseChange, DocumentRef

from .pairs import NEW_EN, NEW_ZH, OLD_EN, OLD_ZH


def run(old: str, new: str) -> AgreementDiff:
    return diff_texts(old, new, DocumentRef("old"), DocumentRef("new"))


def by_new(diff: AgreementDiff, label: str) -> ClauseChange:
    return next(c for c in diff.changes if c.new_label == label)


def by_old(diff: AgreementDiff, label: str) -> ClauseChange:
    return next(c for c in diff.changes if c.old_label == label)


@pytest.fixture(params=["en", "zh"])
def pair(request) -> AgreementDiff:
    return run(OLD_EN, NEW_EN) if request.param == "en" else run(OLD_ZH, NEW_ZH)


def test_insertion_renumbers_the_rest_without_changing_it(pair):
    assert by_new(pair, "1.2").status == "added"
    for old, new in (("1.2", "1.3"), ("1.3", "1.4")):
        change = by_new(pair, new)
        assert (change.status, change.old_label, change.renumbered, change.moved) == ("unchanged", old, True, False)
        assert not change.substantive


def test_clause_moved_to_another_section(pair):
    change = by_new(pair, "4.2")
    assert (change.status, change.old_label, change.moved, change.renumbered) == ("unchanged", "2.3", True, True)
    assert change.old.path[-2] != change.new.path[-2]
    assert "fees" in change.tags


def test_deleted_clause_sits_at_its_old_place(pair):
    labels = [(c.status, c.old_label, c.new_label) for c in pair.changes]
    removed = labels.index(("removed", "2.2", None))
    assert labels[removed - 1][1] == "2.1"


def test_split_clause_is_modified_plus_added_with_a_note(pair):
    first, second = by_new(pair, "3.2"), by_new(pair, "3.3")
    assert (first.status, first.old_label) == ("modified", "3.2")
    assert [op for op, _ in first.ops] == ["=", "-"]
    assert second.status == "added" and second.note == "split from 3.2"


def test_party_name_change_is_tagged(pair):
    preamble = pair.changes[0]
    assert preamble.status == "modified" and "parties" in preamble.tags
    deleted = "".join(t for op, t in preamble.ops if op == "-")
    inserted = "".join(t for op, t in preamble.ops if op == "+")
    assert ("Northwind" in deleted and "Southwind Holdings" in inserted) or ("北风科技" in deleted and "南风控股" in inserted)


def test_modified_fee_clause_reads_as_whole_words(pair):
    change = by_new(pair, "2.1")
    edits = [(op, t) for op, t in change.ops if op != "="]
    assert edits in ([("-", "thirty"), ("+", "fifteen")], [("-", "三十日"), ("+", "十五个工作日")])
    assert change.substantive and "fees" in change.tags


def test_every_clause_of_either_text_appears_once(pair):
    assert pair.summary() == {"added": 2, "removed": 1, "modified": 3, "unchanged": 12, "moved": 1,
                              "renumbered": 5}


def test_summary_counts_equal_across_languages():
    assert run(OLD_EN, NEW_EN).summary() == run(OLD_ZH, NEW_ZH).summary()
