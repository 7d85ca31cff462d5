"""Fault injection: `publish`, `import` and `add` killed at every step (CLAUSEWISE_KILL_AT, see
clausewise/faults.py) and at random moments, on a full file system, and with a read-only or corrupt
state database. Afterwards git, the index, the tags and the ledger must agree, and a re-run must
complete the work."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from clausewise.notifier.publishing import publish_version
from clausewise.notifier.store import CustomerRow, store_for_repo
from clausewise.versions import init_repo, open_repo

from ..state_backends import config_with_state_db

AGREEMENT = """# Cloud Trial Agreement

## 1. Service

1.1 The trial lasts thirty days.

## 2. Changes

2.1 We will give you notice of any change to this agreement at least thirty (30) days before it takes effect.
"""
CLI = [sys.executable, "-c", "from clausewise.cli import main; main()"]
EFFECTIVE_V1, EFFECTIVE_V2 = "2099-01-01", "2099-06-01"
PUBLISH_STEPS = ["commit-built", "ledger-written", "journal-written", "index-locked", "files-written", "tagged",
                 "branch-moved", "index-installed", "published"]
ADD_STEPS = ["commit-built", "journal-written", "index-locked", "files-written", "branch-moved", "index-installed"]


def cli(root: Path, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CLAUSEWISE_KILL_AT"}
    if kill_at:
        env["CLAUSEWISE_KILL_AT"] = kill_at
    return subprocess.run([*CLI, *args, "--repo", str(root)], capture_output=True, text=True, env=env, timeout=120)


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def make_repo(base: Path, customers: int = 3, state_db: str | None = None) -> Path:
    """trial at v1 (published with the CLI, so the ledger has it), customers on v1, v2's text edited;
    its state in ``state_db`` (default: the SQLite file in the repository)."""
    root = base / "legal"
    config_with_state_db(root, state_db)
    repo = init_repo(root)
    repo.add("trial", AGREEMENT, title="Cloud Trial Agreement", language="en", kind="trial")
    publish_version(repo, "trial", date.fromisoformat(EFFECTIVE_V1))
    with store_for_repo(repo) as store:
        store.upsert_customers(CustomerRow(f"c{n}", f"Customer {n}", f"c{n}@example.com", "en", "trial", 1)
                               for n in range(customers))
    edit_v2(root)
    return root


def edit_v2(root: Path) -> None:
    path = root / "agreements" / "trial.md"
    path.write_text(path.read_text().replace("thirty days.", "fourteen days."))


def published(root: Path, number: int) -> bool:
    log = git(root, "log", "--format=%B", "HEAD").stdout
    return f"Clausewise-Version: {number}" in log


def leftovers(root: Path) -> list[str]:
    git_dir = root / ".git"
    found = [p.name for p in git_dir.glob("clausewise-*")]
    found += ["index.lock"] if (git_dir / "index.lock").exists() else []
    found += [p.name for p in (root / "agreements").glob(".*.tmp")]
    return found


def assert_index_cannot_revert(root: Path) -> None:
    """Right after a kill, before any clausewise command: an ordinary `git commit` must not be able
    to commit a stale index (either the index matches HEAD, or git's index lock blocks it)."""
    staged = git(root, "diff", "--cached", "--name-only").stdout.strip()
    assert not staged or (root / ".git" / "index.lock").exists(), staged
    if staged:
        refused = git(root, "commit", "-qm", "ordinary commit")
        assert refused.returncode != 0 and "index.lock" in refused.stderr


def assert_consistent(root: Path) -> None:
    """After recovery: no leftovers, fsck clean, index = HEAD, tags exactly the publications."""
    assert cli(root, "list").returncode == 0  # any command recovers
    assert leftovers(root) == []
    assert git(root, "fsck", "--no-progress").returncode == 0
    assert git(root, "diff", "--cached", "--name-only").stdout == ""
    tags = set(git(root, "tag", "--list").stdout.split())
    expected = {f"trial/v{n}" for n in (1, 2, 3) if published(root, n)}
    assert tags == expected


def ledger(root: Path) -> tuple[set, dict]:
    with store_for_repo(open_repo(root)) as store:
        campaigns = {campaign.id for campaign in store.campaigns()}
        records = {version: record.commit for (_, version), record in store.publications().items()}
    return campaigns, records


def assert_completed(root: Path) -> None:
    """v2 published once, with its tag, its ledger record and its campaign for the 3 customers."""
    assert published(root, 2)
    verify = cli(root, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert cli(root, "notify", "status").returncode == 0
    campaigns, records = ledger(root)
    assert "trial/v2" in campaigns
    assert records[2] == git(root, "rev-parse", "trial/v2^{commit}").stdout.strip()
    with store_for_repo(open_repo(root)) as store:
        assert sum(store.totals()["trial/v2"].values()) == 3


@pytest.mark.both_states  # the ledger's transaction holds on PostgreSQL too: a killed client's is rolled back
@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_publish_killed_at_each_step_finishes_or_leaves_nothing(tmp_path: Path, step: str,
                                                                repo_state_db: str | None) -> None:
    root = make_repo(tmp_path, state_db=repo_state_db)
    killed = cli(root, "publish", "trial", "--effective", EFFECTIVE_V2, "-m", "Shorter trial", kill_at=step)
    assert killed.returncode == -signal.SIGKILL
    assert_index_cannot_revert(root)
    assert_consistent(root)
    committed = step in ("branch-moved", "index-installed", "published")
    assert published(root, 2) == committed
    if step in ("branch-moved", "index-installed"):
        # Published, but killed before the ledger's transaction committed: the campaign is missing,
        # and nobody can miss it.
        verify = cli(root, "verify")
        assert verify.returncode == 1 and "trial/v2 is published but its notice campaign is missing" in verify.stdout
        status = cli(root, "notify", "status")
        assert status.returncode == 1 and "MISSING: trial/v2" in status.stderr
    rerun = cli(root, "publish", "trial", "--effective", EFFECTIVE_V2, "-m", "Shorter trial")
    if committed:
        assert rerun.returncode == 1 and "identical to trial/v2" in rerun.stderr
        if step != "published":
            assert "created the missing notice campaign of trial/v2" in rerun.stdout + rerun.stderr
    else:
        assert rerun.returncode == 0, rerun.stderr
    assert_completed(root)


@pytest.mark.parametrize("repair", [["announce", "version", "trial"], ["notify", "send", "--smtp", "smtp://127.0.0.1:9"]])
def test_a_missing_campaign_is_repaired_by_announce_version_and_notify_send(tmp_path: Path, repair: list[str]) -> None:
    root = make_repo(tmp_path)
    assert cli(root, "publish", "trial", "--effective", EFFECTIVE_V2, kill_at="branch-moved").returncode == -9
    result = cli(root, *repair)
    assert "created the missing notice campaign of trial/v2" in result.stderr
    campaigns, records = ledger(root)
    assert "trial/v2" in campaigns and 2 in records
    assert cli(root, "verify").returncode == 0


def test_publish_killed_at_random_moments(tmp_path: Path) -> None:
    chance = random.Random(9)
    for run in range(5):
        root = make_repo(tmp_path / f"run{run}", customers=1)
        env = {k: v for k, v in os.environ.items() if k != "CLAUSEWISE_KILL_AT"}
        process = subprocess.Popen([*CLI, "publish", "trial", "--effective", EFFECTIVE_V2, "--repo", str(root)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(chance.uniform(0.2, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_index_cannot_revert(root)
        assert_consistent(root)
        rerun = cli(root, "publish", "trial", "--effective", EFFECTIVE_V2)
        assert rerun.returncode == 0 or "identical to trial/v2" in rerun.stderr
        verify = cli(root, "verify")
        assert verify.returncode == 0, verify.stdout


@pytest.mark.parametrize("step", ADD_STEPS)
def test_import_and_add_killed_at_each_step_finish_or_leave_nothing(tmp_path: Path, step: str) -> None:
    root = make_repo(tmp_path)
    source = tmp_path / "speech.txt"
    source.write_text("Speech Terms of Service\n\n1. The service transcribes speech.\n")
    for command in (["import", str(source), "--id", "speech"],
                    ["add", "extra", str(source), "--title", "Extra", "--lang", "en", "--kind", "general"]):
        new_id = command[3] if command[0] == "import" else "extra"
        assert cli(root, *command, kill_at=step).returncode == -signal.SIGKILL
        assert_index_cannot_revert(root)
        assert_consistent(root)
        done = step in ("branch-moved", "index-installed")
        tracked = git(root, "ls-files", f"agreements/{new_id}*").stdout.strip()
        assert bool(tracked) == done
        assert (any((root / "agreements").glob(f"{new_id}.*"))) == done  # no untracked file left behind
        rerun = cli(root, *command)
        assert rerun.returncode == (2 if done else 0), rerun.stderr
        assert git(root, "ls-files", f"agreements/{new_id}*").stdout.strip()
    assert git(root, "status", "--porcelain").stdout.splitlines() == [" M agreements/trial.md"]


def test_import_killed_at_random_moments(tmp_path: Path) -> None:
    chance = random.Random(11)
    source = tmp_path / "speech.txt"
    source.write_text("Speech Terms of Service\n\n1. The service transcribes speech.\n")
    for run in range(4):
        root = make_repo(tmp_path / f"run{run}", customers=1)
        env = {k: v for k, v in os.environ.items() if k != "CLAUSEWISE_KILL_AT"}
        process = subprocess.Popen([*CLI, "import", str(source), "--id", "speech", "--repo", str(root)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(chance.uniform(0.2, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_index_cannot_revert(root)
        assert_consistent(root)
        done = bool(git(root, "ls-files", "agreements/speech*").stdout.strip())
        assert any((root / "agreements").glob("speech.*")) == done
        rerun = cli(root, "import", str(source), "--id", "speech")
        assert rerun.returncode == (2 if done else 0), rerun.stderr
        assert git(root, "status", "--porcelain").stdout.splitlines() == [" M agreements/trial.md"]


def test_read_only_state_database_stops_publish_before_anything_is_published(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    state = root / ".clausewise"
    if os.geteuid() == 0:
        bound = subprocess.run(["mount", "--bind", str(state), str(state)], capture_output=True)
        if bound.returncode != 0:
            pytest.skip(f"cannot bind-mount a read-only folder here: {bound.stderr.decode().strip()}")
        subprocess.run(["mount", "-o", "remount,ro,bind", str(state)], check=True)
    else:
        for path in state.iterdir():
            path.chmod(0o444)
        state.chmod(0o555)
    try:
        head = git(root, "rev-parse", "HEAD").stdout
        result = cli(root, "publish", "trial", "--effective", EFFECTIVE_V2)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert git(root, "rev-parse", "HEAD").stdout == head and not published(root, 2)
        assert git(root, "tag", "--list").stdout.split() == ["trial/v1"]
        assert leftovers(root) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(state)], check=True)
        else:
            state.chmod(0o755)
            for path in state.iterdir():
                path.chmod(0o644)
    assert cli(root, "publish", "trial", "--effective", EFFECTIVE_V2).returncode == 0
    assert_completed(root)


def test_corrupt_state_database_stops_publish_before_anything_is_published(tmp_path: Path) -> None:
    root = make_repo(tmp_path, customers=3)
    database = root / ".clausewise" / "state.sqlite3"
    with sqlite3.connect(database) as db:  # enough customers for many pages, then a bad page mid-file
        db.executemany("INSERT INTO customers VALUES (?, 'trial', ?, ?, 'en', 1, 'x', 'x')",
                       [(f"bulk{n}", f"Bulk customer {n}" * 4, f"bulk{n}@example.com") for n in range(3000)])
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(database)!r}).execute('PRAGMA wal_checkpoint(TRUNCATE)')"],
                   check=True)
    data = bytearray(database.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle:middle + page] = b"\xa5" * page
    database.write_bytes(bytes(data))
    head = git(root, "rev-parse", "HEAD").stdout
    result = cli(root, "publish", "trial", "--effective", EFFECTIVE_V2)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "malformed" in result.stderr or "not a usable state database" in result.stderr
    assert git(root, "rev-parse", "HEAD").stdout == head and not published(root, 2)
    assert git(root, "tag", "--list").stdout.split() == ["trial/v1"]
    assert leftovers(root) == []


def test_full_file_system_fails_cleanly_at_every_fill_level(tmp_path: Path) -> None:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {mounted.stderr.decode().strip()}")
    try:
        root = make_repo(mount_point)
        filler = mount_point / "filler"
        for free_kib in (0, 4, 8, 16, 32, 64, 128):
            _fill(mount_point, filler, free_kib)
            head = git(root, "rev-parse", "HEAD").stdout
            result = cli(root, "publish", "trial", "--effective", EFFECTIVE_V2)
            filler.unlink()
            if result.returncode == 0:
                break
            assert result.returncode == 1, result.stderr
            assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
            assert result.stderr.count("\n") == 1, result.stderr
            assert_consistent(root)
            if result.stderr.startswith("Error: published trial/v2, but the state database failed"):
                # git committed, then the ledger's COMMIT found the disk full: said so, reported, repaired.
                verify = cli(root, "verify")
                assert verify.returncode == 1 and "notice campaign is missing" in verify.stdout
                assert "created the missing notice campaign" in cli(root, "announce", "version", "trial").stderr
                break
            assert git(root, "rev-parse", "HEAD").stdout == head, (free_kib, result.stderr)
            assert not published(root, 2)
        else:
            assert cli(root, "publish", "trial", "--effective", EFFECTIVE_V2).returncode == 0
        assert_consistent(root)
        assert_completed(root)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(mount_point: Path, filler: Path, free_kib: int) -> None:
    """Fill the file system at ``mount_point`` until about ``free_kib`` KiB are left (0: full)."""
    stats = os.statvfs(mount_point)
    left = max(stats.f_bavail * stats.f_frsize - free_kib * 1024, 0)
    with filler.open("wb", buffering=0) as handle:
        try:
            while left > 0 or free_kib == 0:
                chunk = min(left, 65536) if left > 0 else 4096
                handle.write(b"\0" * chunk)
                left -= chunk
        except OSError:
            pass
