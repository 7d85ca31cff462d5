"""``clausewise demo``: the main job end to end on the embedded sample agreements.

The demo is a list of small named steps (:data:`STEPS`) that share one :class:`DemoRun`; later
stages (diff, notices) add their own steps to the list.
"""

from __future__ import annotations

import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Callable

from .config import CONFIG_NAME, DEFAULT_CONFIG_TEXT
from .demo_notify import NOTIFY_STEPS
from .errors import UsageProblem
from .fileutil import atomic_write_text
from .versions import AgreementRepo, Version, init_repo


@dataclass(frozen=True)
class Sample:
    """One sample agreement from clausewise/samples/manifest.toml, with its v1 and v2 texts."""

    id: str
    title: str
    language: str
    kind: str
    notice_days: int
    v1: str  # file name in clausewise/samples/
    v2: str
    v2_summary: str

    def text(self, version: int) -> str:
        name = self.v1 if version == 1 else self.v2
        return resources.files("clausewise").joinpath("samples", name).read_text("utf-8")

    @property
    def suffix(self) -> str:
        return Path(self.v1).suffix


def load_samples() -> list[Sample]:
    manifest = resources.files("clausewise").joinpath("samples", "manifest.toml").read_text("utf-8")
    return [Sample(**entry) for entry in tomllib.loads(manifest)["agreement"]]


@dataclass
class DemoRun:
    """What the steps share: where the demo runs, how it reports, and what it has made so far."""

    directory: Path
    echo: Callable[[str], None]
    today: date
    samples: list[Sample] = field(default_factory=load_samples)
    repo: AgreementRepo | None = None
    published: dict[int, list[Version]] = field(default_factory=dict)  # version number -> versions

    @property
    def notice_days(self) -> int:
        """The longest notice period among the samples: every effective date leaves at least this."""
        return max(sample.notice_days for sample in self.samples)

    def effective(self, version: int) -> date:
        """Version N of every sample takes effect N notice periods from today."""
        return self.today + timedelta(days=self.notice_days * version)


def create_repository(run: DemoRun) -> None:
    """The repository, with clausewise.toml naming the provider and the assignee the notices cite."""
    settings = resources.files("clausewise").joinpath("samples", "notice-settings.toml").read_text("utf-8")
    run.directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.directory / CONFIG_NAME, DEFAULT_CONFIG_TEXT + settings)
    run.repo = init_repo(run.directory)
    provider = run.repo.config.provider_for("en")
    run.echo(f"Created an agreements repository in {run.repo.root}")
    run.echo(f"Its {CONFIG_NAME} names the provider ({provider.name}, {provider.contact}), the assignee's contact "
             "and the customers' options for the notices")


def add_samples(run: DemoRun) -> None:
    for sample in run.samples:
        agreement = run.repo.add(sample.id, sample.text(1), title=sample.title, language=sample.language,
                                 kind=sample.kind, notice_days=sample.notice_days, suffix=sample.suffix)
        run.echo(f"Added {agreement.id} ({sample.language}, {sample.kind}, {sample.notice_days} days' notice): "
                 f"{agreement.path.relative_to(run.repo.root)}")


def publish_first_versions(run: DemoRun) -> None:
    _publish_all(run, 1, lambda sample: "First published version")


def write_changed_texts(run: DemoRun) -> None:
    for sample in run.samples:
        run.repo.write_text(sample.id, sample.text(2))
    run.echo(f"Edited the texts of {', '.join(s.id for s in run.samples)}: a clause inserted (later ones renumber), "
             "words changed, a clause deleted, a clause moved, and the assignment clause 9.3 changed")


def publish_second_versions(run: DemoRun) -> None:
    _publish_all(run, 2, lambda sample: sample.v2_summary)


def _publish_all(run: DemoRun, number: int, summary: Callable[[Sample], str]) -> None:
    effective = run.effective(number)
    run.published[number] = []
    for sample in run.samples:
        version = run.repo.publish(sample.id, effective, summary=summary(sample), today=run.today)
        assert version.number == number, f"{sample.id} was published as v{version.number}, expected v{number}"
        run.published[number].append(version)
        run.echo(f"Published {version.tag} (commit {version.commit[:12]}), effective {effective.isoformat()}")


STEPS: list[Callable[[DemoRun], None]] = [
    create_repository,
    add_samples,
    publish_first_versions,
    write_changed_texts,
    publish_second_versions,
    *NOTIFY_STEPS,
]


def prepare_directory(directory: str | Path | None) -> Path:
    """A new or empty directory for the demo; UsageProblem rather than touch one that holds files."""
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="clausewise-demo-"))
    path = Path(directory)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageProblem(f"{path} already exists and is not an empty directory; give the demo a new or empty directory")
    return path


def run_demo(directory: str | Path | None, echo: Callable[[str], None], *, today: date | None = None,
             command: str = "clausewise") -> DemoRun:
    """Run every step of :data:`STEPS` in ``directory`` (default: a new temp folder), reporting through ``echo``;
    the last line shows how to explore the result with ``command`` (how the user runs clausewise)."""
    run = DemoRun(prepare_directory(directory), echo, today or date.today())
    for step in STEPS:
        step(run)
    echo(f"Done. Explore it with: {command} --help, {command} --repo {run.directory} list, "
         f"{command} --repo {run.directory} log {run.samples[0].id}")
    return run
