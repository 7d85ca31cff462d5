"""verify's hints followed literally, verify --repair, update ID FILE, and list with a broken file."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.versions import open_repo

from .conftest import TRIAL_TEXT, snapshot

FAR = "2099-01-01"


def run(repo: Path, *args: str):
    return CliRunner().invoke(main, ["--repo", str(repo), *args])


@pytest.fixture()
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose ``trial`` has two published versions (and a git identity for the user's own git)."""
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Legal Counsel")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "counsel@example.com")
    root = tmp_path / "legal"
    source = tmp_path / "trial.md"
    source.write_text(TRIAL_TEXT)
    assert run(root, "init").exit_code == 0
    assert run(root, "add", "trial", str(source), "--title", "Sample Trial", "--lang", "en", "--kind", "trial").exit_code == 0
    assert run(root, "publish", "trial", "--effective", FAR).exit_code == 0
    source.write_text(TRIAL_TEXT.replace("thirty days", "fourteen days"))
    assert run(root, "update", "trial", str(source)).exit_code == 0
    assert run(root, "publish", "trial", "--effective", "2099-02-01").exit_code == 0
    return root


def follow_hint(repo: Path, problem: str) -> None:
    """Run, in ``repo``, every command the problem's hint quotes: git ones with git, ours with the CLI."""
    for command in re.findall(r"\((git [^)]*)\)|'(clausewise [^']*)'", problem):
        argv = shlex.split(command[0] or command[1])
        if argv[0] == "git":
            subprocess.run(argv, cwd=repo, check=True, capture_output=True)
        else:
            result = run(repo, *argv[1:])
            assert result.exit_code == 0, result.output


@pytest.mark.parametrize("damage", [
    ["tag", "-d", "trial/v1"],                          # deleted
    ["tag", "-f", "-a", "-m", "moved", "trial/v1", "HEAD"],  # moved
    ["tag", "-f", "trial/v2", "trial/v2^{}"],            # replaced by a lightweight tag
])
def test_following_each_verify_hint_makes_verify_pass(published: Path, damage: list[str]) -> None:
    commits_before = {tag.name: tag.commit.hexsha for tag in git.Repo(published).tags}
    git.Repo(published).git.execute(["git", *damage])
    result = run(published, "verify")
    assert result.exit_code == 1
    problems = [line.removeprefix("PROBLEM: ") for line in result.stdout.splitlines()]
    assert len(problems) == 1
    follow_hint(published, problems[0])
    result = run(published, "verify")
    assert result.exit_code == 0, result.output
    assert {tag.name: tag.commit.hexsha for tag in git.Repo(published).tags} == commits_before


def test_repair_recreates_only_deleted_tags_and_never_moves_one(published: Path) -> None:
    raw = git.Repo(published)
    v1_commit = raw.tags["trial/v1"].commit.hexsha
    raw.git.tag("-d", "trial/v1")
    raw.git.tag("-f", "-a", "-m", "moved", "trial/v2", "HEAD~2")
    moved_to = raw.tags["trial/v2"].commit.hexsha
    result = run(published, "verify", "--repair")
    assert result.exit_code == 1  # the moved tag is still reported
    assert "Recreated tag trial/v1 on " + v1_commit[:12] in result.stderr
    assert raw.tags["trial/v1"].commit.hexsha == v1_commit
    assert raw.tags["trial/v1"].tag.message.startswith("Publish trial v1")
    assert "Effective-Date: 2099-01-01" in raw.tags["trial/v1"].tag.message
    assert raw.tags["trial/v2"].commit.hexsha == moved_to
    assert "PROBLEM: tag trial/v2 was moved" in result.stdout


def test_update_replaces_the_text_keeps_the_front_matter_and_commits_a_draft(published: Path, tmp_path: Path) -> None:
    path = published / "agreements" / "trial.md"
    path.write_text(path.read_text().replace('kind = "trial"', 'kind = "trial"  # keep this comment'))
    git.Repo(published).git.commit("-qam", "A comment in the front matter")
    header = path.read_text().split("+++\n", 2)[1]
    new = tmp_path / "from-the-lawyers.md"
    new.write_text(TRIAL_TEXT.replace("thirty days", "seven days"))
    result = run(published, "update", "trial", str(new))
    assert result.exit_code == 0, result.output
    assert "clausewise diff trial@latest trial" in result.stdout
    assert path.read_text() == "+++\n" + header + "+++\n" + new.read_text()
    assert "# keep this comment" in path.read_text()
    assert git.Repo(published).head.commit.message.startswith("Update draft agreement trial from from-the-lawyers.md")
    assert git.Repo(published).git.status("--porcelain") == ""
    assert run(published, "publish", "trial", "--effective", "2099-03-01").exit_code == 0
    assert "seven days" in run(published, "show", "trial@v3").stdout


def test_update_refuses_a_file_that_changes_nothing(published: Path, tmp_path: Path) -> None:
    same = tmp_path / "same.md"
    same.write_text(TRIAL_TEXT.replace("thirty days", "fourteen days") + "\n\n")
    before = snapshot(open_repo(published))
    result = run(published, "update", "trial", str(same))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {same} has the same text as agreements/trial.md (ignoring trailing whitespace); "
                             "nothing to update (did the lawyers send the right file?)\n")
    assert snapshot(open_repo(published)) == before


def test_update_refuses_to_overwrite_uncommitted_edits_and_a_different_front_matter(published: Path,
                                                                                     tmp_path: Path) -> None:
    path = published / "agreements" / "trial.md"
    new = tmp_path / "new.md"
    new.write_text("+++\ntitle = \"Other\"\nlanguage = \"en\"\nkind = \"trial\"\n+++\n" + TRIAL_TEXT.replace("thirty", "ten"))
    result = run(published, "update", "trial", str(new))
    assert result.exit_code == 1 and "has a front matter that differs from agreements/trial.md's" in result.stderr
    path.write_text(path.read_text().replace("fourteen days", "five days"))
    new.write_text(TRIAL_TEXT.replace("thirty", "ten"))
    before = snapshot(open_repo(published))
    result = run(published, "update", "trial", str(new))
    assert result.exit_code == 1
    assert "agreements/trial.md has edits that are not committed" in result.stderr
    assert snapshot(open_repo(published)) == before


def test_update_of_an_unknown_agreement_is_a_usage_problem(published: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.md"
    new.write_text(TRIAL_TEXT)
    result = run(published, "update", "nope", str(new))
    assert result.exit_code == 2 and "unknown agreement 'nope' (known: trial)" in result.stderr


def test_list_shows_the_others_and_the_broken_one_with_its_fix(published: Path) -> None:
    broken = published / "agreements" / "broken.md"
    broken.write_text("+++\ntitle = \"Broken\nlanguage = \"en\"\n+++\nSome text.\n")
    (published / "agreements" / "bare.md").write_text("Just text, no front matter.\n")
    result = run(published, "list")
    assert result.exit_code == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if not line.startswith("BROKEN ")}
    assert rows["trial"].split()[:4] == ["trial", "v2", "2099-02-01", "published"]
    assert "BROKEN" in rows["broken"] and "BROKEN" in rows["bare"]
    assert "BROKEN bare: agreements/bare.md: no front matter; the file must start with a '+++' line" in result.stdout
    assert "BROKEN broken: agreements/broken.md: invalid TOML in the front matter" in result.stdout
    assert result.stderr == ("Error: 2 agreement file(s) cannot be read (bare, broken); fix each as its BROKEN "
                             "line above says\n")
    data = __import__("json").loads(run(published, "list", "--format", "json").stdout)
    assert [entry["id"] for entry in data] == ["bare", "broken", "trial"]
    assert data[0]["broken"].startswith("agreements/bare.md: no front matter") and "broken" not in data[2]
