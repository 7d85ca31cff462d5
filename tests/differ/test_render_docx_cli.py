"""``clausewise diff --format docx``: written through -o atomically, refused on a terminal, the
author from --author or clausewise.toml, the title block from published versions."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from clausewise.cli import main
from clausewise.versions import init_repo

from .docx_revisions import W, document_xml, revised_paragraphs
from .pairs import NEW_EN, OLD_EN
from .test_cli_diff import write_pair

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))


def _authors(docx: bytes) -> set[str]:
    root = document_xml(docx)
    return {node.get(W + "author") for tag in ("ins", "del") for node in root.iter(W + tag)}


def test_docx_to_a_file(tmp_path):
    old, new = write_pair(tmp_path)
    out = tmp_path / "out" / "redline.docx"
    result = CliRunner().invoke(main, ["diff", old, new, "--format", "docx", "-o", str(out)])
    assert result.exit_code == 0 and result.output == ""
    assert zipfile.is_zipfile(out)
    docx = out.read_bytes()
    assert "1.2 \"Account\" means the Customer's login to the Service console." in revised_paragraphs(docx, accept=True)
    assert "1.2 \"Customer Data\" means audio and text the Customer uploads." in revised_paragraphs(docx, accept=False)
    assert _authors(docx) == {"clausewise"}
    assert not list(out.parent.glob(".*.tmp"))


def test_author_from_the_option_over_the_setting(tmp_path):
    repo = tmp_path / "repo"
    init_repo(repo)
    config = repo / "clausewise.toml"
    config.write_text(config.read_text("utf-8").replace('redline_author = ""', 'redline_author = "Legal Team"'),
                      encoding="utf-8")
    old, new = write_pair(tmp_path)
    out = tmp_path / "redline.docx"
    base = ["diff", old, new, "--format", "docx", "-o", str(out), "--repo", str(repo)]
    assert CliRunner().invoke(main, base).exit_code == 0
    assert _authors(out.read_bytes()) == {"Legal Team"}
    assert CliRunner().invoke(main, base + ["--author", "Jane Roe"]).exit_code == 0
    assert _authors(out.read_bytes()) == {"Jane Roe"}


def test_a_wrong_author_setting_is_one_error_line(tmp_path):
    repo = tmp_path / "repo"
    init_repo(repo)
    config = repo / "clausewise.toml"
    config.write_text(config.read_text("utf-8").replace('redline_author = ""', "redline_author = 3"), encoding="utf-8")
    old, new = write_pair(tmp_path)
    result = CliRunner().invoke(main, ["diff", old, new, "--format", "docx", "-o", str(tmp_path / "r.docx"),
                                       "--repo", str(repo)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {config}: 'redline_author' must be a str, not 3"
    assert not (tmp_path / "r.docx").exists()


def test_published_versions_give_their_effective_dates(tmp_path):
    repo = init_repo(tmp_path / "repo")
    repo.add("speech", OLD_EN, title="Speech Service Agreement", language="en", kind="commercial")
    first = date.today() + timedelta(days=40)
    repo.publish("speech", first)
    path = repo.agreement("speech").path
    path.write_text(path.read_text("utf-8").replace(OLD_EN, NEW_EN), encoding="utf-8")
    second = date.today() + timedelta(days=80)
    repo.publish("speech", second)
    out = tmp_path / "redline.docx"
    result = CliRunner().invoke(main, ["diff", "speech@v1", "speech@v2", "--format", "docx", "-o", str(out),
                                       "--repo", str(tmp_path / "repo")])
    assert result.exit_code == 0, result.output
    title = revised_paragraphs(out.read_bytes(), accept=True)[:3]
    assert title == ["Redline: Speech Service Agreement",
                     f'Old version: speech@v1 "Speech Service Agreement" (version 1, effective {first.isoformat()})',
                     f'New version: speech@v2 "Speech Service Agreement" (version 2, effective {second.isoformat()})']


def test_docx_on_a_terminal_is_refused_and_to_a_pipe_is_written(tmp_path):
    old, new = write_pair(tmp_path)
    leader, follower = os.openpty()
    try:
        refused = subprocess.run([CLAUSEWISE, "diff", old, new, "--format", "docx"], stdout=follower,
                                 stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(follower)
        os.close(leader)
    assert refused.returncode == 2
    assert refused.stderr.decode() == ("Error: --format docx writes a binary file, not text for the terminal; "
                                       "write it with -o redline.docx, or redirect: > redline.docx\n")
    piped = subprocess.run([CLAUSEWISE, "diff", old, new, "--format", "docx"], capture_output=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == b""
    assert "1.2 \"Account\" means the Customer's login to the Service console." in revised_paragraphs(
        piped.stdout, accept=True)


def test_a_failed_diff_leaves_the_old_file(tmp_path):
    old, _ = write_pair(tmp_path)
    out = tmp_path / "redline.docx"
    out.write_bytes(b"previous")
    result = CliRunner().invoke(main, ["diff", old, str(tmp_path / "missing.md"), "--format", "docx", "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_bytes() == b"previous"


def test_a_link_as_output_is_refused(tmp_path):
    old, new = write_pair(tmp_path)
    target = tmp_path / "target.docx"
    target.write_bytes(b"keep")
    link = tmp_path / "link.docx"
    link.symlink_to(target)
    result = CliRunner().invoke(main, ["diff", old, new, "--format", "docx", "-o", str(link)])
    assert result.exit_code == 2 and "is a symbolic link" in result.output
    assert target.read_bytes() == b"keep"
