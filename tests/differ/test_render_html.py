"""The HTML redline as text: escaping, self-containment, structure, counts and labels."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from clausewise.differ.model import AgreementDiff, ClauseChange, DocumentRef
from clausewise.differ.render_html import LABELS, render_html, ui_language
from clausewise.errors import UsageProblem

from .conftest import INJECTIONS, chinese_diff, clause, document_diff, english_diff, hostile_diff


class Elements(HTMLParser):
    """Every start tag with its attributes, and the raw text of <style> and <script>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.raw[self._in].append(data)

    def by_id(self, element_id: str) -> tuple[str, dict[str, str | None]]:
        return next(tag for tag in self.tags if tag[1].get("id") == element_id)

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if attrs.get("id")]


def counts_shown(html: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r'data-count="([a-z-]+)">(\d+)<', html)}


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_summary_counts_equal_the_json_summary():
    diff = english_diff()
    shown = counts_shown(render_html(diff))
    expected = diff.to_dict()["summary"]
    assert {key: shown[key] for key in expected} == expected
    assert expected == {"added": 1, "removed": 1, "modified": 2, "unchanged": 4, "moved": 1,
                        "renumbered": 3}
    assert shown["typographic"] == 1


def test_injected_markup_in_every_field_is_escaped():
    html = render_html(hostile_diff())
    elements = Elements(html)
    assert [tag for tag, _ in elements.tags if tag in ("script", "img", "svg", "textarea")] == ["script"]
    assert not [attrs for _, attrs in elements.tags if any(name.startswith("on") for name in attrs)]
    for injection in INJECTIONS:
        assert injection not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;/textarea&gt;&lt;svg onload=&quot;window.__pwned=1&quot;&gt;" in html


def test_page_is_self_contained_and_csp_admits_only_its_own_style_and_script():
    html = render_html(english_diff())
    elements = Elements(html)
    assert not re.search(r"(?i)(https?:|//[a-z]|url\(|@import)", html)
    assert not [attrs for _, attrs in elements.tags if "src" in attrs]
    assert all(attrs["href"].startswith("#") for tag, attrs in elements.tags if "href" in attrs)
    csp = next(attrs["content"] for tag, attrs in elements.tags
               if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    (style,), (script,) = elements.raw["style"], elements.raw["script"]
    assert "default-src 'none'" in csp
    assert f"style-src {sha256_source(style)};" in csp
    assert f"script-src {sha256_source(script)};" in csp
    assert "</" not in style and "</" not in script


def test_inline_and_side_by_side_redlines_of_a_modified_clause():
    html = render_html(english_diff())
    assert "Either party may end the trial with <del>30</del><ins>15</ins> days&#x27; written notice." in html
    assert '<div class="text pane pane-old">Either party may end the trial with <del>30</del> days' in html
    assert '<div class="text pane pane-new">Either party may end the trial with <ins>15</ins> days' in html
    assert '<div class="text pane pane-old empty">(not in this text)</div>' in html  # the added clause


def test_changed_clauses_are_open_and_unchanged_ones_next_to_them_too():
    diff = english_diff()
    elements = Elements(render_html(diff))
    for index, change in enumerate(diff.changes, 1):
        tag, attrs = elements.by_id(f"c{index}")
        assert tag == "details"
        assert "open" in attrs, change  # each unchanged clause here is next to a change
        assert ("data-change" in attrs) == (change.status != "unchanged" or change.moved)


def test_unchanged_text_is_folded_to_its_first_line_and_long_stretches_to_one_line():
    diff = document_diff()
    html = render_html(diff)
    elements = Elements(html)
    ids = {(change.new_label or "").lstrip("#").strip(): f"c{index}"
           for index, change in enumerate(diff.changes, 1) if change.status != "removed"}
    opened = {label for label, anchor in ids.items()
              if elements.by_id(anchor)[0] == "details" and "open" in elements.by_id(anchor)[1]}
    # Changed clauses and one unchanged clause on each side of each change are open.
    assert opened == {"2.2", "2.3", "3.3", "3.4", "3.5", "5.4", "5.5", "5.6"}
    folded = re.search(r'<details class="clause st-unchanged lv\d" id="' + ids["2.4"] + r'".*?</details>', html, re.S).group(0)
    assert '<span class="preview">The fees terms, point 5: the Provider keeps record 25 for audit.</span>' in folded
    assert '<div class="text inline same">The fees terms, point 5' in folded  # the whole text, when unfolded
    runs = re.findall(r'<details class="run"><summary class="lv\d">(.*?)</summary>', html)
    assert runs == ["6 unchanged clauses, 1.1 to 1.6", "6 unchanged clauses, 4.1 to 4.6"]
    # Headings are the document's structure: never folded.
    assert re.search('<div class="clause st-unchanged lv\\d" id="' + ids["4."] + '" data-status="unchanged" tabindex="-1">', html)


def test_a_removed_clause_stands_where_it_stood_under_its_old_number():
    diff = document_diff()
    html = render_html(diff)
    main = html.split('<main id="clauses">', 1)[1]
    removed = main.index('<span class="label was">old 2.3</span>')
    assert main.index("2.2</span>") < removed < main.index('<span class="old-label">2.4</span>')
    changes_list = html.split('<nav id="changes"', 1)[1].split("</nav>", 1)[0]
    assert '<span class="label was">old 2.3</span>' in changes_list
    assert "原 2.3" in render_html(diff, lang="zh")


def test_change_list_gives_number_heading_badges_and_the_changed_words():
    diff = document_diff()
    diff.changes[19].new.heading = "Deletion of <records>"
    diff.changes[19].note = "inserted U+202E RIGHT-TO-LEFT OVERRIDE"
    changes_list = render_html(diff).split('<nav id="changes"', 1)[1].split("</nav>", 1)[0]
    items = re.findall(r"<li.*?</li>", changes_list)
    assert len(items) == 3
    assert ('<span class="label">3.4</span> <span class="heading">Deletion of &lt;records&gt;</span></a> '
            '<span class="badge b-modified">Modified</span>') in items[1]
    assert '<span class="note">inserted U+202E RIGHT-TO-LEFT OVERRIDE</span>' in items[1]
    assert ('<span class="excerpt">The data terms, point 4: the Provider <del>keeps</del><ins>deletes</ins> record '
            '34 for audit.</span>') in items[1]
    assert "<del>The fees terms, point 3: the Provider keeps record 23 for audit.</del>" in items[0]


def test_counts_tell_kinds_of_change_from_flags():
    html = render_html(english_diff())
    summary = html.split('<section id="summary"', 1)[1].split("</section>", 1)[0]
    kinds, flags = summary.split('<div class="count-row">')[1:]
    assert "Kinds of change: each of the 8 clauses has one" in kinds
    assert re.findall(r'data-count="([a-z]+)"', kinds) == ["added", "removed", "modified", "unchanged"]
    assert "Flags: on clauses of any kind" in flags
    assert re.findall(r'data-count="([a-z]+)"', flags) == ["moved", "renumbered", "typographic"]
    shown = counts_shown(html)
    assert sum(shown[key] for key in ("added", "removed", "modified", "unchanged")) == 8


def test_contents_are_closed_and_lists_are_not_numbered_twice():
    html = render_html(english_diff())
    assert '<details id="contents">' in html
    assert '<ul class="toc">' in html and '<ul class="change-list">' in html
    assert "<ol" not in html


def test_chinese_page_names_topics_in_chinese():
    diff = chinese_diff()
    diff.changes[1].tags = ["assignment", "notice", "fees", "governing-law", "custom-topic"]
    html = render_html(diff)
    assert ('<p class="tags">主题: <span class="tag">转让</span> <span class="tag">通知</span> '
            '<span class="tag">费用</span> <span class="tag">适用法律</span> <span class="tag">custom-topic</span> </p>') in html
    assert '<span class="tag">governing law</span>' in render_html(diff, lang="en")


def test_note_is_shown_with_the_clause():
    diff = english_diff()
    diff.changes[1].note = "replaced U+0430 CYRILLIC SMALL LETTER A <with> U+0061"
    html = render_html(diff)
    assert '<p class="note">replaced U+0430 CYRILLIC SMALL LETTER A &lt;with&gt; U+0061</p>' in html


def test_moved_clause_is_shown_at_both_places_with_links_both_ways():
    html = render_html(english_diff())
    ids = Elements(html).ids()
    clause_ids = [i for i in ids if re.fullmatch(r"c\d+(-was)?", i)]
    # The liability clause (c6) moved from between "data" (c5) and "support" (c7) in the old text.
    assert clause_ids == ["c1", "c2", "c3", "c4", "c5", "c6-was", "c6", "c7", "c8"]
    stub = re.search(r'<div class="stub lv1" id="c6-was".*?</div>', html, re.S).group(0)
    assert 'Moved to <a href="#c6">5.</a>' in stub
    assert '<p class="moved-from">Moved from <a href="#c6-was">4.</a></p>' in html


def test_renumbering_alone_is_labelled_but_not_listed_as_a_change():
    html = render_html(english_diff())
    changes_list = html.split('<nav id="changes"', 1)[1].split("</nav>", 1)[0]
    assert "Fees" not in changes_list
    fees = re.search(r'<details class="clause st-unchanged lv1" id="c4".*?</summary>', html, re.S).group(0)
    assert '<span class="old-label">2.</span> <span aria-hidden="true">→</span> 3.' in fees
    assert '<span class="badge b-renumbered">Renumbered</span>' in fees
    assert "b-unchanged" not in fees


def test_typographic_change_is_flagged_non_substantive():
    html = render_html(english_diff())
    data = re.search(r'id="c5".*?</summary>', html, re.S).group(0)
    assert '<span class="badge b-typographic">Typographic only</span>' in data
    first = re.search(r'id="c2".*?</summary>', html, re.S).group(0)
    assert "b-typographic" not in first


def test_heading_change_is_shown():
    diff = english_diff()
    diff.changes[1].new.heading = "Duration"
    html = render_html(diff)
    assert '<p class="heading-change">Heading: <del>Term</del> <ins>Duration</ins></p>' in html


def test_missing_ops_fall_back_to_whole_texts():
    diff = AgreementDiff(DocumentRef("a.txt"), DocumentRef("b.txt"), [
        ClauseChange("modified", clause("1.", "Old words."), clause("1.", "New words."), ops=[]),
    ])
    assert "<del>Old words.</del><ins>New words.</ins>" in render_html(diff)


def test_no_changes_says_so():
    same = clause("1.", "Nothing changes here.")
    diff = AgreementDiff(DocumentRef("a.txt"), DocumentRef("b.txt"),
                         [ClauseChange("unchanged", same, same, ops=[("=", same.text)])])
    html = render_html(diff)
    assert LABELS["en"]["no_changes"] in html
    assert not [attrs for _, attrs in Elements(html).tags if "data-change" in attrs]


def test_ui_language_detected_from_the_new_text_or_given():
    assert ui_language(english_diff()) == "en"
    assert ui_language(chinese_diff()) == "zh"
    assert ui_language(english_diff(), "zh-CN") == "zh"
    assert ui_language(chinese_diff(), "EN_gb") == "en"
    assert ui_language(chinese_diff(), "auto") == "zh"
    html = render_html(chinese_diff())
    assert '<html lang="zh-CN">' in html
    assert '<span class="badge b-added">新增</span>' in html
    assert "<del>三十日</del><ins>十五个工作日</ins>" in html


def test_unknown_ui_language_is_a_usage_problem():
    with pytest.raises(UsageProblem, match=r"unknown HTML language 'fr'.*en, zh"):
        render_html(english_diff(), lang="fr")


def test_labels_exist_in_both_languages_and_never_shadow_dict_methods():
    assert LABELS["en"].keys() == LABELS["zh"].keys()
    assert not [key for key in LABELS["en"] if hasattr(dict, key)]
    assert all(value.strip() for labels in LABELS.values() for value in labels.values())


def test_rendering_is_deterministic():
    assert render_html(english_diff()) == render_html(english_diff())


def test_large_diff_renders_every_clause():
    changes = []
    for index in range(1, 2001):
        text = f"Clause {index} says the Provider gives notice within {index % 30 + 1} days."
        old, new = clause(f"{index}.", text, line=index), clause(f"{index}.", text, line=index)
        if index % 20:
            changes.append(ClauseChange("unchanged", old, new, ops=[("=", text)]))
        else:
            changes.append(ClauseChange("modified", old, new, ops=[("=", text[:-5]), ("-", "days."),
                                                                   ("+", "weeks.")]))
    html = render_html(AgreementDiff(DocumentRef("a"), DocumentRef("b"), changes))
    assert html.count('<details class="clause') == 2000
    assert html.count('<div class="text inline same">') == 1900  # unchanged text is written once
    assert html.count("<ins>weeks.</ins>") == 100 * 3  # change list, inline view and the new pane
    assert counts_shown(html)["modified"] == 100


def test_parent_label_shown_only_where_a_label_repeats():
    items = [clause("第一条", "双方的权利义务如下。", line=1)]
    for line, (article, item, text) in enumerate([("第一条", "（一）", "按时付费。"), ("第二条", "（一）", "按时交付。")], 2):
        items.append(clause(item, text, line=line, parents=(article,)))
    diff = AgreementDiff(DocumentRef("a.txt"), DocumentRef("b.txt"),
                         [ClauseChange("unchanged", c, c, ops=[("=", c.text)]) for c in items])
    html = render_html(diff)
    assert '<span class="crumb">第一条</span> <span class="label">（一）</span>' in html
    assert '<span class="crumb">第二条</span> <span class="label">（一）</span>' in html
    assert '<span class="label">第一条</span>' in html  # unique: no crumb
    assert html.count('class="crumb"') == 2 * 2  # contents and clause, for each repeated item


def test_same_titles_are_told_apart_by_their_refs():
    diff = english_diff()
    diff.old.version = diff.new.version = None
    html = render_html(diff)
    assert "<title>Redline: Cloud Trial Agreement (trial@v1) → Cloud Trial Agreement (trial@v2)</title>" in html


def test_document_table_shows_versions_and_dates_only_when_known():
    html = render_html(english_diff())
    assert "<tr><th scope=\"row\">Effective</th><td>2025-01-01</td><td>2025-03-01</td></tr>" in html
    diff = english_diff()
    diff.old.effective = diff.new.effective = None
    assert ">Effective<" not in render_html(diff)


def test_two_empty_texts_render_a_page_that_says_nothing_changed():
    html = render_html(AgreementDiff(DocumentRef("empty-a.txt"), DocumentRef("empty-b.txt"), []))
    assert LABELS["en"]["no_changes"] in html
    assert counts_shown(html) == {"added": 0, "removed": 0, "modified": 0, "moved": 0, "renumbered": 0,
                                  "unchanged": 0, "typographic": 0}
