"""The issue's must-holds on the seed: trial vs commercial agreement, through the real importer."""

from __future__ import annotations

from clausewise.differ import diff_texts
from clausewise.differ.model import DocumentRef
from clausewise.versions.pdfclean import clean_extracted_text
from clausewise.versions.split import split_agreements


def test_trial_vs_commercial(corpus_path):
    agreements = {a.kind: a for a in split_agreements(clean_extracted_text(corpus_path.read_text("utf-8")).text)}
    diff = diff_texts(agreements["trial"].text, agreements["commercial"].text,
                      DocumentRef("trial"), DocumentRef("commercial"))
    by_new = {c.new_label: c for c in diff.changes if c.new is not None}
    removed = [c.old_label for c in diff.changes if c.status == "removed"]
    assert (by_new["7.2"].status, by_new["7.2"].old_label, by_new["7.2"].renumbered) == ("unchanged", "7.3", True)
    assert removed == ["7.2"]
    assert {label for label, c in by_new.items() if c.status == "added"} == {"1.6", "2.6", "2.7"}
    assert (by_new["1.7"].status, by_new["1.7"].old_label) == ("unchanged", "1.6")
    # the sections written 一、 in one and 一. in the other are the same, not renumbered
    assert not by_new["一."].renumbered and by_new["一."].status == "unchanged"
    # the doubled lines of 五、 (免责条款) cause no change
    assert all(by_new[label].status == "unchanged" for label in ("5.1", "5.2", "5.3"))
    assert not any(c.moved for c in diff.changes)
