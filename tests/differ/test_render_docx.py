"""The Word redline (``render_docx``): accepting every tracked change gives the new text and
rejecting every one gives the old (on the XML), the revision markup Word expects, the title block,
and escaping."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

import pytest

from clausewise.differ import diff_texts
from clausewise.differ.model import ClauseChange, DocumentRef
from clausewise.differ.render_docx import DEFAULT_AUTHOR, exact_ops, render_docx

from .conftest import chinese_diff, english_diff, hostile_diff
from .docx_cases import (
    assert_same_text,
    body,
    diff_of,
    docx_of,
    expected_paragraphs,
    real_cases,
    real_corpus,
    sample_cases,
)
from .docx_revisions import W, document_xml, revised_paragraphs
from .pairs import NEW_EN, NEW_ZH, OLD_EN, OLD_ZH

SAMPLE_CASES = sample_cases()
REAL_CASES = real_cases()
WHEN = datetime(2026, 7, 1, 9, 30, tzinfo=timezone.utc)


def _check_accept_and_reject(case) -> None:
    old, new = expected_paragraphs(case)
    docx = docx_of(case)
    assert_same_text(case, body(revised_paragraphs(docx, accept=True)), new, "new")
    assert_same_text(case, body(revised_paragraphs(docx, accept=False)), old, "old")


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=lambda case: case.name)
def test_accept_all_gives_the_new_text_and_reject_all_the_old(case):
    _check_accept_and_reject(case)


@pytest.mark.skipif(real_corpus() is None, reason="corpus/real not found: lay ../shared beside the checkout "
                                                   "or set CLAUSEWISE_CORPUS")
@pytest.mark.parametrize("case", REAL_CASES, ids=lambda case: case.name)
def test_accept_and_reject_on_the_real_pairs(case):
    _check_accept_and_reject(case)


def test_every_change_is_a_tracked_revision_with_author_and_date():
    diff = diff_texts(OLD_EN, NEW_EN, DocumentRef("old.md"), DocumentRef("new.md"))
    root = document_xml(render_docx(diff, author="Jane Reviewer", date=WHEN))
    revisions = [node for tag in ("ins", "del", "moveFrom", "moveTo") for node in root.iter(W + tag)]
    assert revisions
    for node in revisions:
        assert node.get(W + "author") == "Jane Reviewer"
        assert node.get(W + "date") == "2026-07-01T09:30:00Z"
    ids = [node.get(W + "id") for node in revisions]
    assert len(ids) == len(set(ids))
    deleted = "".join(node.text for node in root.iter(W + "delText"))
    inserted = "".join(t.text for node in root.iter(W + "ins") for t in node.iter(W + "t"))
    assert "thirty" in deleted and "fifteen" in inserted
    assert "fifteen days of the invoice" not in inserted  # word level: only the changed word
    settings = zipfile.ZipFile(io.BytesIO(render_docx(diff))).read("word/settings.xml")
    assert b"<w:trackRevisions/>" in settings  # the reviewer's own edits are tracked too


def test_chinese_changes_are_character_level():
    diff = diff_texts(OLD_ZH, NEW_ZH, DocumentRef("old.txt"), DocumentRef("new.txt"))
    changed = [c for c in diff.changes if c.status == "modified"]
    root = document_xml(render_docx(diff))
    inserted = ["".join(t.text for t in node.iter(W + "t")) for node in root.iter(W + "ins")]
    wanted = [text for change in changed for op, text in change.ops if op == "+"]
    assert wanted and all(text in inserted for text in wanted)
    assert all(len(text) < 20 for text in wanted)


def test_a_moved_clause_is_a_named_move_at_both_places():
    diff = english_diff()  # "4. Liability" moved (and renumbered to 5.)
    root = document_xml(render_docx(diff))
    starts = {kind: [node.get(W + "name") for node in root.iter(W + f"{kind}RangeStart")]
              for kind in ("moveFrom", "moveTo")}
    assert starts["moveFrom"] == starts["moveTo"] == ["move1"]
    for kind in ("moveFrom", "moveTo"):
        start = next(root.iter(W + f"{kind}RangeStart"))
        assert [end.get(W + "id") for end in root.iter(W + f"{kind}RangeEnd")] == [start.get(W + "id")]
    moved_from = "".join(node.text for mark in root.iter(W + "moveFrom") for node in mark.iter(W + "delText"))
    moved_to = "".join(node.text for mark in root.iter(W + "moveTo") for node in mark.iter(W + "t"))
    assert "Our liability is limited" in moved_from and "Our liability is limited" in moved_to
    # the old number is deleted at the old place, the new one inserted at the new place
    deleted = ["".join(t.text for t in node.iter(W + "delText")) for node in root.iter(W + "del")]
    inserted = ["".join(t.text for t in node.iter(W + "t")) for node in root.iter(W + "ins")]
    assert "4." in deleted and "5." in inserted and "4." not in moved_from and "5." not in moved_to


def test_a_renumbered_clause_shows_only_its_number_changed():
    diff = english_diff()
    fees = next(c for c in diff.changes if c.new is not None and c.new.heading == "Fees")
    assert exact_ops(fees) == [("-", "2."), ("+", "3."), ("=", " Fees\n\nFees are due within thirty days of "
                                                                "the invoice.")]


def test_exact_ops_repair_what_the_inline_diff_leaves_out():
    """The differ drops a deleted space and writes kept text as in the new text (full-width
    brackets equal half-width ones): the redline must still give back both texts exactly."""
    diff = english_diff()
    spaced = next(c for c in diff.changes if c.old is not None and c.old.text.endswith("choose ."))
    ops = exact_ops(spaced)
    assert "".join(text for op, text in ops if op != "+") == "3. Data is stored in the region you choose ."
    assert "".join(text for op, text in ops if op != "-") == "4. Data is stored in the region you choose."
    widths = diff_texts("1.1 付款期限为三十（30）日。\n\n1.2 用户可随时解除。\n",
                        "1.1 付款期限为三十(30)日。\n\n1.2 用户不得解除。\n", DocumentRef("a"), DocumentRef("b"))
    change = next(c for c in widths.changes if c.new is not None and c.new.label == "1.1")
    ops = exact_ops(change)
    assert "".join(text for op, text in ops if op != "+") == "1.1 付款期限为三十（30）日。"
    assert "".join(text for op, text in ops if op != "-") == "1.1 付款期限为三十(30)日。"


def test_title_block_states_both_versions_and_their_effective_dates():
    paragraphs = revised_paragraphs(render_docx(english_diff(), date=WHEN), accept=True)
    assert paragraphs[0] == "Redline: Cloud Trial Agreement"
    assert paragraphs[1] == 'Old version: trial@v1 "Cloud Trial Agreement" (version 1, effective 2025-01-01)'
    assert paragraphs[2] == 'New version: trial@v2 "Cloud Trial Agreement" (version 2, effective 2025-03-01)'
    assert paragraphs[3].startswith("Changes: 1 added, 1 removed, 2 modified, 1 moved, 3 renumbered")
    assert paragraphs[4].startswith(f"Tracked changes by {DEFAULT_AUTHOR}, 2026-07-01 09:30 UTC.")
    plain = diff_texts(OLD_EN, NEW_EN, DocumentRef("old.md"), DocumentRef("new.md"))
    lines = revised_paragraphs(render_docx(plain), accept=False)
    assert lines[1] == "Old version: old.md (not a published version: no effective date recorded)"
    chinese = revised_paragraphs(render_docx(chinese_diff()), accept=True)
    assert chinese[0] == "修订对照：试用协议" and chinese[3].startswith("变更：新增 1，删除 0，修改 1")


CONTROLS = "".join(chr(code) for code in (*range(0, 9), 11, 12, *range(14, 32), 0x7F, 0x85, 0x9B)) + "\ufffe\uffff"


def test_control_characters_anywhere_never_make_a_corrupt_file():
    old = f"# Title{CONTROLS}\n\n1. Fees{CONTROLS}\n\n1.1 Pay within thirty days.{CONTROLS}\n"
    new = f"# Title{CONTROLS}\n\n1. Fees{CONTROLS}\n\n1.1 Pay {CONTROLS} within fifteen days.\n"
    diff = diff_texts(old, new, DocumentRef(f"old{CONTROLS}", title=f"T{CONTROLS}"),
                      DocumentRef(f"new{CONTROLS}", title=f"T{CONTROLS}"))
    docx = render_docx(diff, author=f"A{CONTROLS}<&>\"'")
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8")
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]", text), name
    root = document_xml(docx)  # strict parse
    assert next(root.iter(W + "ins")).get(W + "author").startswith("A\u2400")
    case_old, case_new = [paragraph for paragraph in body(revised_paragraphs(docx, accept=False))], \
        body(revised_paragraphs(docx, accept=True))
    assert "within thirty days" in case_old[-1] and "within fifteen days" in case_new[-1]
    assert "\u241b" in case_new[-1]  # ESC shown as its symbol


def test_markup_in_any_field_stays_text():
    docx = render_docx(hostile_diff(), author="<w:body>&amp;")
    root = document_xml(docx)
    texts = "".join(node.text or "" for tag in ("t", "delText") for node in root.iter(W + tag))
    assert "<script>window.__pwned=1</script>" in texts
    assert next(root.iter(W + "ins")).get(W + "author") == "<w:body>&amp;"
    assert len(root.findall(f"{W}body")) == 1


def test_an_unchanged_pair_has_no_revision():
    diff = diff_texts(OLD_EN, OLD_EN, DocumentRef("a.md"), DocumentRef("b.md"))
    root = document_xml(render_docx(diff))
    assert not [node for tag in ("ins", "del", "moveFrom", "moveTo") for node in root.iter(W + tag)]


def test_output_is_the_same_for_the_same_input_and_date():
    diff = diff_of(SAMPLE_CASES[0])
    assert render_docx(diff, date=WHEN) == render_docx(diff, date=WHEN)


def test_a_clause_added_at_the_very_end_can_be_rejected():
    old, new = "1. Scope\n\n1.1 The first.\n", "1. Scope\n\n1.1 The first.\n\n1.2 The last one.\n"
    diff = diff_texts(old, new, DocumentRef("a"), DocumentRef("b"))
    docx = render_docx(diff)
    assert body(revised_paragraphs(docx, accept=False)) == ["1. Scope", "1.1 The first."]
    assert body(revised_paragraphs(docx, accept=True)) == ["1. Scope", "1.1 The first.", "1.2 The last one."]


def test_a_change_list_out_of_order_still_reads_as_both_texts():
    """A matched clause the differ did not flag as moved but that stands out of order is shown as a
    move, so that accepting and rejecting still give both orders."""
    diff = english_diff()
    for change in diff.changes:
        change.moved = False
    docx = render_docx(diff)
    olds = [p for c in sorted((c for c in diff.changes if c.old), key=lambda c: c.old.line)
            for p in _paragraphs(c.old)]
    assert body(revised_paragraphs(docx, accept=False)) == olds


def _paragraphs(clause):
    from clausewise.differ.render_docx import clause_paragraphs

    return clause_paragraphs(clause)


def test_exact_ops_of_added_and_removed_clauses():
    diff = english_diff()
    added = next(c for c in diff.changes if c.status == "added")
    assert exact_ops(added) == [("+", "2. Assignment\n\nThe Provider may assign this agreement to an affiliate "
                                      "after notice.")]
    removed = next(c for c in diff.changes if c.status == "removed")
    assert exact_ops(removed)[0][0] == "-"
    assert isinstance(removed, ClauseChange)


@pytest.mark.parametrize("case", SAMPLE_CASES[:6], ids=lambda case: case.name)
def test_clausewise_reads_its_own_redline_as_the_new_text_once_accepted(case):
    """The Word reader (clausewise.versions.readers) refuses the redline for its tracked changes,
    and reads it, accepted, as the new text: every numbered clause unchanged, in place, with its
    number; only the preamble differs, where the title block stands."""
    from clausewise.errors import ClausewiseError
    from clausewise.versions.readers import read_agreement_bytes

    docx = docx_of(case)
    with pytest.raises(ClausewiseError, match="unaccepted tracked changes"):
        read_agreement_bytes(docx, "redline.docx")
    text = read_agreement_bytes(docx, "redline.docx", accept_revisions=True).text
    diff = diff_texts(case.new, text, DocumentRef("new"), DocumentRef("redline.docx"))
    numbered = [change for change in diff.changes if (change.new or change.old).label]
    assert numbered and all(change.status == "unchanged" and not change.moved and not change.renumbered
                            for change in numbered)


def test_an_untitled_file_is_named_by_its_file_name_not_the_folder_it_sits_in():
    diff = diff_texts(OLD_EN, NEW_EN, DocumentRef("/home/reviewer/drafts/terms.md"),
                      DocumentRef("/home/reviewer/drafts/terms.v2.md"))
    paragraphs = revised_paragraphs(render_docx(diff, date=WHEN), accept=True)
    assert paragraphs[0] == "Redline: terms.v2.md"
