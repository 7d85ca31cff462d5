"""``clausewise diff`` on files and on a real agreements repository."""

from __future__ import annotations

import json
from datetime import date, timedelta

from click.testing import CliRunner

from clausewise.cli import main
from clausewise.versions import init_repo

from .pairs import NEW_EN, OLD_EN


def write_pair(tmp_path):
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(OLD_EN, encoding="utf-8")
    new.write_text(NEW_EN, encoding="utf-8")
    return str(old), str(new)


def test_text_output_has_summary_first_and_plain_marks(tmp_path):
    old, new = write_pair(tmp_path)
    result = CliRunner().invoke(main, ["diff", old, new, "--context", "none"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].startswith("Summary: 2 added, 1 removed, 3 modified, 1 moved, 5 renumbered")
    assert "[-thirty-]{+fifteen+}" in result.output
    assert "\x1b[" not in result.output
    assert "1.1" not in result.output  # unchanged clauses left out


def test_json_to_file_is_the_schema(tmp_path):
    old, new = write_pair(tmp_path)
    out = tmp_path / "out" / "diff.json"
    result = CliRunner().invoke(main, ["diff", old, new, "--format", "json", "-o", str(out)])
    assert result.exit_code == 0 and result.output == ""
    data = json.loads(out.read_text("utf-8"))
    assert data["schema"] == "clausewise.diff/1"
    assert data["summary"]["removed"] == 1
    moved = [c for c in data["changes"] if c["moved"]]
    assert [(c["old_label"], c["new_label"]) for c in moved] == [("2.3", "4.2")]


def test_markdown_and_exit_code(tmp_path):
    old, new = write_pair(tmp_path)
    result = CliRunner().invoke(main, ["diff", old, new, "--format", "md", "--exit-code"])
    assert result.exit_code == 1
    assert "~~thirty~~**fifteen**" in result.output
    same = CliRunner().invoke(main, ["diff", old, old, "--exit-code"])
    assert same.exit_code == 0


def test_html_labels_follow_lang(tmp_path):
    from clausewise.differ.render_html import LABELS

    old, new = write_pair(tmp_path)
    pages = {lang: CliRunner().invoke(main, ["diff", old, new, "--format", "html", "--lang", lang]).output
             for lang in ("auto", "zh")}
    assert f">{LABELS['en']['summary']}<" in pages["auto"]  # English text, English labels
    assert f">{LABELS['zh']['summary']}<" in pages["zh"] and f">{LABELS['en']['summary']}<" not in pages["zh"]


def test_missing_file_is_a_usage_problem(tmp_path):
    old, _ = write_pair(tmp_path)
    result = CliRunner().invoke(main, ["diff", old, str(tmp_path / "nope.md")])
    assert result.exit_code == 2
    assert "nope.md: no such file" in result.output


def test_published_version_against_working_copy(tmp_path):
    repo = init_repo(tmp_path / "repo")
    repo.add("speech", OLD_EN, title="Speech Service Agreement", language="en", kind="commercial")
    repo.publish("speech", date.today() + timedelta(days=60))
    (repo.agreement("speech").path).write_text(
        (repo.agreement("speech").path).read_text("utf-8").replace(OLD_EN, NEW_EN), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", "speech@v1", "speech", "--format", "json",
                                       "--repo", str(tmp_path / "repo")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["old"]["version"] == 1 and data["old"]["title"] == "Speech Service Agreement"
    assert data["summary"]["added"] == 2


def test_a_version_tag_given_as_ref_gets_a_hint(tmp_path):
    old, _ = write_pair(tmp_path)
    result = CliRunner().invoke(main, ["diff", "cloud-trial/v1", old, "--repo", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == ("Error: cloud-trial/v1: no such file; to name version v1 of agreement "
                                     "cloud-trial, write cloud-trial@v1")


def test_text_and_markdown_show_a_moved_clause_at_both_places(tmp_path):
    old, new = write_pair(tmp_path)
    text = CliRunner().invoke(main, ["diff", old, new, "--context", "none"]).output
    headers = [line for line in text.splitlines() if line and line[0] in "+-~<" and not line.startswith(("---", "+++"))]
    assert headers.index("< 2.3  [moved to 4.2]") == headers.index("- 2.2  [removed; topics: fees]") + 1
    assert "  4.2  [unchanged; moved from 2.3; renumbered from 2.3; topics: notice, fees]" in text
    markdown = CliRunner().invoke(main, ["diff", old, new, "--format", "md"]).output
    assert "### \\< 2.3\n\n*moved to 4.2*\n" in markdown
    assert markdown.index("### \\< 2.3") < markdown.index("### \\~ 3.2") < markdown.index("### = 4.2")


ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m"


def test_terminal_escapes_in_the_texts_are_shown_not_sent(tmp_path):
    from clausewise.differ import diff_texts, render_text
    from clausewise.differ.model import DocumentRef

    old, new = tmp_path / "old.md", tmp_path / "new\x1b[31m.md"
    old.write_text(OLD_EN, encoding="utf-8")
    new.write_text(NEW_EN.replace("Southwind", "South" + ESCAPES + "wind"), encoding="utf-8")
    for output_format in ("text", "md"):
        result = CliRunner().invoke(main, ["diff", str(old), str(new), "--format", output_format])
        assert result.exit_code == 0, result.output
        assert not any(char in result.output for char in "\x1b\x07\x9b"), output_format
        assert "South␛[2J␛]0;pwned␇<U+009B>31mwind" in result.output.replace("\\", "")
    coloured = render_text(diff_texts(OLD_EN, NEW_EN.replace("Southwind", ESCAPES), DocumentRef("a"),
                                      DocumentRef("b")), color=True)
    assert "\x1b[2J" not in coloured and "\x07" not in coloured and "␛[2J" in coloured
    as_json = CliRunner().invoke(main, ["diff", str(old), str(new), "--format", "json"]).output
    assert json.loads(as_json)["changes"][0]["new_text"].count(ESCAPES) == 1  # JSON keeps the exact text
