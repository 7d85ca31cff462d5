"""Real agreements repositories in temp folders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import git
import pytest

from clausewise.versions import AgreementRepo, init_repo

TODAY = date(2031, 3, 1)
TRIAL_TEXT = """# Sample Trial Agreement

## 1. Definitions

1.1 "Service" means the hosted transcription service.

1.2 "Trial Period" means thirty days from activation.

## 2. Assignment

2.1 The Provider may assign this Agreement to an affiliate after giving the Customer notice in advance.
"""


@pytest.fixture()
def repo(tmp_path: Path) -> AgreementRepo:
    return init_repo(tmp_path / "legal")


@pytest.fixture()
def trial_repo(repo: AgreementRepo) -> AgreementRepo:
    """A repository with one draft agreement, ``trial``."""
    repo.add("trial", TRIAL_TEXT, title="Sample Trial Agreement", language="en", kind="trial")
    return repo


def snapshot(repo: AgreementRepo) -> dict:
    """Everything a failed command must leave as it was: HEAD, index, tags, status and files."""
    raw = git.Repo(repo.root)
    return {
        "head": raw.git.rev_parse("HEAD"),
        "index": raw.git.ls_files("-s"),
        "tags": raw.git.for_each_ref("refs/tags", format="%(refname) %(objectname)"),
        "status": raw.git.status("--porcelain", "--untracked-files=all"),
        "files": {p.relative_to(repo.root).as_posix(): p.read_bytes()
                  for p in repo.root.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo.root).parts},
    }


def edit(repo: AgreementRepo, agreement_id: str, old: str, new: str) -> None:
    path = repo.agreement(agreement_id).path
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")
