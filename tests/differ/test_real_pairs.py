"""The real version pairs of the shared corpus (corpus/real/README.md says what changed in each).

Skipped, with the reason, when ../shared (or $CLAUSEWISE_CORPUS) is not there; CI has it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pytest

from clausewise.differ import diff_texts, render_json
from clausewise.differ.align import label_key
from clausewise.differ.labels import chinese_number
from clausewise.differ.model import AgreementDiff, DocumentRef

ROOT = Path(__file__).resolve().parents[2]


def _real_corpus() -> Path | None:
    candidates = []
    if os.environ.get("CLAUSEWISE_CORPUS"):
        configured = Path(os.environ["CLAUSEWISE_CORPUS"])
        candidates.append((configured.parent if configured.is_file() else configured) / "real")
    candidates.append(ROOT.parent / "shared" / "corpus" / "real")
    return next((path for path in candidates if (path / "ota").is_dir()), None)


REAL = _real_corpus()
pytestmark = pytest.mark.skipif(REAL is None, reason="corpus/real not found: lay ../shared beside the checkout "
                                                     "or set CLAUSEWISE_CORPUS")
PAIRS = sorted(f"{old.parent.name}/{old.name[:3]}" for folder in ("ota", "zh-laws")
               for old in (REAL / folder).glob("*-old.md")) if REAL else []


@cache
def _diff(name: str) -> AgreementDiff:
    old = (REAL / f"{name}-old.md").read_text(encoding="utf-8")
    new = (REAL / f"{name}-new.md").read_text(encoding="utf-8")
    return diff_texts(old, new, DocumentRef(f"{name}-old.md"), DocumentRef(f"{name}-new.md"))


def test_the_corpus_has_every_pair_the_readme_lists():
    assert len(PAIRS) == 22


@pytest.mark.parametrize("name", PAIRS)
def test_every_counted_change_is_visible(name):
    for change in _diff(name).changes:
        if change.status == "modified":
            visible = any(op != "=" for op, _ in change.ops + (change.heading_ops or []))
            assert visible or change.note, (change.old_label, change.new_label, change.old.text[:80])


@pytest.mark.parametrize("name", PAIRS)
def test_json_lists_every_clause_once_and_counts_them(name):
    diff = _diff(name)
    data = json.loads(render_json(diff))
    assert len(data["changes"]) == len(diff.changes)
    counts = {status: sum(c["status"] == status for c in data["changes"])
              for status in ("added", "removed", "modified", "unchanged")}
    assert counts == {key: data["summary"][key] for key in counts}


@pytest.mark.parametrize("name", ["ota/015", "ota/016"])
def test_whitespace_only_pairs_have_no_change(name):
    diff = _diff(name)
    summary = diff.summary()
    assert (summary["added"], summary["removed"], summary["modified"], summary["moved"]) == (0, 0, 0, 0)
    assert not any(change.substantive for change in diff.changes)


def test_adoption_measures_articles_three_to_fifteen_are_renumbered_four_to_sixteen():
    diff = _diff("zh-laws/004")
    articles = {label_key(c.old_label): c for c in diff.changes
                if c.old is not None and c.old_label and c.old_label.endswith("条")}
    for number in range(3, 16):
        change = next(c for label, c in articles.items() if chinese_number(label[1:-1]) == number)
        assert change.new is not None and change.renumbered
        assert chinese_number(label_key(change.new_label)[1:-1]) == number + 1
    added = [c for c in diff.changes if c.status == "added" and c.new_label and c.new_label.endswith("条")]
    assert [label_key(c.new_label) for c in added] == ["第三条"]


def test_items_that_only_change_width_are_not_renumbered():
    diff = _diff("zh-laws/004")
    items = [c for c in diff.changes if c.old_label == "(一)" and c.new_label == "（一）"]
    assert items and not any(c.renumbered for c in items)


def test_wix_sections_four_to_sixteen_are_renumbered_five_to_seventeen_and_paired():
    diff = _diff("ota/001")
    top = {label_key(c.old_label): c for c in diff.changes
           if c.old is not None and len(c.old.path) == 1 and label_key(c.old_label).isdigit()}
    for number in range(4, 17):
        change = top[str(number)]
        assert change.new is not None and label_key(change.new_label) == str(number + 1) and change.renumbered
        assert change.status == "unchanged" and not change.moved
    added = [label_key(c.new_label) for c in diff.changes if c.status == "added" and c.new_label]
    assert "4" in added and diff.summary()["removed"] == 0 and diff.summary()["moved"] == 0



def test_ipinfo_paragraph_moved_across_a_heading_is_the_only_move():
    diff = _diff("ota/010")
    moved = [c for c in diff.changes if c.moved]
    assert len(moved) == 1 and moved[0].status == "unchanged"
    assert moved[0].new.text.startswith("Here are additional details on how we use")
    assert moved[0].new.path[-2] == "Precise Geolocation and SDK Data"
    modified = [c for c in diff.changes if c.status == "modified"]
    assert [(op, text) for c in modified for op, text in c.ops if op != "="] == [("-", "98136"), ("+", "98121")]


def test_glassdoor_data_controller_block_is_moved_not_removed_and_added():
    diff = _diff("ota/009")
    moved = [c for c in diff.changes if c.moved]
    texts = [c.new.text for c in moved]
    assert texts[0] == "**Data Controller**" and len(moved) == 4
    assert all(c.old.path[0] == "Data Controller & International Transfers" for c in moved)
    assert not any(c.status == "removed" and "representative" in c.old.text for c in diff.changes)
