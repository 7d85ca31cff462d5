"""Writing files: atomically, with the usual permissions, and safely where the user names the path.

Two kinds of writes:
- files clausewise owns (agreements, clausewise.toml, .gitignore, demo files): :func:`atomic_write_bytes`
  and :func:`atomic_write_text`; ``private=True`` for a file that holds a secret (mode 0600);
  :func:`create_private_file` for the state database (personal data and the ledger);
- output files named with ``-o``: :func:`output_file` / :func:`write_output`, which also decide what
  to do when the path is not a plain file (see docs/architecture.md, "Security and faults"):
  a regular file is replaced atomically, keeping its permissions; a FIFO or a character device
  (``/dev/null``, a terminal) is written through, never renamed over; a symbolic link to a file,
  a block device, a socket or a directory is refused with a clear error.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from .errors import UsageProblem

PRIVATE_MODE = 0o600
_CREATE_MODE = 0o666  # the kernel applies the umask, as for any file a program creates


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist, and its missing folders with 0700
    (an existing file or folder keeps its mode)."""
    target = Path(path)
    missing = [parent for parent in target.parents if not parent.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        os.close(os.open(target, flags, PRIVATE_MODE))
    except FileExistsError:
        pass


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8", *,
                      private: bool = False) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half of it."""
    atomic_write_bytes(path, text.encode(encoding), private=private)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically. A new file gets the umask's mode (0600 if ``private``);
    a replaced file keeps its mode."""
    with _atomic_replacement(Path(path), private=private) as handle:
        handle.write(data)


@contextmanager
def output_file(path: str | os.PathLike[str], *, encoding: str = "utf-8",
                newline: str | None = None) -> Iterator[TextIO]:
    """A text handle on the output file ``path`` named by the user (``-o``).

    A regular file (or a new path) is written to a temporary file beside it and renamed over it at
    the end; on an error the old file is left as it was. A FIFO or a character device is written
    through. Anything else raises UsageProblem (exit 2) before a byte is written.
    """
    with _output_raw(Path(path)) as raw, _text(raw, encoding, newline) as handle:
        yield handle


def write_output(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes as they are) to the output file ``path`` as
    :func:`output_file` does."""
    if isinstance(data, str):
        with output_file(path) as handle:
            handle.write(data)
        return
    with _output_raw(Path(path)) as raw:
        raw.write(data)


@contextmanager
def _output_raw(target: Path) -> Iterator[BinaryIO]:
    """A binary handle on the output file ``target``: written through for a FIFO or character
    device, else an atomic replacement."""
    if _writes_through(target):
        with _open_device(target) as raw:
            yield raw
        return
    with _atomic_replacement(target, private=False) as raw:
        yield raw


def _writes_through(target: Path) -> bool:
    """True for a FIFO or character device (possibly behind a link); False for a regular file or a
    new path; UsageProblem for a link to a file, a dangling link, a block device, socket or directory."""
    try:
        link = target.lstat()
    except FileNotFoundError:
        return False
    try:
        info = target.stat()
    except OSError:
        info = None
    if info is not None and (stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
        return True
    if stat.S_ISLNK(link.st_mode):
        shown = os.path.realpath(target) if info is not None else os.readlink(target)
        raise UsageProblem(f"{target} is a symbolic link (to {shown}); clausewise does not write through links "
                           "to files: give the target's own path, or remove the link")
    if stat.S_ISREG(link.st_mode):
        return False
    raise UsageProblem(f"{target} is {_kind(link.st_mode)}, not a file; choose a file path for the output")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextmanager
def _open_device(target: Path) -> Iterator[BinaryIO]:
    """Open an existing FIFO or character device for writing (no O_CREAT: a path swapped for
    something else in between is refused, not created)."""
    fd = os.open(target, os.O_WRONLY | os.O_NOCTTY)
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        os.close(fd)
        raise UsageProblem(f"{target} changed while it was being opened; run the command again")
    with os.fdopen(fd, "wb") as handle:
        yield handle


@contextmanager
def _text(raw: BinaryIO, encoding: str, newline: str | None) -> Iterator[TextIO]:
    wrapper = io.TextIOWrapper(raw, encoding=encoding, newline=newline)
    try:
        yield wrapper
        wrapper.flush()
    finally:
        wrapper.detach()  # the owner of ``raw`` closes it


@contextmanager
def _atomic_replacement(target: Path, *, private: bool) -> Iterator[BinaryIO]:
    """A binary handle on a new temporary file beside ``target``, renamed over it when the block
    ends without error (after fsync), removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(target, PRIVATE_MODE if private else _CREATE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            if not private:
                _keep_mode(handle.fileno(), target)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _create_temporary(target: Path, mode: int) -> tuple[int, Path]:
    """Create ``.<name>.<random>.tmp`` beside ``target`` with ``mode`` (less the umask); never an
    existing file (O_EXCL) and never through a link (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = target.parent / f".{target.name[:200]}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue


def _keep_mode(fd: int, target: Path) -> None:
    """Give the new file the permissions of the regular file it replaces, if there is one."""
    try:
        info = target.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISREG(info.st_mode):
        os.fchmod(fd, stat.S_IMODE(info.st_mode))
