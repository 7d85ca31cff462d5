"""The store's commands through click, on real repositories: output, formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.versions import open_repo

from .conftest import TRIAL_TEXT, snapshot

FAR = "2099-01-01"


def run(*args: str, cwd_repo: Path | None = None):
    return CliRunner().invoke(main, [*args, *(["--repo", str(cwd_repo)] if cwd_repo else [])])


@pytest.fixture()
def cli_repo(tmp_path: Path) -> Path:
    root = tmp_path / "legal"
    assert run("init", str(root)).exit_code == 0
    source = tmp_path / "trial.md"
    source.write_text(TRIAL_TEXT)
    result = run("add", "trial", str(source), "--title", "Sample Trial", "--lang", "en", "--kind", "trial", cwd_repo=root)
    assert result.exit_code == 0, result.output
    return root


def test_init_add_publish_list_log_show(cli_repo: Path) -> None:
    result = run("publish", "trial", "--effective", FAR, "-m", "First version", cwd_repo=cli_repo)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Published trial v1 (tag trial/v1, commit ")
    path = cli_repo / "agreements" / "trial.md"
    path.write_text(path.read_text().replace("thirty days", "fourteen days"))

    listing = run("list", cwd_repo=cli_repo)
    assert listing.exit_code == 0
    assert listing.stdout.splitlines()[1].split()[:4] == ["trial", "v1", FAR, "unpublished"]
    data = json.loads(run("list", "--format", "json", cwd_repo=cli_repo).stdout)
    assert data[0]["id"] == "trial" and data[0]["latest"]["version"] == 1 and data[0]["has_unpublished_changes"]

    published = json.loads(run("publish", "trial", "--effective", "2099-02-01", "--format", "json", cwd_repo=cli_repo).stdout)
    assert published["tag"] == "trial/v2"
    log = run("log", "trial", cwd_repo=cli_repo).stdout
    assert log.index("v2  effective 2099-02-01") < log.index("v1  effective 2099-01-01")
    assert "First version" in log
    versions = json.loads(run("log", "trial", "--format", "json", cwd_repo=cli_repo).stdout)["versions"]
    assert [v["version"] for v in versions] == [2, 1]

    assert run("show", "trial@v1", cwd_repo=cli_repo).stdout == TRIAL_TEXT
    assert "fourteen days" in run("show", "trial", cwd_repo=cli_repo).stdout
    shown = json.loads(run("show", "trial@v2", "--format", "json", cwd_repo=cli_repo).stdout)
    assert (shown["version"], shown["effective"], shown["title"]) == (2, "2099-02-01", "Sample Trial")
    assert run("verify", cwd_repo=cli_repo).stdout.startswith("OK: the tags of all 2 published versions are intact.")


def test_repo_from_environment(cli_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEWISE_REPO", str(cli_repo))
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 0 and "trial" in result.stdout


def test_verify_fails_on_a_moved_tag(cli_repo: Path) -> None:
    run("publish", "trial", "--effective", FAR, cwd_repo=cli_repo)
    git.Repo(cli_repo).git.tag("-f", "trial/v1", "HEAD~1")
    result = run("verify", cwd_repo=cli_repo)
    assert result.exit_code == 1
    assert "PROBLEM: tag trial/v1 was moved" in result.stdout
    assert result.stderr.startswith("Error: 1 problem(s)")
    report = json.loads(run("verify", "--format", "json", cwd_repo=cli_repo).stdout)
    assert report["ok"] is False and len(report["problems"]) == 1


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "code", "message"),
    [
        (lambda t, r: ["list", "--repo", str(t / "missing")], 1, "no such directory; create it with 'clausewise init"),
        (lambda t, r: ["list", "--repo", str(t)], 1, "not an agreements repository"),
        (lambda t, r: ["log", "nope", "--repo", str(r)], 2, "unknown agreement 'nope' (known: trial)"),
        (lambda t, r: ["show", "nope@v1", "--repo", str(r)], 2, "unknown agreement 'nope'"),
        (lambda t, r: ["show", "trial@v9", "--repo", str(r)], 2, "trial has no version v9"),
        (lambda t, r: ["show", "trial@version1", "--repo", str(r)], 2, "must be written v1, v2"),
        (lambda t, r: ["publish", "trial", "--effective", "2099-02-30", "--repo", str(r)], 2,
         "--effective '2099-02-30' is not a valid date; use YYYY-MM-DD"),
        (lambda t, r: ["publish", "trial", "--effective", "1899-12-31", "--repo", str(r)], 2,
         "--effective 1899-12-31 is out of range; give a date between 1900-01-01 and 9899-12-31"),
        (lambda t, r: ["publish", "trial", "--effective", FAR, "--notice-days", "999999999", "--repo", str(r)], 2,
         "notice days 999999999 must be a whole number of days from 0 to 3650"),
        (lambda t, r: ["add", "fresh", _write(t, "empty.md", b""), "--title", "T", "--lang", "en", "--kind", "trial",
                       "--repo", str(r)], 1, "empty.md is empty"),
        (lambda t, r: ["add", "fresh", _write(t, "gbk.txt", "一、定义".encode("gb18030")), "--title", "T", "--lang",
                       "zh-CN", "--kind", "trial", "--repo", str(r)], 1, "gbk.txt is not UTF-8 (byte 0xa1 at offset 2)"),
        (lambda t, r: ["add", "fresh", _write(t, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "--title", "T",
                       "--lang", "en", "--kind", "trial", "--repo", str(r)], 1, "logo.png is not a text file (NUL byte"),
        (lambda t, r: ["add", "fresh", _write(t, "numbers.txt", b"1 2 3\n4 5 6\n"), "--title", "T", "--lang", "en",
                       "--kind", "trial", "--repo", str(r)], 1, "numbers.txt has no letters at all"),
        (lambda t, r: ["add", "trial", _write(t, "dup.md", b"Some text."), "--title", "T", "--lang", "en", "--kind",
                       "trial", "--repo", str(r)], 2, "agreement 'trial' already exists (agreements/trial.md)"),
        (lambda t, r: ["add", "Bad Id", _write(t, "ok.md", b"Some text."), "--title", "T", "--lang", "en", "--kind",
                       "trial", "--repo", str(r)], 2, "agreement id 'Bad Id' is not a slug"),
        (lambda t, r: ["add", "fresh", _write(t, "ok.md", b"Some text."), "--lang", "en", "--kind", "trial",
                       "--repo", str(r)], 2, "has no title; give --title"),
    ],
)
def test_bad_input_gives_one_line_and_changes_nothing(tmp_path: Path, cli_repo: Path, make_args, code: int,
                                                      message: str) -> None:
    before = snapshot(open_repo(cli_repo))
    result = CliRunner().invoke(main, make_args(tmp_path, cli_repo))
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert snapshot(open_repo(cli_repo)) == before


def test_identical_text_and_allow_short_notice(cli_repo: Path) -> None:
    first = run("publish", "trial", "--effective", "2000-01-01", cwd_repo=cli_repo)
    assert first.exit_code == 0, first.output
    assert "v1 is the first version: no customer has accepted an earlier one, so there is nobody to notify" in first.output
    again = run("publish", "trial", "--effective", "2000-01-01", cwd_repo=cli_repo)
    assert again.exit_code == 1 and "identical to trial/v1" in again.stderr
    path = cli_repo / "agreements" / "trial.md"
    path.write_text(path.read_text().replace("thirty days", "ten days"))
    past = run("publish", "trial", "--effective", "2000-01-02", cwd_repo=cli_repo)
    assert past.exit_code == 1
    assert "effective date 2000-01-02 leaves no notice: it is in the past (" in past.stderr
    assert "-" not in past.stderr.split("leaves ")[1].split(" days")[0]
    result = run("publish", "trial", "--effective", "2000-01-02", "--allow-short-notice", "Correcting a typo",
                 cwd_repo=cli_repo)
    assert result.exit_code == 0, result.output
    assert "Short notice recorded: Correcting a typo" in result.stdout


@pytest.mark.parametrize("command", ["init", "add", "publish", "list", "log", "show", "verify"])
def test_every_command_has_help_and_repo_option(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--repo DIRECTORY" in result.stdout
