"""Git writes (publish, add, import) that finish or leave nothing, even when the process is killed.

A write is journaled in ``.git/clausewise-journal.json`` before anything visible changes, and it
holds git's own index lock (``.git/index.lock``) from before the branch moves until the new index
is in place, so no other git command can commit the old index in between. The steps:

 1. the commit object is built in a private index (unreachable: harmless if left behind);
 2. the new content of the real index (the old one with the committed paths updated) is built in
    a private file;
 3. the journal is written: branch, old and new commit, tag, files, the new index's SHA-256;
 4. that private file is hard-linked to ``.git/index.lock`` (git's exclusive lock, taken atomically
    with its content);
 5. new working files are written (add, import);
 6. the annotated tag is created (publish);
 7. the branch moves with a compare-and-swap: THE COMMIT POINT;
 8. ``index.lock`` is renamed over ``.git/index``;
 9. the journal is removed.

An error rolls back at once. After a kill, :func:`recover` (run whenever a repository is opened)
reads the journal: if the branch points at the new commit it finishes steps 8-9, otherwise it undoes
steps 4-6 (the tag only if it points at the new commit, files and lock only if their content is
the one this write made). Private index files of dead processes are removed too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

import git

from ..errors import ClausewiseError
from ..faults import checkpoint
from ..fileutil import atomic_write_bytes
from . import gitops

JOURNAL_NAME = "clausewise-journal.json"


@dataclass(frozen=True)
class PreparedWrite:
    """A commit object built and not yet referenced, with what completing it will do."""

    branch: str
    old: str | None
    commit: str
    files: dict[str, bytes]  # repository-relative path -> the bytes committed
    subject: str
    tag: str | None = None
    tag_message: str | None = None
    write_files: bool = False  # write ``files`` into the working tree (they are new)
    blobs: dict[str, str] = field(default_factory=dict)  # path -> blob sha


def prepare(repo: git.Repo, files: dict[str, bytes], message: str, *, tag: str | None = None,
            tag_message: str | None = None, write_files: bool = False,
            allow_empty: bool = True) -> PreparedWrite | None:
    """Step 1: build the commit object of ``files`` on the current branch (nothing referenced yet).

    None when ``allow_empty`` is False and the files are already committed as they are."""
    branch, parent = gitops.current_branch(repo)
    commit, blobs = gitops.build_commit(repo, parent, files, message, allow_empty=allow_empty)
    if commit is None:
        return None
    checkpoint("commit-built")
    return PreparedWrite(branch, parent, commit, dict(files), message.splitlines()[0], tag, tag_message,
                         write_files, blobs)


def commit_files(repo: git.Repo, files: dict[str, bytes], message: str, *, write_files: bool = False,
                 allow_empty: bool = True) -> str | None:
    """Commit exactly ``files`` on the current branch (other staged or unstaged work is left alone),
    writing them into the working tree first if ``write_files``; the commit, or None if unchanged."""
    write = prepare(repo, files, message, write_files=write_files, allow_empty=allow_empty)
    if write is None:
        return None
    complete(repo, write)
    return write.commit


def complete(repo: git.Repo, write: PreparedWrite) -> None:
    """Steps 2-9: lock the index, write files and tag, move the branch, install the index.

    On an error every step taken is undone and ClausewiseError says what happened.
    """
    git_dir = Path(repo.git_dir)
    real_index, lock = git_dir / "index", git_dir / "index.lock"
    base = _sha256_of(real_index)
    new_index = _new_index(repo, write)
    journal = {
        "subject": write.subject, "branch": write.branch, "old": write.old, "new": write.commit,
        "tag": write.tag, "index_sha256": _sha256_of(new_index), "worker": gitops.process_id(),
        "created_files": {p: hashlib.sha256(d).hexdigest() for p, d in write.files.items()} if write.write_files
        else {},
    }
    try:
        try:
            atomic_write_bytes(git_dir / JOURNAL_NAME, json.dumps(journal, indent=1).encode("utf-8"))
        except OSError as exc:
            raise ClausewiseError(f"could not write {git_dir / JOURNAL_NAME}: {exc.strerror or exc}; "
                                  "nothing was changed") from None
        checkpoint("journal-written")
        try:
            os.link(new_index, lock)
        except FileExistsError:
            _remove(git_dir / JOURNAL_NAME)
            raise ClausewiseError(f"{lock} exists: another git process is running (or one was killed); wait "
                                  f"for it, or remove {lock} if no git command is running, and try again") from None
    finally:
        _remove(new_index)
    if _sha256_of(real_index) != base:
        _undo(repo, journal)
        raise ClausewiseError(f"the index ({real_index}) changed while {write.subject!r} ran; nothing was "
                              "changed, run the command again")
    checkpoint("index-locked")
    try:
        if write.write_files:
            for path, data in write.files.items():
                atomic_write_bytes(Path(repo.working_tree_dir) / path, data)
        checkpoint("files-written")
        if write.tag is not None:
            gitops.create_tag(repo, write.tag, write.commit, write.tag_message or write.subject)
        checkpoint("tagged")
        gitops.move_branch(repo, write.branch, write.commit, write.old, write.subject)
    except BaseException as exc:
        try:
            _undo(repo, journal)
        except (OSError, git.GitCommandError, ClausewiseError):
            pass  # the journal stays: the next clausewise command undoes the rest
        if isinstance(exc, OSError):
            raise ClausewiseError(f"{exc.filename or 'a file'}: {exc.strerror or exc}; nothing was changed "
                                  "(free some space or fix the permissions and try again)") from None
        raise
    checkpoint("branch-moved")
    _finish(repo, journal)
    checkpoint("index-installed")


def recover(repo: git.Repo) -> str | None:
    """Finish or undo a write that was interrupted (see the module's docstring); returns what was done."""
    git_dir = Path(repo.git_dir)
    _remove_orphan_indexes(git_dir)
    path = git_dir / JOURNAL_NAME
    try:
        journal = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ClausewiseError(f"{path}: unreadable journal of an interrupted write ({exc}); check that no "
                              "clausewise command is running, then inspect 'git status' and delete it") from None
    if journal.get("worker") != gitops.process_id() and gitops.process_alive(journal.get("worker", "")):
        return None  # another clausewise process is in the middle of it
    try:
        if _ref(repo, journal["branch"]) == journal["new"]:
            _finish(repo, journal)
            return f"finished the interrupted '{journal['subject']}' (its commit was already on the branch)"
        _undo(repo, journal)
        return f"undid the interrupted '{journal['subject']}': it had not been committed"
    except (OSError, git.GitCommandError) as exc:
        raise ClausewiseError(f"could not recover the interrupted '{journal['subject']}' ({exc}); fix the "
                              f"cause and run clausewise again (the journal is {path})") from None


def _new_index(repo: git.Repo, write: PreparedWrite) -> Path:
    """Step 2: a private copy of the real index with the written paths set to the new blobs."""
    git_dir = Path(repo.git_dir)
    path = gitops.private_index_path(git_dir)
    try:
        real = git_dir / "index"
        if real.exists():
            shutil.copyfile(real, path)
        for relative, blob in write.blobs.items():
            repo.git.update_index("--add", "--cacheinfo", f"100644,{blob},{relative}",
                                  env={"GIT_INDEX_FILE": str(path)})
    except (OSError, git.GitCommandError) as exc:
        _remove(path)
        reason = gitops.git_error(exc) if isinstance(exc, git.GitCommandError) else exc.strerror or str(exc)
        raise ClausewiseError(f"could not prepare the new index: {reason}; nothing was changed") from None
    return path


def _finish(repo: git.Repo, journal: dict) -> None:
    git_dir = Path(repo.git_dir)
    lock = git_dir / "index.lock"
    if _sha256_of(lock) == journal["index_sha256"]:
        os.replace(lock, git_dir / "index")
    _remove(git_dir / JOURNAL_NAME)


def _undo(repo: git.Repo, journal: dict) -> None:
    git_dir, root = Path(repo.git_dir), Path(repo.working_tree_dir)
    tag = journal.get("tag")
    if tag and _ref(repo, f"refs/tags/{tag}^{{commit}}") == journal["new"]:
        gitops.delete_tag(repo, tag)
    for relative, digest in journal.get("created_files", {}).items():
        target = root / relative
        if _sha256_of(target) == digest:
            target.unlink()
        for leftover in target.parent.glob(f".{target.name}.*.tmp"):  # an atomic write cut short
            _remove(leftover)
    lock = git_dir / "index.lock"
    if _sha256_of(lock) == journal["index_sha256"]:
        lock.unlink()
    _remove(git_dir / JOURNAL_NAME)


def _remove_orphan_indexes(git_dir: Path) -> None:
    host = socket.gethostname()
    for path in git_dir.glob(f"{gitops.PRIVATE_INDEX_PREFIX}*"):
        pid, _, rest = path.name.removeprefix(gitops.PRIVATE_INDEX_PREFIX).partition("-")
        start = rest.partition("-")[0]
        if not gitops.process_alive(f"{host}:{pid}:{start}"):
            _remove(path)


def _ref(repo: git.Repo, name: str) -> str | None:
    try:
        return repo.git.rev_parse("--verify", "-q", name)
    except git.GitCommandError:
        return None


def _sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
