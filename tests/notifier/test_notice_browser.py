"""The notice's HTML part in a real headless Chromium (Debian's, through Playwright): edits are
marked by more than colour, hostile text stays text, and nothing is fetched. Opened with scripts
off, as mail clients do, and again with them on to prove no injected script runs."""

from __future__ import annotations

from datetime import date

from clausewise.notifier.compose import Composer
from clausewise.notifier.store import Notice

from ..differ.conftest import chromium_browser, open_html  # noqa: F401 (pytest fixtures)
from .conftest import TODAY, edit_agreement
from .notices import version_campaign

DATE = "Tue, 01 Jan 2030 09:00:00 +0000"
HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">Eve'


def test_the_html_notice_marks_every_edit_without_colour_and_runs_nothing(legal_repo, open_html):  # noqa: F811
    edit_agreement(legal_repo, "trial-en", "to an affiliate after", "to any \u202ethird party after")
    legal_repo.publish("trial-en", date(2030, 3, 20), summary="<script>window.__pwned=1</script>", today=TODAY)
    campaign = version_campaign(to_version=3, effective=date(2030, 3, 20))
    campaign = campaign.__class__(**{**campaign.__dict__, "summary": "<script>window.__pwned=1</script>"})
    notice = Notice(campaign.id, "C1", "trial-en", HOSTILE_NAME, "eve@example.com", "en", 1, "pending", 0,
                    None, None, None, None, None, None)
    html = Composer(legal_repo).build(campaign, notice, DATE).get_body(("html",)).get_content()
    for scripts in (False, True):
        loaded = open_html(html, name=f"notice-{scripts}.html", java_script=scripts)
        page = loaded.page
        marks = page.eval_on_selector_all(
            "li ins, li del", "els => els.map(e => [e.tagName, e.innerText, getComputedStyle(e).textDecorationLine])")
        assert ["DEL", "[−]thirty", "line-through"] in marks and ["INS", "[+]fourteen", "underline"] in marks
        assert ["INS", "[+]any [U+202E]third party", "underline"] in marks
        assert all(text.startswith(("[+]", "[−]")) for _, text, _ in marks)  # labelled, not colour alone
        body = page.inner_text("body")
        assert "Dear <img src=x onerror=\"window.__pwned=1\">Eve," in body
        assert "Summary: <script>window.__pwned=1</script>" in body and "\u202e" not in body
        if scripts:
            assert page.evaluate("window.__pwned") is None
        assert loaded.requests == [] and loaded.errors == []
