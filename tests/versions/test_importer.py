"""`clausewise import`: the library and the command, on real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.versions import AgreementRepo
from clausewise.versions.importer import import_document, read_import_file

from .conftest import snapshot

ENGLISH = ("Ter ms of Ser vice\n\nThese Terms of Service govern the Service (the \"Agreement\").\n\n"
           "1. Fees1. Fees\n1.1 Fees are due monthly.\n\n2. Assignment\n2.1 Acme may assign this agree-\n"
           "ment after notice.\n")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_seed_split_import_adds_four_agreements_in_one_commit(repo: AgreementRepo, corpus_path: Path):
    head = git.Repo(repo.root).head.commit.hexsha
    report = import_document(repo, read_import_file(corpus_path).text, split=True, source=str(corpus_path))
    ids = ["agreement-1-sla", "agreement-2-general", "agreement-3-trial", "agreement-4-commercial"]
    assert [a.id for a in repo.agreements()] == ids
    commit = git.Repo(repo.root).head.commit
    assert commit.hexsha == report.commit and commit.parents[0].hexsha == head
    assert sorted(commit.stats.files) == [f"agreements/{i}.txt" for i in ids]
    trial = repo.agreement("agreement-3-trial")
    assert (trial.title, trial.kind, trial.language) == ("智能语音交互试用服务及服务改进计划协议", "trial", "zh-CN")
    text = repo.text("agreement-3-trial")
    assert "··" not in text and "法律声明" not in text
    assert text.count("您在使用试用版智能语音交互服务时") == 1
    assert report.cleaning.counts()["doubled-line"] >= 40
    assert report.dropped[0].description == "cover, legal notice, conventions"


def test_import_is_all_or_nothing_when_an_id_is_taken(repo: AgreementRepo, corpus_path: Path):
    repo.add("agreement-4-commercial", "1. Existing terms.\n", title="Existing", language="en", kind="general")
    before = snapshot(repo)
    with pytest.raises(ClausewiseError, match="'agreement-4-commercial' already exists .*; nothing was added"):
        import_document(repo, read_import_file(corpus_path).text, split=True)
    assert snapshot(repo) == before


def test_single_import_with_id_title_and_notice_days(repo: AgreementRepo):
    report = import_document(repo, ENGLISH, agreement_id="acme-tos", title="Acme Terms", notice_days=15,
                             suffix=".md")
    agreement = repo.agreement("acme-tos")
    assert (agreement.title, agreement.language, agreement.kind, agreement.notice_days) == (
        "Acme Terms", "en", "general", 15)
    assert agreement.path.name == "acme-tos.md"
    assert repo.text("acme-tos").startswith("Terms of Service\n\n")
    assert "1. Fees\n" in repo.text("acme-tos") and "agreement\nafter notice." in repo.text("acme-tos")
    assert report.cleaning.counts() == {"doubled-line": 1, "hyphenation": 1, "split-word": 1}


def test_options_that_name_one_agreement_are_refused_with_split(repo: AgreementRepo):
    with pytest.raises(UsageProblem, match="--id, --kind name one agreement"):
        import_document(repo, ENGLISH, split=True, agreement_id="x", kind="trial")


def test_cli_split_dry_run_writes_nothing_and_shows_cleaning(repo: AgreementRepo, corpus_path: Path):
    before = snapshot(repo)
    result = run("import", str(corpus_path), "--split", "--dry-run", "--show-cleaning", "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    assert snapshot(repo) == before
    assert "Dry run: 4 agreement(s) found" in result.output
    assert "agreement-3-trial  [trial, zh-CN]  智能语音交互试用服务及服务改进计划协议" in result.output
    assert "doubled-line: lines printed twice" in result.output
    assert "Dropped lines 1-" in result.output and "cover, legal notice, conventions" in result.output
    assert "    - 一、定义一、定义\n    + 一、定义" in result.output


def test_cli_split_import_json(repo: AgreementRepo, corpus_path: Path):
    result = run("import", str(corpus_path), "--split", "--id-prefix", "speech", "--format", "json",
                 "--repo", str(repo.root))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "clausewise.import/1" and data["dry_run"] is False
    assert [a["id"] for a in data["agreements"]] == ["speech-1-sla", "speech-2-general", "speech-3-trial",
                                                    "speech-4-commercial"]
    assert data["cleaning"]["counts"]["running-header"] >= 4
    assert {"kind", "line", "before", "after"} <= set(data["cleaning"]["fixes"][0])
    assert [a.id for a in repo.agreements()] == [a["id"] for a in data["agreements"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf \n\xe2\x80\x8b\n", "is empty"),
        (b"1. Fees \xff\xfe are due\n", "is not UTF-8 (byte 0xff at offset 8)"),
        (b"%PDF-1.7\n%binary", "is a damaged or truncated PDF"),
        ("Shopping list\n\neggs\nmilk\n".encode(), "no agreement found"),
    ],
)
def test_cli_refuses_bad_files_and_changes_nothing(repo: AgreementRepo, tmp_path: Path, content: bytes,
                                                   message: str):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    before = snapshot(repo)
    result = CliRunner().invoke(main, ["import", str(bad), "--repo", str(repo.root)])
    assert result.exit_code == 1
    assert message in result.output and str(bad) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert snapshot(repo) == before


def test_cli_split_with_id_is_a_usage_problem(repo: AgreementRepo, corpus_path: Path):
    result = CliRunner().invoke(main, ["import", str(corpus_path), "--split", "--id", "one", "--repo", str(repo.root)])
    assert result.exit_code == 2
    assert "--id name one agreement and cannot be used with --split" in result.output


def test_utf8_bom_is_dropped_when_reading(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeff1. 甲方应付款。\n".encode())
    assert read_import_file(path).text == "1. 甲方应付款。\n"
