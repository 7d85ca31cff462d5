"""The agreements repository: agreements as files in git, versions as publish commits and tags."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import git

from ..config import CONFIG_NAME, DEFAULT_CONFIG_TEXT, Config, load_config
from ..errors import ClausewiseError, UsageProblem
from ..fileutil import atomic_write_bytes
from ..textcheck import char_name, first_control
from . import gitops, transaction
from .document import (
    SUFFIXES,
    Metadata,
    check_agreement_text,
    check_id,
    check_metadata,
    decode_agreement,
    format_document,
    parse_document,
    parse_metadata,
    same_body,
    split_front_matter,
)
from .notice_period import NoticeRequirement, preset_days, settle_notice_days
from .pdfclean import clean_extracted_text
from .publication import (
    AGREEMENT,
    Publication,
    check_effective_order,
    check_effective_range,
    check_notice,
    check_notice_days,
    format_message,
    format_tag_message,
    one_line,
    parse_message,
    split_ref,
    tag_commit_field,
)
from .readers import read_agreement_file

AGREEMENTS_DIR = "agreements"

GITIGNORE_NAME = ".gitignore"
GITIGNORE_ENTRY = "/.clausewise/"
GITIGNORE_TEXT = (
    "# clausewise: local state (customers, notice ledger, SMTP secrets) stays out of git\n"
    f"{GITIGNORE_ENTRY}\n"
)


@dataclass(frozen=True)
class Version:
    """One published version of an agreement."""

    agreement_id: str
    number: int
    tag: str
    commit: str
    effective: date
    notice_days: int
    summary: str
    published_at: datetime
    short_notice_reason: str | None = None
    text_sha256: str | None = None  # SHA-256 of the agreement file as published (None: published before it was recorded)

    def to_dict(self) -> dict:
        return {
            "agreement": self.agreement_id,
            "version": self.number,
            "tag": self.tag,
            "commit": self.commit,
            "effective": self.effective.isoformat(),
            "notice_days": self.notice_days,
            "summary": self.summary,
            "published_at": self.published_at.isoformat(),
            "short_notice_reason": self.short_notice_reason,
            "text_sha256": self.text_sha256,
        }


@dataclass(frozen=True)
class PublishPlan:
    """A publication checked and ready to commit; nothing is written yet (what ``--dry-run`` shows)."""

    publication: Publication
    relative: str  # the agreement's file, repository-relative
    data: bytes  # the file's bytes as they will be committed
    body: str  # the agreement text without front matter
    title: str
    language: str
    previous: Version | None
    notes: tuple[str, ...] = ()  # lines to tell the publisher (e.g. a first version's notice)


@dataclass(frozen=True)
class PreparedPublication:
    """A planned publication whose commit object is built (unreachable until completed)."""

    plan: PublishPlan
    write: transaction.PreparedWrite

    @property
    def commit(self) -> str:
        return self.write.commit


@dataclass(frozen=True)
class Resolved:
    """What a ref such as ``trial@v2`` named: the ref as given, the agreement's title, and the
    version and its effective date (None for the working copy)."""

    ref: str
    title: str | None = None
    version: int | None = None
    effective: str | None = None  # ISO date


@dataclass(frozen=True)
class Agreement:
    """An agreement as it is in the working tree, with its latest published version."""

    id: str
    title: str
    language: str
    kind: str
    notice_days: int  # the agreement's own notice_days, else default_notice_days from clausewise.toml
    path: Path
    latest: Version | None
    has_unpublished_changes: bool
    notice_days_set: bool = False  # notice_days is in the agreement's front matter (not the default)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "language": self.language,
            "kind": self.kind,
            "notice_days": self.notice_days,
            "path": str(self.path),
            "latest": self.latest.to_dict() if self.latest else None,
            "has_unpublished_changes": self.has_unpublished_changes,
        }


@dataclass(frozen=True)
class BrokenAgreement:
    """An agreement file in the working tree that cannot be read; ``problem`` says why and how to fix it."""

    id: str
    path: Path
    problem: str
    latest: Version | None

    def to_dict(self) -> dict:
        return {"id": self.id, "path": str(self.path), "broken": self.problem,
                "latest": self.latest.to_dict() if self.latest else None}


@dataclass(frozen=True)
class Draft:
    """A new agreement to add: its id, text, front-matter metadata and file suffix (.md or .txt)."""

    agreement_id: str
    text: str
    metadata: Metadata
    suffix: str = ".md"


def read_new_text(source: Path, accept_revisions: bool = False) -> tuple[str, list[str], str]:
    """The text of an agreement file given to add or update (text, Word or PDF, told by its content),
    a PDF's text cleaned; with the notes on what was left out or cleaned, and the format read."""
    extracted = read_agreement_file(source, accept_revisions=accept_revisions)
    text, notes = extracted.text, list(extracted.notes)
    if extracted.needs_cleaning:
        cleaning = clean_extracted_text(text)
        text = cleaning.text
        counts = ", ".join(f"{count} {kind}" for kind, count in cleaning.counts().items())
        if counts:
            notes.append(f"PDF artifacts cleaned ({counts}); 'clausewise import {source} --dry-run "
                         "--show-cleaning' lists each change")
    return text, notes, extracted.format


class AgreementRepo:
    """An agreements repository; build one with :func:`init_repo` or :func:`open_repo`."""

    def __init__(self, repo: git.Repo) -> None:
        self.git = gitops.no_replace_objects(repo)
        self.root = Path(repo.working_tree_dir)
        self.config: Config = load_config(self.root)
        # What was finished or undone of a write that an earlier process left half done, if any.
        self.recovery_note: str | None = transaction.recover(self.git)

    # --- reading -----------------------------------------------------------------------------

    def agreements(self) -> list[Agreement]:
        """Every agreement file in agreements/, sorted by id."""
        return [self._agreement_at(path) for path in self._agreement_files().values()]

    def listing(self) -> list[Agreement | BrokenAgreement]:
        """Every agreement file in agreements/, sorted by id; one that cannot be read (broken front
        matter, not UTF-8, ...) is a BrokenAgreement instead of stopping the whole list."""
        listed: list[Agreement | BrokenAgreement] = []
        for agreement_id, path in self._agreement_files().items():
            try:
                listed.append(self._agreement_at(path))
            except ClausewiseError as exc:
                versions = self._all_versions().get(agreement_id)
                listed.append(BrokenAgreement(agreement_id, path, str(exc), versions[-1] if versions else None))
        return listed

    def agreement(self, agreement_id: str) -> Agreement:
        """The agreement ``agreement_id``; UsageProblem naming the known ids if there is none."""
        return self._agreement_at(self._path_of(agreement_id))

    def versions(self, agreement_id: str) -> list[Version]:
        """The published versions of one agreement, oldest first."""
        self._check_known(agreement_id)
        return self._all_versions().get(agreement_id, [])

    def all_versions(self) -> list[Version]:
        """Every published version of every agreement, by agreement id then number."""
        return [v for _, versions in sorted(self._all_versions().items()) for v in versions]

    def version(self, agreement_id: str, number: int) -> Version:
        versions = self.versions(agreement_id)
        for version in versions:
            if version.number == number:
                return version
        published = ", ".join(f"v{v.number}" for v in versions) or "none yet"
        raise UsageProblem(f"{agreement_id} has no version v{number} (published: {published}); see 'clausewise log {agreement_id}'")

    def text(self, agreement_id: str, version: int | None = None) -> str:
        """The agreement text without front matter: of version ``version``, or of the working copy if None."""
        if version is None:
            return self._read_working(self._path_of(agreement_id))[1]
        return self._read_version(self.version(agreement_id, version))[1]

    def resolve(self, ref: str) -> tuple[str, Resolved]:
        """The text behind ``ref``: ``id@vN`` or ``id@latest`` (published) or ``id`` (working copy).
        File paths are resolved above the store, in clausewise.refs."""
        agreement_id, wanted = split_ref(ref)
        if wanted is None:
            if agreement_id not in self._known_ids():
                raise UsageProblem(
                    f"{ref!r} is neither an agreement id ({self._known_text()}) nor an existing file; "
                    "give ID, ID@vN or a file path"
                )
            metadata, body = self._read_working(self._path_of(agreement_id))
            return body, Resolved(ref=ref, title=metadata.title)
        if wanted == "latest":
            versions = self.versions(agreement_id)
            if not versions:
                raise ClausewiseError(f"{agreement_id} has no published version yet; publish it first")
            version = versions[-1]
        else:
            version = self.version(agreement_id, wanted)
        metadata, body = self._read_version(version)
        return body, Resolved(ref=ref, title=metadata.title, version=version.number,
                              effective=version.effective.isoformat())

    # --- writing -----------------------------------------------------------------------------

    def add(self, agreement_id: str, text: str, *, title: str, language: str, kind: str,
            notice_days: int | None = None, suffix: str = ".md") -> Agreement:
        """Start agreement ``agreement_id`` from ``text`` and commit it as a draft (no version yet)."""
        draft = Draft(agreement_id, text, Metadata(title, language, kind, notice_days), suffix)
        self.add_many([draft], f"Add draft agreement {agreement_id}")
        return self.agreement(agreement_id)

    def add_many(self, drafts: list[Draft], message: str) -> str:
        """Start several agreements in ONE commit and return its sha: every draft is checked first,
        and on any failure none of them stays (no file, no commit)."""
        files: dict[str, bytes] = {}
        known_files, known_versions = self._agreement_files(), self._all_versions()
        for draft in drafts:
            check_id(draft.agreement_id)
            if draft.suffix not in SUFFIXES:
                raise UsageProblem(f"suffix {draft.suffix!r} is not supported; use one of {', '.join(SUFFIXES)}")
            metadata = check_metadata(draft.metadata, f"agreement {draft.agreement_id}")
            check_agreement_text(draft.text, f"the text of {draft.agreement_id}")
            existing = known_files.get(draft.agreement_id)
            relative = f"{AGREEMENTS_DIR}/{draft.agreement_id}{draft.suffix}"
            if existing is not None or draft.agreement_id in known_versions or relative in files:
                where = existing.relative_to(self.root) if existing else "in the history" if relative not in files else "twice in this batch"
                raise UsageProblem(
                    f"agreement {draft.agreement_id!r} already exists ({where}); nothing was added. Choose another id "
                    f"(for an import: --id or --id-prefix), or edit that file and run "
                    f"'clausewise publish {draft.agreement_id}'"
                )
            files[relative] = format_document(metadata, draft.text).encode("utf-8")
        try:
            return transaction.commit_files(self.git, files, message, write_files=True)
        except ClausewiseError as exc:
            names = ", ".join(d.agreement_id for d in drafts)
            raise ClausewiseError(f"{exc}; {names} {'was' if len(drafts) == 1 else 'were'} not added") from None

    def add_file(self, agreement_id: str, file: str | os.PathLike[str], *, title: str | None = None,
                 language: str | None = None, kind: str | None = None, notice_days: int | None = None,
                 accept_revisions: bool = False) -> tuple[Agreement, list[str]]:
        """:meth:`add` from a file (text, Word or PDF, told by its content), and notes on what the reader
        left out or cleaned. A front matter in the text supplies the values not given here; a Word
        document is stored as Markdown (.md), a PDF's cleaned text as .txt."""
        check_id(agreement_id)
        source = Path(file)
        text, notes, file_format = read_new_text(source, accept_revisions)
        front_matter, body = split_front_matter(text, str(source))
        given = parse_document(text, str(source))[0] if front_matter is not None else None
        title = title or (given.title if given else None)
        language = language or (given.language if given else None)
        kind = kind or (given.kind if given else None)
        if notice_days is None and given is not None:
            notice_days = given.notice_days
        for value, option, example in ((title, "--title", "'Cloud Speech Trial Agreement'"),
                                       (language, "--lang", "en or zh-CN"), (kind, "--kind", "trial or commercial")):
            if not value:
                raise UsageProblem(f"{source} has no {option.strip('-')}; give {option}, e.g. {option} {example}")
        if file_format == "text":
            suffix = ".txt" if source.suffix == ".txt" else ".md"
        else:
            suffix = ".md" if file_format == "docx" else ".txt"
        check_agreement_text(body, f"{source} (after the front matter)" if front_matter is not None else str(source))
        agreement = self.add(agreement_id, body, title=title, language=language, kind=kind,
                             notice_days=notice_days, suffix=suffix)
        return agreement, notes

    def write_text(self, agreement_id: str, text: str) -> Agreement:
        """Replace the working text of ``agreement_id`` (front matter kept), ready to publish; no commit."""
        path = self._path_of(agreement_id)
        metadata, _ = self._read_working(path)
        check_agreement_text(text, f"the new text of {agreement_id}")
        atomic_write_bytes(path, format_document(metadata, text).encode("utf-8"))
        return self._agreement_at(path)

    def update_file(self, agreement_id: str, file: str | os.PathLike[str], *,
                    accept_revisions: bool = False) -> tuple[Agreement, list[str]]:
        """Replace the text of ``agreement_id`` with the text of ``file`` (a new version sent by the
        lawyers: text, Word or PDF, as for :meth:`add_file`), keeping the agreement's front matter as it
        is, and commit it as a draft (no tag); with notes on what the reader left out or cleaned.

        ClausewiseError, nothing changed, when the new text equals the working copy (ignoring trailing
        whitespace), when ``file`` has a front matter that differs from the agreement's, or when the
        working copy holds edits not yet committed (they would be lost).
        """
        path = self._path_of(agreement_id)
        relative = path.relative_to(self.root).as_posix()
        original = path.read_bytes()
        current_text = decode_agreement(original, relative)
        metadata, current_body = parse_document(current_text, relative)
        source = Path(file)
        text, notes, _ = read_new_text(source, accept_revisions)
        front_matter, body = split_front_matter(text, str(source))
        if front_matter is not None and parse_metadata(front_matter, str(source)) != metadata:
            raise ClausewiseError(
                f"{source} has a front matter that differs from {relative}'s; update keeps the agreement's title, "
                f"language, kind and notice days: remove the lines between '+++' from {source}, or change them in "
                f"{relative} itself"
            )
        check_agreement_text(body, f"{source} (after the front matter)" if front_matter is not None else str(source))
        if same_body(body, current_body):
            raise ClausewiseError(
                f"{source} has the same text as {relative} (ignoring trailing whitespace); nothing to update "
                "(did the lawyers send the right file?)"
            )
        status = gitops.working_tree_status(self.git)
        if relative in status.modified + status.staged + status.untracked:
            raise ClausewiseError(
                f"{relative} has edits that are not committed, and {source} would replace them: publish them first, "
                f"commit them (git commit {relative} -m '...'), or discard them (git checkout -- {relative})"
            )
        gitops.current_branch(self.git)  # refuse a detached HEAD before writing anything
        header = current_text[: len(current_text) - len(current_body)]  # the front matter, verbatim
        updated = (header + body).encode("utf-8")
        atomic_write_bytes(path, updated)
        try:
            transaction.commit_files(self.git, {relative: updated},
                                     f"Update draft agreement {agreement_id} from {source.name}")
        except BaseException:
            atomic_write_bytes(path, original)
            raise
        return self._agreement_at(path), notes

    def repair_tags(self) -> list[Version]:
        """Recreate every deleted version tag on its publish commit, with the publication's fields.

        Only missing tags are created: a tag that exists is never moved or replaced (delete a wrong
        one with ``git tag -d`` first). A version published twice in the history is left to ``verify``.
        """
        seen: dict[str, int] = {}
        for versions in self._all_versions(keep_duplicates=True).values():
            for version in versions:
                seen[version.tag] = seen.get(version.tag, 0) + 1
        existing = {tag.name for tag in gitops.tags(self.git)}
        recreated = []
        for version in self.all_versions():
            if version.tag in existing or seen[version.tag] > 1:
                continue
            publication = Publication(version.agreement_id, version.number, version.effective, version.notice_days,
                                      version.summary, version.short_notice_reason, version.text_sha256)
            gitops.create_tag(self.git, version.tag, version.commit, format_tag_message(publication, version.commit))
            recreated.append(version)
        return recreated

    def publish(self, agreement_id: str, effective: date, *, notice_days: int | None = None, summary: str = "",
                allow_short_notice: str | None = None, today: date | None = None) -> Version:
        """Commit the working text of ``agreement_id`` as its next version and tag it ``<id>/v<N>``
        (:meth:`plan_publish`, :meth:`prepare_publish` and :meth:`complete_publish` in one go)."""
        plan = self.plan_publish(agreement_id, effective, notice_days=notice_days, summary=summary,
                                 allow_short_notice=allow_short_notice, today=today)
        return self.complete_publish(self.prepare_publish(plan))

    def plan_publish(self, agreement_id: str, effective: date, *, notice_days: int | None = None,
                     summary: str = "", allow_short_notice: str | None = None, today: date | None = None,
                     required: NoticeRequirement | None = None, cited: str = "") -> PublishPlan:
        """Check a publication of the working text of ``agreement_id`` and say what it would commit.

        Refuses (ClausewiseError, nothing written) a text identical to the last version, a dirty
        working tree outside agreements/, an existing tag, an effective date before the last
        version's, out-of-range dates or notice periods, and an effective date less than the notice
        period away unless ``allow_short_notice`` gives the reason (a first version, which nobody
        has accepted yet, is exempt). ``required`` is what the clause ``cited`` (the notice clause of
        the version in force) requires: a shorter --notice-days or front-matter notice_days is refused
        without that reason, and the default is raised to it.
        """
        path = self._path_of(agreement_id)
        relative = path.relative_to(self.root).as_posix()
        data = path.read_bytes()
        metadata, body = parse_document(decode_agreement(data, relative), relative)
        check_agreement_text(body, f"{relative} (after the front matter)")
        if notice_days is not None:
            given, source = check_notice_days(notice_days, "notice days"), "--notice-days"
        else:
            given, source = self._notice_days(metadata, relative) if metadata.notice_days is not None else (None, "")
        notice_days, settled = settle_notice_days(given, source, self.config.default_notice_days, required, cited,
                                                  one_line(allow_short_notice) if allow_short_notice else None)
        check_effective_range(effective)
        if allow_short_notice is not None:
            allow_short_notice = one_line(allow_short_notice)
            if not allow_short_notice:
                raise UsageProblem("--allow-short-notice needs a reason, e.g. --allow-short-notice 'required by law'")
        for option, value in (("--allow-short-notice", allow_short_notice), ("--summary", one_line(summary))):
            if value and first_control(value):  # git refuses a NUL in a commit message (ValueError)
                raise UsageProblem(f"{option} {value[:80]!r} contains {char_name(first_control(value))}; write plain text")
        versions = self.versions(agreement_id)
        previous = versions[-1] if versions else None
        notes: list[str] = []
        if previous is not None and same_body(body, self._read_version(previous)[1]):
            raise ClausewiseError(
                f"{relative} is identical to {previous.tag} (ignoring trailing whitespace); edit the text before publishing"
            )
        if previous is not None:
            check_effective_order(effective, previous.tag, previous.effective)
        notes += settled
        note = check_notice(effective, notice_days, today or date.today(), allow_short_notice,
                            first_version=previous is None)
        if note:
            notes.append(note)
        self._check_clean(relative)
        publication = Publication(agreement_id, previous.number + 1 if previous else 1, effective, notice_days,
                                  one_line(summary), allow_short_notice, hashlib.sha256(data).hexdigest())
        if publication.tag in {tag.name for tag in gitops.tags(self.git)}:
            raise ClausewiseError(
                f"tag {publication.tag} already exists but is not a publication in this history; clausewise never "
                f"moves tags: if it is stray, delete it (git tag -d {publication.tag}) and publish again"
            )
        return PublishPlan(publication, relative, data, body, metadata.title, metadata.language, previous,
                           tuple(notes))

    def prepare_publish(self, plan: PublishPlan) -> PreparedPublication:
        """Build the publish commit object of ``plan`` (unreachable: nothing visible changes yet)."""
        message = format_message(plan.publication)
        write = transaction.prepare(self.git, {plan.relative: plan.data}, message, tag=plan.publication.tag)
        assert write is not None  # allow_empty: a publication is always committed
        return PreparedPublication(plan, dataclasses.replace(
            write, tag_message=format_tag_message(plan.publication, write.commit)))

    def complete_publish(self, prepared: PreparedPublication) -> Version:
        """Tag the prepared commit and move the branch to it: on any failure nothing was published."""
        try:
            transaction.complete(self.git, prepared.write)
        except ClausewiseError as exc:
            raise ClausewiseError(f"{exc}; nothing was published") from None
        return self.version(prepared.plan.publication.agreement_id, prepared.plan.publication.number)

    def verify(self) -> list[str]:
        """Problems with the tags: moved, deleted, or not made by a publication. Empty when all is intact."""
        problems: list[str] = []
        published: dict[str, Version] = {}
        for versions in self._all_versions(keep_duplicates=True).values():
            for version in versions:
                if version.tag in published and published[version.tag].commit != version.commit:
                    problems.append(
                        f"{version.tag} was published twice, in commits {published[version.tag].commit[:12]} and "
                        f"{version.commit[:12]}; the history holds two different texts under one version"
                    )
                published.setdefault(version.tag, version)
        tags = {tag.name: tag for tag in gitops.tags(self.git)}
        for name, version in sorted(published.items()):
            tag = tags.get(name)
            if tag is None:
                problems.append(
                    f"tag {name} is missing (deleted?); it must point at {version.commit[:12]}: recreate it with "
                    "'clausewise verify --repair'"
                )
            elif tag.commit != version.commit:
                problems.append(
                    f"tag {name} was moved: it points at {(tag.commit or 'a non-commit')[:12]} but {name} was "
                    f"published as {version.commit[:12]}; clausewise never moves a tag: delete it (git tag -d {name}) "
                    "and recreate it with 'clausewise verify --repair'"
                )
            elif tag.message is None or parse_message(tag.message) is None:
                problems.append(f"tag {name} was replaced by a tag without the publication fields; delete it "
                                f"(git tag -d {name}) and recreate it with 'clausewise verify --repair'")
            else:
                problems += self._hash_problems(version, tag.message)
        known = self._known_ids()
        for name, tag in sorted(tags.items()):
            agreement_id, _, number = name.rpartition("/v")
            if name not in published and number.isdigit() and agreement_id in known:
                problems.append(f"tag {name} points at {(tag.commit or 'a non-commit')[:12]}, which is not a "
                                "publication of that version; delete it if it is stray (git tag -d)")
        return problems

    def replace_refs(self) -> list[str]:
        """The ``refs/replace/`` entries of the repository (clausewise ignores them)."""
        return gitops.refs(self.git, "refs/replace")

    # --- internals -----------------------------------------------------------------------------

    def _hash_problems(self, version: Version, tag_message: str) -> list[str]:
        """The published file must match the SHA-256 recorded in its commit and its tag, and the
        tag must name the commit it points at."""
        actual = self.published_sha256(version)
        problems = []
        if version.text_sha256 is not None and version.text_sha256 != actual:
            problems.append(f"the text of {version.tag} does not match the SHA-256 recorded in its commit "
                            f"({version.text_sha256[:16]}..., now {actual[:16]}...): the history was altered")
        tagged = parse_message(tag_message)
        if tagged is not None and tagged.text_sha256 is not None and tagged.text_sha256 != actual:
            problems.append(f"the text of {version.tag} does not match the SHA-256 recorded in its tag "
                            f"({tagged.text_sha256[:16]}..., now {actual[:16]}...): the history was altered")
        named = tag_commit_field(tag_message)
        if named is not None and named != version.commit:
            problems.append(f"tag {version.tag} names publish commit {named[:12]} but points at "
                            f"{version.commit[:12]}: the tag or the history was altered")
        return problems


    def _notice_days(self, metadata: Metadata, relative: str) -> tuple[int, str]:
        """The agreement's notice period in days (a preset resolved) and where it comes from."""
        if metadata.notice_days is None:
            return self.config.default_notice_days, "default_notice_days in clausewise.toml"
        days = preset_days(metadata.notice_days, f"{relative}: notice_days")
        named = f" ({metadata.notice_days!r})" if isinstance(metadata.notice_days, str) else ""
        return days, f"notice_days{named} in {relative}"

    def _check_clean(self, relative: str) -> None:
        status = gitops.working_tree_status(self.git)
        staged = [p for p in status.staged if p != relative]
        if staged:
            raise ClausewiseError(
                f"{staged[0]} has staged changes; publish commits only {relative}, so commit or unstage the "
                f"rest first (git restore --staged {staged[0]})"
            )
        outside = [p for p in status.modified + status.untracked if not p.startswith(f"{AGREEMENTS_DIR}/")]
        if outside:
            raise ClausewiseError(
                f"{outside[0]} is modified or untracked outside agreements/; commit, ignore or remove it before "
                "publishing (edits to other agreements are fine: publish commits only the one agreement)"
            )

    def _agreement_files(self) -> dict[str, Path]:
        directory = self.root / AGREEMENTS_DIR
        files: dict[str, Path] = {}
        if not directory.is_dir():
            return files
        for path in sorted(directory.iterdir()):
            if path.suffix not in SUFFIXES or not path.is_file() or path.name.startswith("."):
                continue
            if path.stem in files:
                raise ClausewiseError(
                    f"{files[path.stem].relative_to(self.root)} and {path.relative_to(self.root)} both define "
                    f"agreement {path.stem!r}; delete or rename one of them"
                )
            files[path.stem] = path
        return files

    def _known_ids(self) -> set[str]:
        return set(self._agreement_files()) | set(self._all_versions())

    def _known_text(self) -> str:
        known = sorted(self._known_ids())
        return "known: " + ", ".join(known) if known else "there are none yet; add one with 'clausewise add'"

    def _check_known(self, agreement_id: str) -> None:
        if agreement_id not in self._known_ids():
            raise UsageProblem(f"unknown agreement {agreement_id!r} ({self._known_text()})")

    def _path_of(self, agreement_id: str) -> Path:
        path = self._agreement_files().get(agreement_id)
        if path is None:
            if agreement_id in self._all_versions():
                raise ClausewiseError(
                    f"agreements/{agreement_id}.md is missing from the working tree; restore it (git checkout -- agreements/)"
                )
            raise UsageProblem(f"unknown agreement {agreement_id!r} ({self._known_text()})")
        return path

    def _agreement_at(self, path: Path) -> Agreement:
        metadata, body = self._read_working(path)
        versions = self._all_versions().get(path.stem, [])
        latest = versions[-1] if versions else None
        return Agreement(
            id=path.stem,
            title=metadata.title,
            language=metadata.language,
            kind=metadata.kind,
            notice_days=self._notice_days(metadata, path.relative_to(self.root).as_posix())[0],
            path=path,
            latest=latest,
            has_unpublished_changes=latest is None or not same_body(body, self._read_version(latest)[1]),
            notice_days_set=metadata.notice_days is not None,
        )

    def _read_working(self, path: Path) -> tuple[Metadata, str]:
        source = str(path.relative_to(self.root))
        metadata, body = parse_document(decode_agreement(path.read_bytes(), source), source)
        check_agreement_text(body, f"{source} (after the front matter)")
        return metadata, body

    def _read_version(self, version: Version) -> tuple[Metadata, str]:
        relative, data = self.published_file(version)
        source = f"{relative} at {version.tag}"
        return parse_document(decode_agreement(data, source), source)

    def published_file(self, version: Version) -> tuple[str, bytes]:
        """The agreement file of ``version`` as committed: (repository-relative path, bytes)."""
        for suffix in SUFFIXES:
            relative = f"{AGREEMENTS_DIR}/{version.agreement_id}{suffix}"
            data = gitops.file_at(self.git, version.commit, relative)
            if data is not None:
                return relative, data
        raise ClausewiseError(f"commit {version.commit[:12]} of {version.tag} holds no file for {version.agreement_id}")

    def published_sha256(self, version: Version) -> str:
        """The SHA-256 of ``version``'s agreement file as committed (what Text-SHA256 records)."""
        return hashlib.sha256(self.published_file(version)[1]).hexdigest()

    def _all_versions(self, keep_duplicates: bool = False) -> dict[str, list[Version]]:
        """Every publication in the history, by agreement id, oldest first (cached per HEAD)."""
        head = self.git.head.commit.hexsha if self.git.head.is_valid() else None
        key = (head, keep_duplicates)
        cache = getattr(self, "_versions_cache", None)
        if cache is not None and cache[0] == key:
            return cache[1]
        result: dict[str, list[Version]] = {}
        for logged in reversed(gitops.commits_with_trailer(self.git, AGREEMENT)):
            publication = parse_message(logged.message)
            if publication is None:
                continue
            versions = result.setdefault(publication.agreement_id, [])
            if not keep_duplicates and any(v.number == publication.number for v in versions):
                continue
            versions.append(Version(publication.agreement_id, publication.number, publication.tag, logged.commit,
                                    publication.effective, publication.notice_days, publication.summary,
                                    logged.committed_at, publication.short_notice_reason,
                                    publication.text_sha256))
        for versions in result.values():
            versions.sort(key=lambda v: v.number)
        self._versions_cache = (key, result)
        return result


def init_repo(path: str | os.PathLike[str]) -> AgreementRepo:
    """Create (or adopt) a git repository at ``path`` with clausewise.toml and a .gitignore for local state."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise ClausewiseError(f"{root} is a file; give a directory for the agreements repository")
    root.mkdir(parents=True, exist_ok=True)
    try:
        repo = gitops.open_git(root)
    except git.InvalidGitRepositoryError:
        repo = gitops.no_replace_objects(git.Repo.init(root))
    if repo.bare:
        raise ClausewiseError(f"{root} is a bare git repository; clausewise needs a working tree (git clone it)")
    root = Path(repo.working_tree_dir)
    files: dict[str, bytes] = {}
    config_path = root / CONFIG_NAME
    if not config_path.exists():
        atomic_write_bytes(config_path, DEFAULT_CONFIG_TEXT.encode("utf-8"))
    load_config(root)  # an adopted, broken clausewise.toml is reported before anything is committed
    files[CONFIG_NAME] = config_path.read_bytes()
    gitignore_path = root / GITIGNORE_NAME
    gitignore = gitignore_path.read_text("utf-8") if gitignore_path.exists() else ""
    if GITIGNORE_ENTRY not in gitignore.splitlines() and ".clausewise/" not in gitignore.splitlines():
        gitignore = (gitignore.rstrip("\n") + "\n\n" if gitignore.strip() else "") + GITIGNORE_TEXT
        atomic_write_bytes(gitignore_path, gitignore.encode("utf-8"))
    files[GITIGNORE_NAME] = gitignore.encode("utf-8")
    (root / AGREEMENTS_DIR).mkdir(exist_ok=True)
    transaction.recover(repo)
    transaction.commit_files(repo, files, "Initialize clausewise agreements repository", allow_empty=False)
    return AgreementRepo(repo)


def open_repo(path: str | os.PathLike[str]) -> AgreementRepo:
    """The agreements repository at (or above) ``path``; ClausewiseError if there is none."""
    where = Path(path)
    if not where.is_dir():
        raise ClausewiseError(f"{where}: no such directory; create it with 'clausewise init {where}' or pass --repo DIR")
    try:
        repo = gitops.open_git(where, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise ClausewiseError(
            f"{where} is not an agreements repository (no git repository); run 'clausewise init {where}' or pass --repo DIR"
        ) from None
    if repo.bare or not (Path(repo.working_tree_dir) / CONFIG_NAME).is_file():
        raise ClausewiseError(
            f"{repo.working_tree_dir or where} is a git repository but not an agreements repository (no {CONFIG_NAME}); "
            f"run 'clausewise init {repo.working_tree_dir or where}' to adopt it"
        )
    return AgreementRepo(repo)
