"""Output files (-o) and file modes: regular files replaced atomically with the usual mode, FIFOs and
character devices written through, links to files and other special files refused."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.fileutil import atomic_write_text, create_private_file, write_output
from clausewise.notifier.store import open_store

OLD = "1. Scope\n\n1.1 The trial lasts thirty days.\n"
NEW = "1. Scope\n\n1.1 The trial lasts ten days.\n"


@pytest.fixture
def texts(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(OLD, "utf-8")
    new.write_text(NEW, "utf-8")
    return old, new


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def diff_to(texts: tuple[Path, Path], output: Path | str):
    return CliRunner().invoke(main, ["diff", str(texts[0]), str(texts[1]), "--format", "md", "-o", str(output)])


def test_a_new_output_file_gets_the_umask_mode(texts, tmp_path: Path, umask_022) -> None:
    result = diff_to(texts, tmp_path / "out.md")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "out.md").stat().st_mode) == 0o644
    assert "**ten** days" in (tmp_path / "out.md").read_text("utf-8")
    os.umask(0o077)
    write_output(tmp_path / "private.md", "x")
    assert stat.S_IMODE((tmp_path / "private.md").stat().st_mode) == 0o600


def test_a_replaced_output_file_keeps_its_mode(texts, tmp_path: Path, umask_022) -> None:
    out = tmp_path / "out.md"
    out.write_text("old", "utf-8")
    out.chmod(0o640)
    assert diff_to(texts, out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and "**ten** days" in out.read_text("utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_files_clausewise_owns_get_the_umask_mode_and_secrets_0600(tmp_path: Path, umask_022) -> None:
    atomic_write_text(tmp_path / "plain.txt", "x")
    atomic_write_text(tmp_path / "secret.toml", 'smtp_password = "x"', private=True)
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret.toml").stat().st_mode) == 0o600


def test_the_state_database_is_private_when_created(tmp_path: Path, umask_022) -> None:
    database = tmp_path / "repo" / ".clausewise" / "state.sqlite3"
    open_store(database).close()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    create_private_file(database)  # an existing file is left alone
    assert database.stat().st_size > 0


def test_a_symlink_to_a_file_is_refused_and_left_alone(texts, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    link = tmp_path / "out.md"
    link.symlink_to(victim)
    result = diff_to(texts, link)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "is a symbolic link" in result.output and "give the target's own path" in result.output
    assert link.is_symlink() and victim.read_text("utf-8") == "precious"


def test_a_dangling_symlink_is_refused(texts, tmp_path: Path) -> None:
    link = tmp_path / "out.md"
    link.symlink_to(tmp_path / "nowhere" / "file")
    result = diff_to(texts, link)
    assert result.exit_code == 2 and "is a symbolic link" in result.output
    assert not (tmp_path / "nowhere").exists()


def test_a_fifo_is_written_through_not_replaced(texts, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = diff_to(texts, fifo)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert b"**ten** days" in received[0]


def char_device(tmp_path: Path, name: str, minor: int) -> Path:
    """A private copy of /dev/null (minor 3) or /dev/full (minor 7) when root, so that a regression
    can never replace the system's own device; otherwise the system's, which a non-root process
    cannot replace."""
    if os.geteuid() != 0:
        return Path("/dev") / name
    path = tmp_path / name
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return path


def test_a_character_device_like_dev_null_is_written_through_and_stays_a_device(texts, tmp_path: Path) -> None:
    null = char_device(tmp_path, "null", 3)
    before = os.lstat(null)
    result = diff_to(texts, null)
    assert result.exit_code == 0, result.output
    after = os.lstat(null)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert [p.name for p in null.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_full_device_is_one_error_line(texts, tmp_path: Path) -> None:
    full = char_device(tmp_path, "full", 7)
    result = diff_to(texts, full)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: ") and "No space left on device" in result.output
    assert "free some space" in result.output and stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_socket_is_refused(texts, tmp_path: Path) -> None:
    import socket

    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        result = diff_to(texts, path)
    finally:
        server.close()
    assert result.exit_code == 2 and "is a socket, not a file" in result.output


def test_the_report_uses_the_same_rules(tmp_path: Path) -> None:
    victim = tmp_path / "victim.csv"
    victim.write_text("precious", "utf-8")
    link = tmp_path / "proof.csv"
    link.symlink_to(victim)
    from clausewise.versions import init_repo

    repo = init_repo(tmp_path / "legal")
    result = CliRunner().invoke(main, ["notify", "report", "-o", str(link), "--repo", str(repo.root)])
    assert result.exit_code == 2 and "is a symbolic link" in result.output
    assert victim.read_text("utf-8") == "precious"
    null = char_device(tmp_path, "null", 3)
    ok = CliRunner().invoke(main, ["notify", "report", "-o", str(null), "--repo", str(repo.root)])
    assert ok.exit_code == 0, ok.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)
