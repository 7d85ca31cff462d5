"""Fixtures for the differ tests: hand-built diffs and one headless Chromium for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clausewise.differ.model import AgreementDiff, Clause, ClauseChange, DocumentRef

CHROMIUM = os.environ.get("CLAUSEWISE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

INJECTIONS = (
    '<script>window.__pwned=1</script>',
    '<img src=x onerror="window.__pwned=1">',
    '</textarea><svg onload="window.__pwned=1">',
)


def clause(label: str | None, text: str, *, heading: str | None = None, line: int = 1,
           parents: tuple[str, ...] = ()) -> Clause:
    """A parsed clause as the differ would produce it (source is label, heading and text)."""
    path = parents + ((label,) if label else ())
    source = " ".join(part for part in (label, heading) if part) + "\n" + text + "\n"
    return Clause(label=label, path=path, heading=heading, text=text, source=source, line=line,
                  level=len(path), kind="clause" if label else "preamble")


def english_diff() -> AgreementDiff:
    """A small English diff with one of every kind of change (own sample text)."""
    changes = [
        ClauseChange("unchanged", clause(None, "This trial agreement is between the Provider and you.", line=1),
                     clause(None, "This trial agreement is between the Provider and you.", line=1),
                     ops=[("=", "This trial agreement is between the Provider and you.")]),
        ClauseChange("modified",
                     clause("1.", "Either party may end the trial with 30 days' written notice.",
                            heading="Term", line=3),
                     clause("1.", "Either party may end the trial with 15 days' written notice.",
                            heading="Term", line=3),
                     similarity=0.94, tags=["termination", "notice"],
                     ops=[("=", "Either party may end the trial with "), ("-", "30"), ("+", "15"),
                          ("=", " days' written notice.")]),
        ClauseChange("added", None,
                     clause("2.", "The Provider may assign this agreement to an affiliate after notice.",
                            heading="Assignment", line=5),
                     similarity=0.0, tags=["assignment"],
                     ops=[("+", "The Provider may assign this agreement to an affiliate after notice.")]),
        ClauseChange("unchanged", clause("2.", "Fees are due within thirty days of the invoice.",
                                         heading="Fees", line=5),
                     clause("3.", "Fees are due within thirty days of the invoice.", heading="Fees", line=7),
                     renumbered=True, ops=[("=", "Fees are due within thirty days of the invoice.")]),
        ClauseChange("modified", clause("3.", "Data is stored in the region you choose .", line=7),
                     clause("4.", "Data is stored in the region you choose.", line=9),
                     renumbered=True, substantive=False, similarity=0.99,
                     ops=[("=", "Data is stored in the region you choose"), ("-", " "), ("=", ".")]),
        ClauseChange("unchanged", clause("4.", "Our liability is limited to the fees paid.",
                                         heading="Liability", line=9),
                     clause("5.", "Our liability is limited to the fees paid.", heading="Liability", line=13),
                     renumbered=True, moved=True, ops=[("=", "Our liability is limited to the fees paid.")]),
        ClauseChange("removed", clause("5.", "The trial includes free support by telephone.",
                                       heading="Support", line=11), None,
                     similarity=0.0, ops=[("-", "The trial includes free support by telephone.")]),
        ClauseChange("unchanged", clause("6.", "The laws of England govern this agreement.",
                                         heading="Law", line=13),
                     clause("6.", "The laws of England govern this agreement.", heading="Law", line=11),
                     ops=[("=", "The laws of England govern this agreement.")]),
    ]
    return AgreementDiff(
        DocumentRef("trial@v1", title="Cloud Trial Agreement", version=1, effective="2025-01-01"),
        DocumentRef("trial@v2", title="Cloud Trial Agreement", version=2, effective="2025-03-01"),
        changes,
    )


def chinese_diff() -> AgreementDiff:
    """A small Chinese diff: one modified article and one added one (own sample text)."""
    changes = [
        ClauseChange("modified", clause("第一条", "任何一方可提前三十日书面通知对方解除本协议。", heading="期限"),
                     clause("第一条", "任何一方可提前十五个工作日书面通知对方解除本协议。", heading="期限"),
                     similarity=0.85,
                     ops=[("=", "任何一方可提前"), ("-", "三十日"), ("+", "十五个工作日"),
                          ("=", "书面通知对方解除本协议。")]),
        ClauseChange("added", None, clause("第二条", "服务商可在通知用户后将本协议转让给其关联公司。",
                                           heading="转让", line=3), similarity=0.0,
                     ops=[("+", "服务商可在通知用户后将本协议转让给其关联公司。")]),
    ]
    return AgreementDiff(DocumentRef("trial-zh@v1", title="试用协议", version=1),
                         DocumentRef("trial-zh@v2", title="试用协议", version=2), changes)


def hostile_diff() -> AgreementDiff:
    """Markup in titles, refs, labels, headings, texts and tags: all of it must stay text."""
    a, b, c = INJECTIONS
    changes = [
        ClauseChange("modified", clause("1.", f"Old text {a} here.", heading=f"Head {b}"),
                     clause("1.", f"New text {c} here.", heading=f"Head {a}"),
                     ops=[("-", f"Old text {a} here."), ("+", f"New text {c} here.")], tags=[b]),
        ClauseChange("added", None, clause(f"2{b}", f"Added {b} and {c}.", heading=c, line=3),
                     ops=[("+", f"Added {b} and {c}.")]),
        ClauseChange("removed", clause("3.", f"Removed {a}.", heading=b, line=5), None,
                     ops=[("-", f"Removed {a}.")]),
        # No heading (the contents show a snippet), a repeated label (shown with its parent's
        # label), moved and renumbered (both places name it).
        ClauseChange("unchanged", clause(f"(a){c}", f"Moved {b}.", line=9, parents=(f"4{a}",)),
                     clause(f"(b){c}", f"Moved {b}.", line=2, parents=(f"5{a}",)),
                     moved=True, renumbered=True, ops=[("=", f"Moved {b}.")]),
        ClauseChange("unchanged", clause(f"(b){c}", "Stays.", line=7, parents=(f"4{a}",)),
                     clause(f"(b){c}", "Stays.", line=8, parents=(f"6{b}",)), ops=[("=", "Stays.")]),
    ]
    return AgreementDiff(DocumentRef(f"old{a}.md", title=f"Old {a}{b}", version=1),
                         DocumentRef(f"new{c}.md", title=f"New {c}{b}", version=2), changes)


SECTIONS = ("Service", "Fees", "Data", "Support", "General")


def document_texts() -> tuple[str, str]:
    """A five-section agreement of six clauses each, and a new version in which 2.3 is removed
    (2.4-2.6 renumber to 2.3-2.5), 3.4 and 5.5 are reworded: long unchanged stretches between."""
    old = ["# Hosting Agreement", ""]
    new = ["# Hosting Agreement", ""]
    for number, name in enumerate(SECTIONS, 1):
        old += [f"## {number}. {name}", ""]
        new += [f"## {number}. {name}", ""]
        kept = 0
        for item in range(1, 7):
            text = f"The {name.lower()} terms, point {item}: the Provider keeps record {number * 10 + item} for audit."
            old.append(f"{number}.{item} {text}")
            if (number, item) == (2, 3):
                continue
            kept += 1
            if (number, item) == (3, 4):
                text = text.replace("keeps record", "deletes record")
            if (number, item) == (5, 5):
                text = text.replace("for audit", "for ninety days")
            new.append(f"{number}.{kept} {text}")
        old.append("")
        new.append("")
    return "\n".join(old), "\n".join(new)


def document_diff() -> AgreementDiff:
    from clausewise.differ import diff_texts

    old, new = document_texts()
    return diff_texts(old, new, DocumentRef("hosting@v1", title="Hosting Agreement", version=1),
                      DocumentRef("hosting@v2", title="Hosting Agreement", version=2))


@dataclass
class LoadedPage:
    """A page opened from a file:// URL, with what it tried to do."""

    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright; fails (never skips) when it is missing.

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread while it is
    open, and later tests that call asyncio.run() (the notifier's sender) must not find one.
    """
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                    f"(apt-get install chromium, as .ci/run does) or set CLAUSEWISE_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_html(chromium_browser, tmp_path: Path):
    """Write HTML to a file, open it in a fresh context, and record console errors and requests.

    Every request that is not the file itself is recorded and aborted.
    """
    contexts = []

    def _open(html: str, *, name: str = "redline.html", java_script: bool = True) -> LoadedPage:
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        context = chromium_browser.new_context(java_script_enabled=java_script)
        contexts.append(context)
        page = context.new_page()
        loaded = LoadedPage(page)
        url = path.as_uri()

        def route(route_) -> None:
            if route_.request.url == url:
                route_.continue_()
            else:
                loaded.requests.append(route_.request.url)
                route_.abort()

        context.route("**/*", route)
        page.on("console", lambda msg: loaded.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: loaded.errors.append(str(exc)))
        page.goto(url, wait_until="load")
        return loaded

    yield _open
    for context in contexts:
        context.close()
