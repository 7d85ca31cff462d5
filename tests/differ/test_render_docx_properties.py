"""Property: for any pair of agreements, accepting every tracked change of the Word redline gives
the new text and rejecting every one gives the old, clause by clause (on the XML). Agreements are
drawn as numbered sections and clauses of words in several scripts, with tabs, odd spaces, control
and full-width characters; the new version deletes, inserts, moves, edits and re-spaces lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from .docx_cases import Case, assert_same_text, body, docx_of, expected_paragraphs
from .docx_revisions import revised_paragraphs

WORDS = ["fee", "fees", "notice", "days", "thirty", "fifteen", "Provider", "Customer", "assign", "data",
         "费用", "通知", "三十日", "十五个工作日", "（一）", "(一)", "７.３", "7.3", "第三条", "50%"]
ODD = ["\t", "\u3000", "\u00a0", "\u200b", "\x1b[2J", "\x00", "\x7f", "\x85", "&", "<w:t>", '"', "\r"]
word = st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), st.text(min_size=1, max_size=4))
sentence = st.lists(word, min_size=1, max_size=12).map(" ".join)


@st.composite
def agreement_lines(draw) -> list[str]:
    lines = [draw(st.sampled_from(["# Agreement", "Preamble " + draw(sentence), ""]))]
    for section in range(1, draw(st.integers(1, 4)) + 1):
        lines.append(f"## {section}. {draw(st.sampled_from(['Fees', 'Data', '定义', 'General']))}")
        for clause in range(1, draw(st.integers(0, 4)) + 1):
            label = draw(st.sampled_from([f"{section}.{clause}", f"({chr(96 + clause)})", f"第{clause}条"]))
            lines.append(f"{label} {draw(sentence)}")
    return lines


@st.composite
def pairs(draw) -> Case:
    old = draw(agreement_lines())
    new = list(old)
    for _ in range(draw(st.integers(0, 6))):
        if not new:
            break
        at = draw(st.integers(0, len(new) - 1))
        action = draw(st.sampled_from(["delete", "insert", "move", "edit", "space"]))
        if action == "delete":
            del new[at]
        elif action == "insert":
            new.insert(at, f"{draw(st.sampled_from(['9.9', '1.1', '(z)', '第九条']))} {draw(sentence)}")
        elif action == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(at))
        elif action == "edit":
            new[at] = new[at] + " " + draw(sentence)
        else:
            new[at] = new[at].replace(" ", draw(st.sampled_from(["  ", "\n", " \u3000"])), 1)
    separator = draw(st.sampled_from(["\n\n", "\n"]))
    return Case("generated", separator.join(old) + "\n", separator.join(new) + "\n")


@settings(deadline=None)
@given(pairs())
def test_accept_all_and_reject_all_give_both_texts(case):
    old, new = expected_paragraphs(case)
    docx = docx_of(case)
    assert_same_text(case, body(revised_paragraphs(docx, accept=True)), new, "new")
    assert_same_text(case, body(revised_paragraphs(docx, accept=False)), old, "old")
