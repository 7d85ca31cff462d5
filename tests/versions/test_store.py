"""The agreement store on real git repositories in temp folders."""

from __future__ import annotations

import hashlib

from datetime import date, timedelta
from pathlib import Path

import git
import pytest

from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.versions import init_repo, open_repo

from .conftest import TODAY, TRIAL_TEXT, edit, snapshot

LATER = TODAY + timedelta(days=60)


def test_init_creates_config_gitignore_and_one_commit(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "new")
    raw = git.Repo(repo.root)
    assert sorted(raw.git.ls_files().splitlines()) == [".gitignore", "clausewise.toml"]
    assert "/.clausewise/" in (repo.root / ".gitignore").read_text()
    assert repo.config.default_notice_days == 30
    init_repo(repo.root)  # running it again changes nothing
    assert len(list(raw.iter_commits())) == 1


def test_init_adopts_an_existing_repository_and_keeps_its_work(tmp_path: Path) -> None:
    raw = git.Repo.init(tmp_path)
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / "notes.txt").write_text("mine")
    raw.git.add("notes.txt")  # staged work of the user must stay staged, not be committed
    init_repo(tmp_path)
    assert raw.git.show("HEAD:.gitignore") == "*.log\n\n# clausewise: local state (customers, notice ledger, SMTP secrets) stays out of git\n/.clausewise/"
    assert "notes.txt" not in raw.git.ls_tree("-r", "--name-only", "HEAD").splitlines()
    assert raw.git.status("--porcelain") == "A  notes.txt"


def test_state_database_is_ignored(repo) -> None:
    (repo.root / ".clausewise").mkdir()
    (repo.root / ".clausewise" / "state.sqlite3").write_bytes(b"x")
    assert git.Repo(repo.root).git.status("--porcelain") == ""


def test_open_repo_refuses_missing_and_foreign_directories(tmp_path: Path) -> None:
    with pytest.raises(ClausewiseError, match="no such directory; create it with 'clausewise init"):
        open_repo(tmp_path / "missing")
    with pytest.raises(ClausewiseError, match="not an agreements repository"):
        open_repo(tmp_path)
    git.Repo.init(tmp_path / "plain")
    with pytest.raises(ClausewiseError, match="no clausewise.toml"):
        open_repo(tmp_path / "plain")


def test_open_repo_finds_the_root_from_a_subdirectory(trial_repo) -> None:
    assert open_repo(trial_repo.root / "agreements").root == trial_repo.root


def test_add_writes_front_matter_and_commits_a_draft(trial_repo) -> None:
    agreement = trial_repo.agreement("trial")
    assert agreement.path == trial_repo.root / "agreements" / "trial.md"
    assert agreement.path.read_text().startswith('+++\ntitle = "Sample Trial Agreement"\nlanguage = "en"\nkind = "trial"\n+++\n')
    assert (agreement.latest, agreement.has_unpublished_changes, agreement.notice_days) == (None, True, 30)
    raw = git.Repo(trial_repo.root)
    assert raw.head.commit.message.strip() == "Add draft agreement trial"
    assert raw.git.status("--porcelain") == ""
    assert raw.tags == []
    assert trial_repo.text("trial") == TRIAL_TEXT


def test_add_file_takes_front_matter_defaults_and_keeps_txt(repo, tmp_path: Path) -> None:
    source = tmp_path / "合同.txt"
    source.write_text('+++\ntitle = "试用协议"\nlanguage = "zh-CN"\nkind = "trial"\nnotice_days = 7\n+++\n一、定义\n1.1 本服务：指语音服务。\n')
    agreement, notes = repo.add_file("zh-trial", source)
    assert notes == []
    assert (agreement.title, agreement.language, agreement.notice_days) == ("试用协议", "zh-CN", 7)
    assert agreement.path.name == "zh-trial.txt"
    assert repo.text("zh-trial") == "一、定义\n1.1 本服务：指语音服务。\n"


def test_add_refuses_duplicates_bad_ids_and_bad_text(trial_repo) -> None:
    before = snapshot(trial_repo)
    with pytest.raises(UsageProblem, match="'trial' already exists"):
        trial_repo.add("trial", "Other text.", title="T", language="en", kind="trial", suffix=".txt")
    with pytest.raises(UsageProblem, match="not a slug"):
        trial_repo.add("Trial 2", "Text.", title="T", language="en", kind="trial")
    with pytest.raises(ClausewiseError, match="is empty"):
        trial_repo.add("empty", " \n", title="T", language="en", kind="trial")
    with pytest.raises(UsageProblem, match="language 'English'"):
        trial_repo.add("x", "Text.", title="T", language="English", kind="trial")
    assert snapshot(trial_repo) == before


def test_publish_commits_with_trailers_and_an_annotated_tag(trial_repo) -> None:
    version = trial_repo.publish("trial", LATER, summary="First\npublic version", today=TODAY)
    raw = git.Repo(trial_repo.root)
    assert (version.number, version.tag, version.effective, version.notice_days) == (1, "trial/v1", LATER, 30)
    assert version.summary == "First public version"
    commit = raw.commit(version.commit)
    assert commit == raw.head.commit
    assert commit.trailers_dict == {
        "Clausewise-Agreement": ["trial"], "Clausewise-Version": ["1"],
        "Effective-Date": [LATER.isoformat()], "Notice-Days": ["30"],
        "Text-SHA256": [hashlib.sha256((trial_repo.root / "agreements/trial.md").read_bytes()).hexdigest()],
    }
    assert version.text_sha256 == commit.trailers_dict["Text-SHA256"][0]
    tag = raw.tags["trial/v1"]
    assert tag.commit == commit and tag.tag is not None
    assert f"Effective-Date: {LATER.isoformat()}" in tag.tag.message
    assert f"Publish-Commit: {commit.hexsha}" in tag.tag.message
    assert raw.git.status("--porcelain") == ""
    assert trial_repo.agreement("trial").has_unpublished_changes is False


def test_second_publish_numbers_v2_and_keeps_both_texts(trial_repo) -> None:
    trial_repo.publish("trial", LATER, today=TODAY)
    edit(trial_repo, "trial", "thirty days", "fourteen days")
    assert trial_repo.agreement("trial").has_unpublished_changes is True
    second = trial_repo.publish("trial", LATER + timedelta(days=30), notice_days=45, summary="Shorter trial", today=TODAY)
    assert [v.number for v in trial_repo.versions("trial")] == [1, 2]
    assert second.notice_days == 45
    assert "thirty days" in trial_repo.text("trial", 1)
    assert "fourteen days" in trial_repo.text("trial", 2)
    assert trial_repo.version("trial", 2).summary == "Shorter trial"
    assert trial_repo.agreement("trial").latest == second
    assert trial_repo.verify() == []


def test_publish_refuses_identical_text_even_with_trailing_whitespace(trial_repo) -> None:
    trial_repo.publish("trial", LATER, today=TODAY)
    path = trial_repo.agreement("trial").path
    path.write_text(path.read_text().replace("from activation.", "from activation.   ") + "\n\n")
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match="identical to trial/v1"):
        trial_repo.publish("trial", LATER + timedelta(days=1), today=TODAY)
    assert snapshot(trial_repo) == before


def test_publish_refuses_short_notice_unless_a_reason_is_given(trial_repo) -> None:
    trial_repo.publish("trial", TODAY, today=TODAY)  # a first version: nobody to notify
    edit(trial_repo, "trial", "thirty days", "fourteen days")
    before = snapshot(trial_repo)
    soon = TODAY + timedelta(days=29)
    with pytest.raises(ClausewiseError, match="use 2031-03-31 or later, or pass --allow-short-notice REASON"):
        trial_repo.publish("trial", soon, today=TODAY)
    assert snapshot(trial_repo) == before
    with pytest.raises(UsageProblem, match="needs a reason"):
        trial_repo.publish("trial", soon, allow_short_notice="  ", today=TODAY)
    version = trial_repo.publish("trial", soon, allow_short_notice="Security fix\nrequired", today=TODAY)
    assert version.short_notice_reason == "Security fix required"
    assert git.Repo(trial_repo.root).head.commit.trailers_dict["Short-Notice-Reason"] == ["Security fix required"]


def test_publish_uses_the_agreements_own_notice_days(repo) -> None:
    repo.add("sla", "1.1 Uptime is 99.9%.", title="SLA", language="en", kind="sla", notice_days=90)
    repo.publish("sla", TODAY, today=TODAY)
    edit(repo, "sla", "99.9%", "99.5%")
    with pytest.raises(ClausewiseError, match="90 days required"):
        repo.publish("sla", TODAY + timedelta(days=60), today=TODAY)
    assert repo.publish("sla", TODAY + timedelta(days=90), today=TODAY).notice_days == 90


def test_publish_refuses_an_effective_date_before_the_previous_versions(trial_repo) -> None:
    trial_repo.publish("trial", LATER, today=TODAY)
    edit(trial_repo, "trial", "thirty days", "fourteen days")
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match="is before trial/v1's .* cannot take effect before the one it replaces"):
        trial_repo.publish("trial", LATER - timedelta(days=1), today=TODAY)
    assert snapshot(trial_repo) == before


def test_publish_refuses_a_dirty_tree_outside_agreements(trial_repo) -> None:
    config = trial_repo.root / "clausewise.toml"
    config.write_text(config.read_text() + "\n# edited\n")
    with pytest.raises(ClausewiseError, match="clausewise.toml is modified or untracked outside agreements/"):
        trial_repo.publish("trial", LATER, today=TODAY)
    git.Repo(trial_repo.root).git.checkout("--", "clausewise.toml")
    (trial_repo.root / "stray.txt").write_text("x")
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match="stray.txt is modified or untracked"):
        trial_repo.publish("trial", LATER, today=TODAY)
    assert snapshot(trial_repo) == before


def test_publish_refuses_staged_changes_of_other_files(trial_repo) -> None:
    trial_repo.add("other", "1.1 Other terms.", title="Other", language="en", kind="general")
    edit(trial_repo, "other", "Other terms", "Changed terms")
    raw = git.Repo(trial_repo.root)
    raw.git.add("agreements/other.md")
    with pytest.raises(ClausewiseError, match="agreements/other.md has staged changes"):
        trial_repo.publish("trial", LATER, today=TODAY)


def test_publish_allows_unpublished_edits_to_other_agreements(trial_repo) -> None:
    trial_repo.add("other", "1.1 Other terms.", title="Other", language="en", kind="general")
    edit(trial_repo, "other", "Other terms", "Changed terms")
    (trial_repo.root / "agreements" / "notes-draft.md").write_text("scratch")
    version = trial_repo.publish("trial", LATER, today=TODAY)
    raw = git.Repo(trial_repo.root)
    assert raw.git.show(f"{version.commit}:agreements/other.md").endswith("1.1 Other terms.")
    assert sorted(raw.git.status("--porcelain").splitlines()) == [" M agreements/other.md", "?? agreements/notes-draft.md"]


def test_publish_commits_the_agreements_own_staged_edit(trial_repo) -> None:
    edit(trial_repo, "trial", "thirty days", "sixty days")
    git.Repo(trial_repo.root).git.add("agreements/trial.md")
    version = trial_repo.publish("trial", LATER, today=TODAY)
    assert "sixty days" in trial_repo.text("trial", version.number)
    assert git.Repo(trial_repo.root).git.status("--porcelain") == ""


def test_a_stray_tag_stops_publish_without_a_half_made_commit(trial_repo) -> None:
    raw = git.Repo(trial_repo.root)
    raw.git.tag("trial/v1")  # made by hand, lightweight
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match=r"tag trial/v1 already exists .*\(git tag -d trial/v1\)"):
        trial_repo.publish("trial", LATER, today=TODAY)
    assert snapshot(trial_repo) == before


def test_a_failing_tag_leaves_everything_as_it_was(trial_repo) -> None:
    edit(trial_repo, "trial", "thirty days", "sixty days")
    lock = trial_repo.root / ".git" / "refs" / "tags" / "trial" / "v1.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")  # another process is writing this tag
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match="could not create tag trial/v1.*nothing was published"):
        trial_repo.publish("trial", LATER, today=TODAY)
    assert snapshot(trial_repo) == before


def test_a_failing_branch_update_removes_the_new_tag(trial_repo) -> None:
    raw = git.Repo(trial_repo.root)
    edit(trial_repo, "trial", "thirty days", "sixty days")
    lock = Path(raw.git_dir) / f"{raw.head.reference.path}.lock"
    lock.write_text("")  # another process is moving the branch
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match="could not move refs/heads/.*nothing was published"):
        trial_repo.publish("trial", LATER, today=TODAY)
    assert snapshot(trial_repo) == before
    lock.unlink()
    assert trial_repo.publish("trial", LATER, today=TODAY).number == 1


def test_publish_refuses_a_detached_head(trial_repo) -> None:
    raw = git.Repo(trial_repo.root)
    raw.git.checkout("--detach")
    edit(trial_repo, "trial", "thirty days", "sixty days")
    with pytest.raises(ClausewiseError, match="HEAD is detached; check out a branch"):
        trial_repo.publish("trial", LATER, today=TODAY)


def test_unknown_ids_and_versions_are_usage_problems(trial_repo) -> None:
    with pytest.raises(UsageProblem, match=r"unknown agreement 'nope' \(known: trial\)"):
        trial_repo.publish("nope", LATER, today=TODAY)
    with pytest.raises(UsageProblem, match=r"trial has no version v3 \(published: none yet\)"):
        trial_repo.text("trial", 3)


def test_identity_comes_from_git_config_else_a_fallback(trial_repo, monkeypatch) -> None:
    raw = git.Repo(trial_repo.root)
    assert raw.head.commit.author.email == "clausewise@localhost"  # conftest removed every identity
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Person")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "env@example.com")
    version = trial_repo.publish("trial", LATER, today=TODAY)
    assert raw.commit(version.commit).author.email == "env@example.com"
    with raw.config_writer() as writer:
        writer.set_value("user", "name", "Legal Counsel")
        writer.set_value("user", "email", "counsel@example.com")
    edit(trial_repo, "trial", "thirty days", "sixty days")
    version = trial_repo.publish("trial", LATER, today=TODAY)
    commit = raw.commit(version.commit)
    assert (commit.author.name, commit.committer.email) == ("Legal Counsel", "counsel@example.com")
    assert raw.tags["trial/v2"].tag.tagger.email == "counsel@example.com"


def test_verify_reports_moved_deleted_and_foreign_tags(trial_repo) -> None:
    trial_repo.publish("trial", LATER, today=TODAY)
    edit(trial_repo, "trial", "thirty days", "sixty days")
    trial_repo.publish("trial", LATER, today=TODAY)
    assert trial_repo.verify() == []
    raw = git.Repo(trial_repo.root)
    with raw.config_writer() as writer:
        writer.set_value("user", "name", "Someone").set_value("user", "email", "someone@example.com")
    raw.git.tag("-f", "-a", "-m", "moved", "trial/v1", "HEAD")
    problems = trial_repo.verify()
    assert len(problems) == 1 and problems[0].startswith("tag trial/v1 was moved")
    raw.git.tag("-d", "trial/v2")
    raw.git.tag("trial/v7", "HEAD~1")
    problems = trial_repo.verify()
    assert any(p.startswith("tag trial/v2 is missing") for p in problems)
    assert any(p.startswith("tag trial/v7 points at") for p in problems)
    assert len(problems) == 3


def test_verify_reports_a_tag_replaced_in_place(trial_repo) -> None:
    version = trial_repo.publish("trial", LATER, today=TODAY)
    git.Repo(trial_repo.root).git.tag("-f", "trial/v1", version.commit)  # same commit, lightweight now
    assert trial_repo.verify() == ["tag trial/v1 was replaced by a tag without the publication fields; delete it "
                                   "(git tag -d trial/v1) and recreate it with 'clausewise verify --repair'"]


def test_resolve_versions_and_working_copy(trial_repo) -> None:
    trial_repo.publish("trial", LATER, today=TODAY)
    edit(trial_repo, "trial", "thirty days", "sixty days")
    text, ref = trial_repo.resolve("trial@v1")
    assert "thirty days" in text and (ref.version, ref.effective, ref.title) == (1, LATER.isoformat(), "Sample Trial Agreement")
    assert trial_repo.resolve("trial@latest")[1].version == 1
    text, ref = trial_repo.resolve("trial")
    assert "sixty days" in text and ref.version is None
    with pytest.raises(UsageProblem, match="neither an agreement id"):
        trial_repo.resolve("nope")
    with pytest.raises(UsageProblem, match="v1, v2"):
        trial_repo.resolve("trial@x")


def test_broken_working_file_is_named(trial_repo) -> None:
    path = trial_repo.agreement("trial").path
    path.write_bytes(b"+++\ntitle = 'T'\nlanguage = 'en'\nkind = 'trial'\n+++\n\xff\xfe")
    with pytest.raises(ClausewiseError, match=r"agreements/trial.md is not UTF-8 \(byte 0xff at offset"):
        trial_repo.publish("trial", LATER, today=TODAY)
    path.write_text("+++\ntitle = 'T'\nlanguage = 'en'\nkind = 'trial'\n+++\n\n")
    with pytest.raises(ClausewiseError, match=r"agreements/trial.md \(after the front matter\) is empty"):
        trial_repo.publish("trial", LATER, today=TODAY)


def test_published_at_is_recorded(trial_repo) -> None:
    version = trial_repo.publish("trial", LATER, today=TODAY)
    assert abs(version.published_at.date() - date.today()) <= timedelta(days=1)


def test_write_text_keeps_front_matter_and_commits_nothing(trial_repo) -> None:
    head = git.Repo(trial_repo.root).head.commit
    agreement = trial_repo.write_text("trial", "## 1. Definitions\n\n1.1 New.\n")
    assert agreement.has_unpublished_changes and agreement.title == "Sample Trial Agreement"
    assert trial_repo.text("trial") == "## 1. Definitions\n\n1.1 New.\n"
    assert git.Repo(trial_repo.root).head.commit == head
    with pytest.raises(ClausewiseError, match="the new text of trial is empty"):
        trial_repo.write_text("trial", "")


def test_a_failing_add_leaves_no_file_and_no_commit(trial_repo) -> None:
    raw = git.Repo(trial_repo.root)
    lock = Path(raw.git_dir) / f"{raw.head.reference.path}.lock"
    lock.write_text("")
    before = snapshot(trial_repo)
    with pytest.raises(ClausewiseError, match="could not move refs/heads/.*; second was not added"):
        trial_repo.add("second", "1.1 Terms.", title="Second", language="en", kind="general")
    assert snapshot(trial_repo) == before


def test_notice_days_beyond_ten_years_is_refused_before_anything_is_written(repo) -> None:
    before = snapshot(repo)
    with pytest.raises(UsageProblem, match="notice_days 999999999 must be a whole number of days from 0 to 3650"):
        repo.add("sla", "1.1 Uptime is 99.9%.", title="SLA", language="en", kind="sla", notice_days=999999999)
    assert snapshot(repo) == before
