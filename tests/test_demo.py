"""`clausewise demo` and the sample agreements it records."""

from __future__ import annotations

import re
import shutil
from difflib import SequenceMatcher
from datetime import date, timedelta
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.demo import load_samples, run_demo
from clausewise.errors import UsageProblem
from clausewise.versions import open_repo

TODAY = date(2031, 3, 1)
CLAUSE = re.compile(r"^(\d+)\.(\d+) ", re.MULTILINE)


def test_demo_publishes_v1_and_v2_of_every_sample(tmp_path: Path) -> None:
    lines: list[str] = []
    run = run_demo(tmp_path / "demo", lines.append, today=TODAY)
    repo = open_repo(tmp_path / "demo")
    samples = load_samples()
    assert sorted(a.id for a in repo.agreements()) == sorted(s.id for s in samples)
    for sample in samples:
        versions = repo.versions(sample.id)
        assert [v.number for v in versions] == [1, 2]
        assert repo.text(sample.id, 1) == sample.text(1)
        assert repo.text(sample.id, 2) == sample.text(2)
        assert versions[1].summary == sample.v2_summary
        assert versions[1].effective - TODAY >= timedelta(days=sample.notice_days)
        assert versions[0].effective < versions[1].effective
        assert repo.agreement(sample.id).has_unpublished_changes is False
    assert repo.verify() == []
    assert git.Repo(repo.root).git.status("--porcelain") == ""
    assert [v.tag for v in run.published[2]] == [f"{s.id}/v2" for s in samples]
    assert any(line.startswith("Published speech-trial/v2") for line in lines)


def test_demo_refuses_a_directory_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageProblem, match="not an empty directory"):
        run_demo(tmp_path, print)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_command_defaults_to_a_new_temp_folder() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    root = Path(re.search(r"Created an agreements repository in (\S+)", result.stdout).group(1))
    try:
        assert len(open_repo(root).all_versions()) == 2 * len(load_samples())
    finally:
        shutil.rmtree(root)


def test_demo_command_exit_code_for_a_used_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 2
    assert "give the demo a new or empty directory" in result.stderr


def test_samples_cover_languages_kinds_and_the_required_clauses() -> None:
    samples = load_samples()
    assert {(s.language, s.kind) for s in samples} >= {("en", "trial"), ("en", "commercial"),
                                                       ("zh-CN", "trial"), ("zh-CN", "commercial")}
    for sample in samples:
        for version in (1, 2):
            text = sample.text(version)
            clauses = CLAUSE.findall(text)
            assert 30 <= len(clauses) <= 60, (sample.id, version, len(clauses))
            assert len(set(clauses)) == len(clauses), f"{sample.id} v{version} repeats a clause number"
            nine_three = re.search(r"^9\.3 (.*)$", text, re.MULTILINE).group(1)
            assert re.search(r"assign|转让", nine_three) and re.search(r"notif|通知", nine_three)
            assert re.search(r"governed by the laws|适用中华人民共和国法律", text)
        assert sample.text(1) != sample.text(2)


def _clauses(text: str) -> dict[str, str]:
    """Clause text -> its number."""
    return {body: label for label, body in re.findall(r"^(\d+\.\d+) (.*)$", text, re.MULTILINE)}


def test_v2_renumbers_deletes_moves_and_edits() -> None:
    for sample in load_samples():
        old, new = _clauses(sample.text(1)), _clauses(sample.text(2))
        section = lambda label: label.split(".")[0]  # noqa: E731
        kept = old.keys() & new.keys()
        assert any(old[t] != new[t] and section(old[t]) == section(new[t]) for t in kept), f"{sample.id}: no renumbering"
        removed, added = old.keys() - new.keys(), new.keys() - old.keys()
        pairs = [(r, a) for r in removed for a in added if SequenceMatcher(None, r, a).ratio() >= 0.7]
        assert any(section(old[r]) != section(new[a]) for r, a in pairs) or any(
            section(old[t]) != section(new[t]) for t in kept), f"{sample.id}: no clause moved to another section"
        assert any(section(old[r]) == section(new[a]) for r, a in pairs), f"{sample.id}: no clause edited in place"
        assert len(removed) > len(pairs) and len(added) > len(pairs), f"{sample.id}: needs a deletion and an insertion"
