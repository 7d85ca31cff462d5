"""The few git operations the store needs.

Commits are built in a private index file from HEAD's tree plus the given files, so the user's
index and working tree are never half-updated; the branch moves with a compare-and-swap
(``git update-ref NEW OLD``). ``transaction.py`` puts these steps together so that a write
finishes or leaves nothing. Every git command runs with replace refs ignored
(``GIT_NO_REPLACE_OBJECTS``): ``git replace`` cannot change what clausewise reads.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import git
from gitdb import IStream

from ..errors import ClausewiseError
from ..notifier.store import local_worker_alive, worker_id

ZERO_SHA = "0" * 40
FALLBACK_NAME = "clausewise"
FALLBACK_EMAIL = "clausewise@localhost"
PRIVATE_INDEX_PREFIX = "clausewise-index-"


def open_git(path: str | os.PathLike[str], **options: object) -> git.Repo:
    """A GitPython repository whose git commands (object reads included) ignore replace refs."""
    repo = git.Repo(path, **options)
    return no_replace_objects(repo)


def no_replace_objects(repo: git.Repo) -> git.Repo:
    """Make every git command of ``repo`` ignore ``refs/replace/`` (before any command runs)."""
    repo.git.update_environment(GIT_NO_REPLACE_OBJECTS="1")
    return repo


def process_id() -> str:
    """This process as ``host:pid:start``, to tell later whether it still runs."""
    return worker_id()


def process_alive(process: str) -> bool:
    """Whether the process named by :func:`process_id` still runs (other hosts: assumed so)."""
    return local_worker_alive(process)


def private_index_path(git_dir: str | os.PathLike[str]) -> Path:
    """A new private index file name in ``git_dir``, naming this process so orphans can be found."""
    _, pid, start = process_id().rsplit(":", 2)
    fd, path = tempfile.mkstemp(prefix=f"{PRIVATE_INDEX_PREFIX}{pid}-{start}-", dir=git_dir)
    os.close(fd)
    os.unlink(path)  # git creates it; an empty existing file is not a valid index
    return Path(path)


def git_error(exc: git.GitCommandError) -> str:
    """git's own reason (its first 'fatal:' or 'error:' line), without GitPython's decoration."""
    lines = [line.strip().strip("'") for line in str(exc.stderr or "").splitlines() if line.strip()]
    for line in lines:
        for prefix in ("stderr: ", "'"):
            line = line.removeprefix(prefix)
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1].rstrip(".")
    return lines[0].removeprefix("stderr: ").strip("'") if lines else f"git exited with status {exc.status}"


def identity_env(repo: git.Repo) -> dict[str, str]:
    """Author and committer for git: the git config identity, else the environment, else clausewise's own."""
    reader = repo.config_reader()
    config_name = str(reader.get_value("user", "name", default="") or "")
    config_email = str(reader.get_value("user", "email", default="") or "")
    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = (
            config_name or os.environ.get(f"GIT_{role}_NAME") or os.environ.get("GIT_AUTHOR_NAME") or FALLBACK_NAME
        )
        env[f"GIT_{role}_EMAIL"] = (
            config_email or os.environ.get(f"GIT_{role}_EMAIL") or os.environ.get("GIT_AUTHOR_EMAIL") or FALLBACK_EMAIL
        )
    return env


def current_branch(repo: git.Repo) -> tuple[str, str | None]:
    """(branch ref path, its commit or None for a new repository); ClausewiseError on a detached HEAD."""
    if repo.head.is_detached:
        raise ClausewiseError(
            f"{repo.working_tree_dir}: HEAD is detached; check out a branch (git switch main) before changing agreements"
        )
    branch = repo.head.reference.path
    return branch, repo.head.commit.hexsha if repo.head.is_valid() else None


def build_commit(repo: git.Repo, parent: str | None, files: dict[str, bytes], message: str,
                 *, allow_empty: bool = True) -> tuple[str | None, dict[str, str]]:
    """Write a commit object: ``parent``'s tree with ``files`` (repository-relative path -> bytes) replaced.

    Nothing is referenced yet: the commit is unreachable until :func:`move_branch`. Returns the
    commit (None when the tree would not change and ``allow_empty`` is False) and each file's blob.
    """
    env = identity_env(repo)
    index_path = private_index_path(repo.git_dir)
    index_env = {**env, "GIT_INDEX_FILE": str(index_path)}
    blobs: dict[str, str] = {}
    try:
        if parent is not None:
            repo.git.read_tree(parent, env=index_env)
        for path, data in files.items():
            blobs[path] = repo.odb.store(IStream(git.Blob.type, len(data), BytesIO(data))).hexsha.decode("ascii")
            repo.git.update_index("--add", "--cacheinfo", f"100644,{blobs[path]},{path}", env=index_env)
        tree = repo.git.write_tree(env=index_env)
        if not allow_empty and parent is not None and repo.commit(parent).tree.hexsha == tree:
            return None, blobs
        parents = ["-p", parent] if parent is not None else []
        return repo.git.commit_tree(tree, *parents, "-m", message, env=env), blobs
    except git.GitCommandError as exc:
        raise ClausewiseError(f"could not write the commit: {git_error(exc)}; nothing was changed") from None
    except OSError as exc:
        raise ClausewiseError(f"could not write the commit: {exc.strerror or exc}; nothing was changed "
                              "(free some space or fix the permissions and try again)") from None
    finally:
        if os.path.exists(index_path):
            os.unlink(index_path)


def create_tag(repo: git.Repo, name: str, commit: str, message: str) -> None:
    """Create the annotated tag ``name`` on ``commit``; fails if the tag exists (never moves one)."""
    try:
        repo.git.tag("-a", "--cleanup=verbatim", "-m", message, name, commit, env=identity_env(repo))
    except git.GitCommandError as exc:
        raise ClausewiseError(f"could not create tag {name}: {git_error(exc)}") from None


def delete_tag(repo: git.Repo, name: str) -> None:
    """Roll back a tag created moments ago by a write that then failed."""
    repo.git.tag("-d", name)


def move_branch(repo: git.Repo, branch: str, new: str, old: str | None, reason: str) -> None:
    """Point ``branch`` at ``new`` only if it still points at ``old`` (None: it must not exist yet)."""
    try:
        repo.git.update_ref("-m", reason, branch, new, old or ZERO_SHA)
    except git.GitCommandError as exc:
        raise ClausewiseError(f"could not move {branch}: {git_error(exc)}") from None


@dataclass(frozen=True)
class WorkingTreeStatus:
    staged: list[str]  # paths whose index entry differs from HEAD
    modified: list[str]  # tracked paths changed (or deleted) in the working tree
    untracked: list[str]  # untracked paths that .gitignore does not ignore


def working_tree_status(repo: git.Repo) -> WorkingTreeStatus:
    output = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all")
    staged: list[str] = []
    modified: list[str] = []
    untracked: list[str] = []
    entries = iter(output.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code == "??":
            untracked.append(path)
            continue
        if code[0] in "RC":
            next(entries, None)  # the rename's source path
        if code[0] not in " ?":
            staged.append(path)
        if code[1] not in " ?":
            modified.append(path)
    return WorkingTreeStatus(staged, modified, untracked)


@dataclass(frozen=True)
class LoggedCommit:
    commit: str
    committed_at: datetime
    message: str


def commits_with_trailer(repo: git.Repo, trailer: str) -> list[LoggedCommit]:
    """Commits reachable from HEAD whose message has a line starting with ``trailer:``, newest first."""
    if not repo.head.is_valid():
        return []
    output = repo.git.log("-z", "--format=%H%x1f%cI%x1f%B", f"--grep=^{trailer}:", "HEAD")
    commits = []
    for record in output.split("\0"):
        if not record.strip():
            continue
        sha, committed_at, message = record.split("\x1f", 2)
        commits.append(LoggedCommit(sha.strip(), datetime.fromisoformat(committed_at), message))
    return commits


@dataclass(frozen=True)
class TagInfo:
    name: str
    commit: str | None  # the commit the tag points at (peeled), None if it does not point at a commit
    message: str | None  # None for a lightweight tag


def tags(repo: git.Repo) -> list[TagInfo]:
    """Every tag, read by git itself (stale ``.lock`` files under refs/tags are not tags)."""
    output = repo.git.for_each_ref(
        "refs/tags", format="%(refname:lstrip=2)%1f%(objecttype)%1f%(objectname)%1f%(*objecttype)%1f%(*objectname)"
                            "%1f%(contents)%1e"
    )
    found = []
    for record in output.split("\x1e"):
        if not record.strip():
            continue
        name, kind, sha, peeled_kind, peeled_sha, message = record.lstrip("\n").split("\x1f", 5)
        if kind == "tag":
            found.append(TagInfo(name, peeled_sha if peeled_kind == "commit" else None, message))
        else:
            found.append(TagInfo(name, sha if kind == "commit" else None, None))
    return found


def refs(repo: git.Repo, prefix: str) -> list[str]:
    """The names of the refs under ``prefix`` (e.g. refs/replace)."""
    return [line for line in repo.git.for_each_ref(prefix, format="%(refname)").splitlines() if line]


def file_at(repo: git.Repo, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` in ``commit``, or None if it is not there."""
    try:
        return repo.commit(commit).tree[path].data_stream.read()
    except KeyError:
        return None
