"""What counts as a change: layout is not one, a heading's edit is shown, hidden edits are named."""

from __future__ import annotations

import json

from clausewise.differ import diff_texts, render_html, render_json, render_markdown, render_text
from clausewise.differ.inline import _CODE_CAPACITY, inline_ops
from clausewise.differ.model import DocumentRef

OLD, NEW = DocumentRef("old.md"), DocumentRef("new.md")


def _diff(old: str, new: str):
    return diff_texts(old, new, OLD, NEW)


def _only(diff, label: str):
    return next(c for c in diff.changes if c.new_label == label or c.old_label == label)


def _visible(ops) -> bool:
    return any(op != "=" for op, _ in ops or [])


BASE = """# Hosting Terms

1. The host keeps backups of every mailbox for thirty days after deletion.

2. Support answers tickets within one working day of receipt.
"""


def test_a_paragraph_break_alone_is_not_a_change():
    new = BASE.replace("every mailbox for thirty days", "every mailbox\n\nfor thirty days")
    change = _only(_diff(BASE, new), "1.")
    assert change.status == "unchanged" and not change.substantive
    assert _diff(BASE, new).summary()["modified"] == 0


def test_a_word_glued_at_a_former_line_break_is_not_a_change():
    old = BASE.replace("one working day", "one work\ning day")
    change = _only(_diff(old, BASE), "2.")
    assert change.status == "unchanged"


def test_a_space_inside_a_link_is_not_a_change():
    old = BASE.replace("every mailbox", "every [mailbox](https://example.test/mail )")
    new = BASE.replace("every mailbox", "every [mailbox](https://example.test/mail)")
    assert _only(_diff(old, new), "1.").status == "unchanged"


def test_the_length_of_a_setext_underline_is_not_a_change():
    old = "Hosting Terms\n=============\n\nThe host keeps backups of every mailbox.\n"
    new = "Hosting Terms\n=====\n\nThe host keeps backups of every mailbox.\n"
    diff = _diff(old, new)
    assert [c.status for c in diff.changes] == ["unchanged"] * len(diff.changes)


def test_a_double_hyphen_dash_is_text_not_an_underline():
    new = BASE.replace("every mailbox for thirty days", "every mailbox -- for thirty days")
    change = _only(_diff(BASE, new), "1.")
    assert change.status == "modified" and ("+", "--") in [(op, text.strip()) for op, text in change.ops]


def test_a_visible_edit_next_to_a_layout_change_is_still_a_change():
    new = BASE.replace("every mailbox for thirty days", "every mailbox\n\nfor sixty days")
    change = _only(_diff(BASE, new), "1.")
    assert change.status == "modified" and ("+", "sixty") in change.ops


def test_the_same_rule_holds_in_every_output():
    new = BASE.replace("every mailbox for thirty days", "every mailbox\n\nfor thirty days")
    diff = _diff(BASE, new)
    data = json.loads(render_json(diff))
    assert data["summary"]["modified"] == 0
    assert "mailbox" not in render_text(diff, context="none")
    assert "mailbox" not in render_markdown(diff, context="none")
    assert '<span class="num" data-count="modified">0</span>' in render_html(diff)


HEADED = """# Repository Rules

## 1. Control of Private Repositories.

Owners decide who may read a private repository.

## 2. Deletion

Deleted repositories are kept for ninety days.
"""


def test_a_heading_edit_is_shown_in_heading_ops():
    new = HEADED.replace("Control of Private Repositories.", "Control of Private Repositories")
    change = _only(_diff(HEADED, new), "1.")
    assert change.status == "modified"
    assert change.heading_ops == [("=", "Control of Private Repositories"), ("-", ".")]
    entry = next(e for e in json.loads(render_json(_diff(HEADED, new)))["changes"] if e["new_label"] == "1.")
    assert entry["heading_ops"] == [["=", "Control of Private Repositories"], ["-", "."]]


def test_every_counted_change_is_visible():
    new = (HEADED.replace("Control of Private", "Control of Internal")
           .replace("ninety days", "ninety\n\ndays"))
    diff = _diff(HEADED, new)
    for change in diff.changes:
        if change.status == "modified":
            assert _visible(change.ops) or _visible(change.heading_ops) or change.note


def test_unchanged_heading_has_no_heading_ops():
    new = HEADED.replace("ninety days", "sixty days")
    change = _only(_diff(HEADED, new), "2.")
    assert change.status == "modified" and change.heading_ops is None
    assert json.loads(render_json(_diff(HEADED, new)))["changes"][-1]["heading_ops"] is None


PARTIES = """# Reseller Agreement

1. Payments go to Acme Trading Ltd at the account named in the order.

2. Notices go to the address of Acme Trading Ltd in the order.
"""


def test_an_inserted_right_to_left_override_is_substantive_and_named():
    new = PARTIES.replace("Acme Trading Ltd at", "Acme Trading Ltd\u202e at")
    diff = _diff(PARTIES, new)
    change = _only(diff, "1.")
    assert change.status == "modified" and change.substantive
    assert change.note == "inserted U+202E RIGHT-TO-LEFT OVERRIDE"
    assert "inserted U+202E RIGHT-TO-LEFT OVERRIDE" in render_text(diff)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in render_markdown(diff)
    assert '<p class="note">inserted U+202E RIGHT-TO-LEFT OVERRIDE</p>' in render_html(diff)
    entry = json.loads(render_json(diff))["changes"][1]
    assert entry["note"] == "inserted U+202E RIGHT-TO-LEFT OVERRIDE" and entry["substantive"] is True


def test_a_removed_bidi_isolate_is_named():
    old = PARTIES.replace("Acme Trading Ltd in", "\u2067Acme Trading Ltd\u2069 in")
    change = _only(_diff(old, PARTIES), "2.")
    assert change.substantive
    assert change.note == "removed U+2067 RIGHT-TO-LEFT ISOLATE; removed U+2069 POP DIRECTIONAL ISOLATE"


def test_latin_letters_swapped_for_cyrillic_look_alikes_are_named():
    new = PARTIES.replace("Payments go to Acme", "Payments go to \u0410cm\u0435")
    change = _only(_diff(PARTIES, new), "1.")
    assert change.status == "modified" and change.substantive
    assert change.note == ('look-alike letters: "Acme" became "\u0410cm\u0435" '
                           "(U+0410 CYRILLIC CAPITAL LETTER A for A, U+0435 CYRILLIC SMALL LETTER IE for e)")


def test_a_new_clause_with_mixed_script_names_is_noted():
    new = PARTIES + "\n3. Refunds go to \u0410cme Trading Ltd.\n"
    change = _only(_diff(PARTIES, new), "3.")
    assert change.status == "added"
    assert change.note == 'look-alike letters in "\u0410cme" (U+0410 CYRILLIC CAPITAL LETTER A for A)'


def test_cyrillic_text_of_its_own_is_not_a_look_alike():
    old = PARTIES + "\n3. Язык договора: английский.\n"
    new = PARTIES + "\n3. Язык договора: русский.\n"
    change = _only(_diff(old, new), "3.")
    assert change.status == "modified" and change.note is None


def test_a_zero_width_space_is_still_no_change():
    new = PARTIES.replace("Acme Trading", "Acme\u200b Trading")
    assert _only(_diff(PARTIES, new), "1.").status == "unchanged"


def test_more_distinct_words_than_private_use_codes_still_diffs():
    words = [f"w{number}" for number in range(_CODE_CAPACITY + 10)]
    old = " ".join(words)
    new = " ".join(words[:-1] + ["changed"])
    ops = inline_ops(old, new)
    assert ops[-2:] == [("-", words[-1]), ("+", "changed")]
    assert "".join(text for op, text in ops if op != "-") == new
    assert "".join(text for op, text in ops if op != "+") == old


def test_a_clause_with_131k_distinct_words_diffs_without_error():
    words = " ".join(f"term{number}" for number in range(132_000))
    diff = _diff(f"# Glossary\n\n1. {words}\n", f"# Glossary\n\n1. {words} end\n")
    change = _only(diff, "1.")
    assert change.status == "modified" and change.ops[-1] == ("+", " end")
