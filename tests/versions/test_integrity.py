"""verify against forged history: git replace, a consistent rewrite of history and tags, and a
rewrite that kept the old hashes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.versions import init_repo

from .conftest import TRIAL_TEXT


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(root)])


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    identity = ["-c", "user.name=Mallory", "-c", "user.email=mallory@example.com"]
    return subprocess.run(["git", "-C", str(root), *identity, *args], capture_output=True, text=True, input=stdin,
                          check=True).stdout.strip()


@pytest.fixture
def published(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "legal")
    repo.add("trial", TRIAL_TEXT, title="Sample Trial Agreement", language="en", kind="trial")
    assert cli(repo.root, "publish", "trial", "--effective", "2099-01-01").exit_code == 0
    return repo.root


def rewrite_v1(root: Path, new_text: str, *, keep_old_hash: bool = False) -> None:
    """Replace the publish commit of trial/v1 with one holding ``new_text`` and move the tag: a
    consistent rewrite (trailers and tag recomputed) unless ``keep_old_hash``."""
    path = root / "agreements" / "trial.md"
    old_message = git(root, "log", "-1", "--format=%B", "trial/v1")
    old_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text().replace("thirty days", new_text))
    new_hash = old_hash if keep_old_hash else hashlib.sha256(path.read_bytes()).hexdigest()
    message = old_message.replace(old_hash, new_hash)
    git(root, "reset", "-q", "--soft", "HEAD~1")
    git(root, "add", "agreements/trial.md")
    git(root, "commit", "-q", "-F", "-", stdin=message)
    commit = git(root, "rev-parse", "HEAD")
    git(root, "tag", "-d", "trial/v1")
    git(root, "tag", "-a", "--cleanup=verbatim", "-F", "-", "trial/v1", commit,
        stdin=message + f"\nPublish-Commit: {commit}\n")


def test_git_replace_cannot_change_what_clausewise_reads(published: Path) -> None:
    blob = git(published, "rev-parse", "trial/v1:agreements/trial.md")
    forged = git(published, "hash-object", "-w", "--stdin",
                 stdin=(published / "agreements" / "trial.md").read_text().replace("thirty days", "three days"))
    git(published, "replace", blob, forged)
    assert "three days" in git(published, "show", "trial/v1:agreements/trial.md")  # git itself is fooled
    assert "thirty days" in cli(published, "show", "trial@v1").stdout
    verify = cli(published, "verify")
    assert verify.exit_code == 0, verify.output
    assert "1 replace ref(s) (refs/replace/" in verify.stdout and "clausewise ignores them" in verify.stdout


def test_a_consistent_rewrite_of_history_and_tags_is_caught_by_the_ledger(published: Path) -> None:
    rewrite_v1(published, "ninety days")
    verify = cli(published, "verify")
    assert verify.exit_code == 1
    assert "trial/v1 was published as commit" in verify.stdout and "the history was rewritten" in verify.stdout


def test_a_rewrite_that_kept_the_old_hash_is_caught_without_the_ledger(published: Path) -> None:
    (published / ".clausewise" / "state.sqlite3").unlink()
    rewrite_v1(published, "ninety days", keep_old_hash=True)
    verify = cli(published, "verify")
    assert verify.exit_code == 1
    assert "the text of trial/v1 does not match the SHA-256 recorded in its commit" in verify.stdout
    assert "no state database" in verify.stdout
