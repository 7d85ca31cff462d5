"""The HTML redline in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

from clausewise.differ.render_html import render_html

from .conftest import INJECTIONS, chinese_diff, english_diff, hostile_diff

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
    assert page.inner_text(f"#c3 .pane-old") == "(not in this text)"


def test_print_view_expands_collapsed_clauses_and_hides_controls(open_html):
    page = open_html(render_html(english_diff())).page
    unchanged = "#c8 .inline"  # the governing-law clause, unchanged and collapsed
    assert page.evaluate("document.querySelector('#c8').open") is False
    assert not page.is_visible(unchanged)
    assert page.is_visible(".toolbar")
    page.emulate_media(media="print")
    assert page.is_visible(unchanged)
    assert page.inner_text(unchanged) == "The laws of England govern this agreement."
    assert not page.is_visible(".toolbar")
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
    loaded = open_html(render_html(english_diff()), java_script=False)
    page = loaded.page
    assert loaded.errors == []
    assert not page.is_visible("#next-change")  # the JS-only controls stay hidden
    assert page.is_visible("#c2 .inline ins")
    assert not page.is_visible("#c8 .inline")
    page.click("#c8 > summary")
    assert page.is_visible("#c8 .inline")
    page.click("text=Side by side")
    assert page.is_visible("#c2 .pane-new")


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
