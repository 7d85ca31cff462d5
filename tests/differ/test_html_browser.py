"""The HTML redline in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from clausewise.differ.render_html import render_html

from .conftest import INJECTIONS, chinese_diff, document_diff, english_diff, hostile_diff

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))
STATUS_KEYS = ("added", "removed", "modified", "moved", "renumbered", "unchanged")


def click_in_place(page, selector: str) -> None:
    """Click with the mouse where the element is now (Playwright's click may scroll first)."""
    box = page.locator(selector).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_page_loads_cleanly_offline_and_shows_the_json_counts(open_html):
    diff = english_diff()
    loaded = open_html(render_html(diff))
    page = loaded.page
    assert loaded.errors == []
    assert loaded.requests == []
    summary = diff.to_dict()["summary"]
    shown = {key: int(page.inner_text(f'#summary [data-count="{key}"]')) for key in STATUS_KEYS}
    assert shown == {key: summary[key] for key in STATUS_KEYS}
    labels = page.inner_text("#summary")
    for word in ("Added", "Removed", "Modified", "Moved", "Renumbered", "Unchanged"):
        assert word in labels
    assert page.title() == "Redline: Cloud Trial Agreement v1 → Cloud Trial Agreement v2"


def test_injected_markup_never_executes_and_reads_as_text(open_html):
    loaded = open_html(render_html(hostile_diff()))
    page = loaded.page
    page.click("text=Side by side")
    page.emulate_media(media="print")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, svg, textarea, iframe').length") == 0
    assert page.evaluate("document.scripts.length") == 1
    assert loaded.errors == []
    assert loaded.requests == []
    body = page.inner_text("body")
    for injection in INJECTIONS:
        assert injection in body
    assert INJECTIONS[0] in page.title()


def test_side_by_side_view_shows_both_panes(open_html):
    page = open_html(render_html(english_diff())).page
    modified = "#c2"
    assert page.is_visible(f"{modified} .inline")
    assert not page.is_visible(f"{modified} .pane-old")
    page.click("text=Side by side")
    assert not page.is_visible(f"{modified} .inline")
    old_pane, new_pane = page.locator(f"{modified} .pane-old"), page.locator(f"{modified} .pane-new")
    assert old_pane.is_visible() and new_pane.is_visible()
    assert old_pane.inner_html() == "Either party may end the trial with <del>30</del> days' written notice."
    assert new_pane.inner_html() == "Either party may end the trial with <ins>15</ins> days' written notice."
    old_box, new_box = old_pane.bounding_box(), new_pane.bounding_box()
    assert old_box["x"] + old_box["width"] <= new_box["x"]  # side by side, old on the left
    assert old_box["y"] == new_box["y"]  # rows of one clause line up, so the panes scroll together
    assert page.inner_text("#c3 .pane-old") == "(not in this text)"
    # an unchanged clause reads the same on both sides: shown once
    assert page.is_visible("#c8 .inline") and page.locator("#c8 .pane").count() == 0


def test_print_view_expands_folded_clauses_and_hides_controls(open_html):
    diff = document_diff()
    page = open_html(render_html(diff)).page
    folded = f"#c{[c.new_label for c in diff.changes].index('4.2') + 1}"  # inside the folded 4.1 to 4.6
    assert page.evaluate(f"document.querySelector('{folded}').closest('details.run').open") is False
    assert not page.is_visible(f"{folded} .inline")
    assert page.is_visible(".toolbar")
    page.emulate_media(media="print")
    assert page.is_visible(f"{folded} .inline")
    assert page.inner_text(f"{folded} .inline") == "The support terms, point 2: the Provider keeps record 42 for audit."
    assert not page.is_visible(f"{folded} .preview")  # the text once, not its first line again
    assert not page.is_visible(".toolbar") and not page.is_visible(".run > summary")
    page.emulate_media(media="screen")
    page = open_html(render_html(english_diff()), name="en.html").page
    page.emulate_media(media="print")
    marker = page.evaluate("getComputedStyle(document.querySelector('#c2 .inline ins'), '::before').content")
    assert marker == '"[+"'


def test_insertions_and_deletions_are_announced_not_only_coloured(open_html):
    page = open_html(render_html(english_diff())).page
    style = "([sel, pseudo]) => getComputedStyle(document.querySelector(sel), pseudo).content"
    assert page.evaluate(style, ["#c2 .inline ins", "::before"]) == '" [insertion start] "'
    assert page.evaluate(style, ["#c2 .inline del", "::after"]) == '" [deletion end] "'
    decoration = "(sel) => getComputedStyle(document.querySelector(sel)).textDecorationLine"
    assert page.evaluate(decoration, "#c2 .inline ins") == "underline"
    assert page.evaluate(decoration, "#c2 .inline del") == "line-through"


def test_n_and_p_keys_step_through_the_changes(open_html):
    page = open_html(render_html(english_diff())).page
    page.set_viewport_size({"width": 1000, "height": 500})
    order = page.evaluate("[...document.querySelectorAll('main [data-change]')].map(e => e.id)")
    assert order == ["c2", "c3", "c5", "c6-was", "c6", "c7"]
    visited = []
    for key in "nnnnnnn":
        page.keyboard.press(key)
        visited.append(page.evaluate("document.querySelector('.current').id"))
    assert visited == order + ["c7"]  # stays on the last change
    page.keyboard.press("p")
    assert page.evaluate("document.querySelector('.current').id") == "c6"
    assert page.inner_text("#change-position") == "5 / 6"
    in_view = page.evaluate("(() => { const r = document.querySelector('.current').getBoundingClientRect();"
                            " return r.top >= 0 && r.top < innerHeight; })()")
    assert in_view
    click_in_place(page, "#next-change")
    assert page.evaluate("document.querySelector('.current').id") == "c7"


def test_n_continues_from_where_the_reader_scrolled(open_html):
    page = open_html(render_html(english_diff())).page
    page.set_viewport_size({"width": 1000, "height": 500})
    page.click("#contents > summary")
    page.click("#contents a[href='#c5']")
    page.keyboard.press("n")
    assert page.evaluate("document.querySelector('.current').id") == "c6-was"
    click_in_place(page, "label:has(#view-side)")
    page.keyboard.press("n")
    current = page.evaluate("(() => { const r = document.querySelector('.current').getBoundingClientRect();"
                            " return [document.querySelector('.current').id, r.top]; })()")
    sticky_bottom = page.evaluate("document.querySelector('.pane-titles').getBoundingClientRect().bottom")
    assert current[0] == "c6"
    assert current[1] >= sticky_bottom  # not hidden under the toolbar and the pane titles


def test_moved_clause_links_between_its_two_places(open_html):
    page = open_html(render_html(english_diff())).page
    page.click("#c6-was a")
    assert page.evaluate("location.hash") == "#c6"
    page.click("#c6 .moved-from a")
    assert page.evaluate("location.hash") == "#c6-was"


def test_works_without_javascript(open_html):
    diff = document_diff()
    loaded = open_html(render_html(diff), java_script=False)
    page = loaded.page
    assert loaded.errors == []
    assert not page.is_visible("#next-change")  # the JS-only controls stay hidden
    modified = f"#c{[c.status for c in diff.changes].index('modified') + 1}"
    assert page.is_visible(f"{modified} .inline ins")
    folded = f"#c{[c.new_label for c in diff.changes].index('2.4') + 1}"
    assert page.is_visible(f"{folded} .preview") and not page.is_visible(f"{folded} .inline")
    page.click(f"{folded} > summary")
    assert page.is_visible(f"{folded} .inline") and not page.is_visible(f"{folded} .preview")
    page.click("#contents > summary")
    assert page.is_visible("#contents .toc")
    page.click("text=Side by side")
    assert page.is_visible(f"{modified} .pane-new")


def test_first_change_is_near_the_top_and_unchanged_text_is_readable(open_html):
    diff = document_diff()
    page = open_html(render_html(diff)).page
    page.set_viewport_size({"width": 1280, "height": 800})
    first = page.evaluate("document.querySelector('main [data-change]').getBoundingClientRect().top")
    assert first < 600
    assert not page.is_visible("#contents .toc")  # the contents are closed
    near = f"#c{[c.new_label for c in diff.changes].index('3.3') + 1}"  # next to the change in 3.4
    assert page.inner_text(f"{near} .inline") == "The data terms, point 3: the Provider keeps record 33 for audit."
    colour = page.evaluate(f"getComputedStyle(document.querySelector('{near} .inline')).color")
    assert colour != page.evaluate("getComputedStyle(document.body).color")  # dimmed, not hidden
    assert page.evaluate(f"getComputedStyle(document.querySelector('{near} .inline')).opacity") == "1"


def test_contents_link_into_a_fold_opens_it(open_html):
    diff = document_diff()
    page = open_html(render_html(diff)).page
    page.set_viewport_size({"width": 1280, "height": 800})
    target = f"c{[c.new_label for c in diff.changes].index('1.4') + 1}"
    page.click("#contents > summary")
    page.click(f"#contents a[href='#{target}']")
    assert page.evaluate(f"document.getElementById('{target}').closest('details.run').open") is True
    top = page.evaluate(f"document.getElementById('{target}').getBoundingClientRect().top")
    assert 0 <= top < 800


def test_expand_all_and_collapse_unchanged(open_html):
    page = open_html(render_html(document_diff())).page
    closed = "document.querySelectorAll('details.clause:not([open]), details.run:not([open])').length"
    assert page.evaluate(closed) > 0
    page.click("#expand-all")
    assert page.evaluate(closed) == 0
    page.click("#collapse-unchanged")
    assert page.evaluate("document.querySelectorAll('details[data-change]:not([open])').length") == 0
    assert page.evaluate("document.querySelectorAll('details.run[open]').length") == 0


def test_chinese_page_uses_chinese_labels(open_html):
    loaded = open_html(render_html(chinese_diff()))
    page = loaded.page
    assert loaded.errors == []
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "新增" in page.inner_text("#summary")
    assert page.inner_text("#c1 .inline del") == "三十日"
    assert page.inner_text("#c1 .inline ins") == "十五个工作日"
    marker = page.evaluate("getComputedStyle(document.querySelector('#c1 .inline ins'), '::before').content")
    assert marker == '"［插入开始］"'
    diff = chinese_diff()
    diff.changes[1].tags = ["assignment", "fees"]
    page = open_html(render_html(diff), name="zh-tags.html").page
    assert page.inner_text("#c2 .tags").split() == ["主题:", "转让", "费用"]
    assert page.inner_text("#summary").count("变更类型") == 1


OLD_AGREEMENT = """\
# Hosting Trial Agreement

## 1. Service

1.1 The Provider hosts the Customer's website for the trial period.
1.2 The trial period is thirty days from the start date.
1.3 Support is available by email on working days.

## 2. Termination

2.1 Either party may end the trial at any time by written notice.
2.2 The Provider deletes the Customer's files within ten days after the trial ends.
2.3 Sections that by their nature survive termination continue to apply.
"""

NEW_AGREEMENT = """\
# Hosting Trial Agreement

## 1. Service

1.1 The Provider hosts the Customer's website for the trial period.
1.2 The trial period is fourteen days from the start date.
1.3 Support is available by email on working days.
1.4 Notes for reviewers: <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">

## 2. Termination

2.1 Sections that by their nature survive termination continue to apply.
2.2 Either party may end the trial at any time by written notice.
"""


def test_cli_diff_html_end_to_end(tmp_path, open_html):
    """``clausewise diff --format html`` as a user runs it: a whole process, then the browser."""
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(OLD_AGREEMENT, encoding="utf-8")
    new.write_text(NEW_AGREEMENT, encoding="utf-8")
    as_json = subprocess.run([CLAUSEWISE, "diff", str(old), str(new), "--format", "json"],
                             capture_output=True, text=True, check=False)
    assert as_json.returncode == 0, as_json.stderr
    summary = json.loads(as_json.stdout)["summary"]
    out = tmp_path / "redline.html"
    as_html = subprocess.run([CLAUSEWISE, "diff", str(old), str(new), "--format", "html", "-o", str(out)],
                             capture_output=True, text=True, check=False)
    assert as_html.returncode == 0, as_html.stderr
    loaded = open_html(out.read_text(encoding="utf-8"), name="cli.html")
    page = loaded.page
    assert loaded.errors == [] and loaded.requests == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    shown = {key: int(page.inner_text(f'#summary [data-count="{key}"]')) for key in STATUS_KEYS}
    assert shown == {key: summary[key] for key in STATUS_KEYS}
    assert summary["added"] >= 1 and summary["removed"] >= 1 and summary["modified"] >= 1
    assert '<script>window.__pwned=1</script>' in page.inner_text("main")
    assert page.locator("main del").first.inner_text() == "thirty"
    assert page.locator("main ins").first.inner_text() == "fourteen"


def test_seed_agreement_redline_in_chinese(corpus_path, tmp_path, open_html):
    from clausewise.differ import diff_texts
    from clausewise.differ.model import DocumentRef

    old_text = corpus_path.read_text(encoding="utf-8")
    new_text = old_text.replace("阿里云", "某云服务商", 3)
    diff = diff_texts(old_text, new_text, DocumentRef("seed-v1.txt"), DocumentRef("seed-v2.txt"))
    loaded = open_html(render_html(diff))
    page = loaded.page
    assert loaded.errors == [] and loaded.requests == []
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    summary = diff.to_dict()["summary"]
    shown = {key: int(page.inner_text(f'#summary [data-count="{key}"]')) for key in STATUS_KEYS}
    assert shown == {key: summary[key] for key in STATUS_KEYS}
    assert summary["modified"] >= 1
    assert "某云服务商" in page.inner_text("main ins")
