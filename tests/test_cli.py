"""The command group itself: global options before the command, --help sections, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = "from clausewise.cli import main; main(prog_name='clausewise')"
TEXT = "# Trial\n\n1. Term\nThe trial lasts thirty days.\n"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "legal"
    source = tmp_path / "trial.md"
    source.write_text(TEXT)
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root)]).exit_code == 0
    result = runner.invoke(main, ["--repo", str(root), "add", "trial", str(source), "--title", "Trial",
                                  "--lang", "en", "--kind", "trial"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["--repo", str(root), "publish", "trial", "--effective", "2099-01-01"]).exit_code == 0
    return root


def test_repo_before_the_command_as_git_c_also_for_subgroups(repo: Path, tmp_path: Path) -> None:
    customers = tmp_path / "f.csv"
    customers.write_text("customer_id,name,email,language,agreement,version\nC1,One,one@example.com,en,trial,1\n")
    result = CliRunner().invoke(main, ["--repo", str(repo), "customers", "import", str(customers)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stdout
    result = CliRunner().invoke(main, ["--repo", str(repo), "customers", "list", "--format", "csv"])
    assert "C1,trial,1,en,one@example.com,One" in result.stdout


def test_repo_after_the_command_wins_then_before_then_environment(repo: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("CLAUSEWISE_REPO", str(elsewhere))
    assert CliRunner().invoke(main, ["list"]).exit_code == 1  # $CLAUSEWISE_REPO: not a repository
    assert CliRunner().invoke(main, ["--repo", str(repo), "list"]).exit_code == 0
    result = CliRunner().invoke(main, ["--repo", str(elsewhere), "list", "--repo", str(repo)])
    assert result.exit_code == 0 and "trial" in result.stdout
    result = CliRunner().invoke(main, ["--repo", str(repo), "list", "--repo", str(elsewhere)])
    assert result.exit_code == 1 and f"{elsewhere} is not an agreements repository" in result.stderr


def test_help_lists_the_commands_in_the_readmes_sections() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    out = result.stdout
    order = ["Versions (record and publish agreements):", "  update ", "  verify ",
             "Diff (compare texts clause by clause):", "  diff ",
             "Notify (customers, campaigns, emails, proof):", "  customers ", "  notify ", "Try it:", "  demo "]
    position = 0
    for marker in order:  # each after the one before
        position = out.index(marker, position)
    assert "Commands:" not in out and "--repo DIR" in out
    assert "Commands:" in CliRunner().invoke(main, ["notify", "--help"]).stdout  # sub-groups keep click's list


def complete(args: str, incomplete: str, cwd: Path) -> list[str]:
    """What bash completion offers, asked from the installed command as the shell asks it."""
    words = f"clausewise {args} {incomplete}".split() if incomplete else f"clausewise {args}".split() + [""]
    env = {**os.environ, "_CLAUSEWISE_COMPLETE": "bash_complete", "COMP_WORDS": " ".join(words),
           "COMP_CWORD": str(len(words) - 1)}
    env.pop("CLAUSEWISE_REPO", None)
    output = subprocess.run([sys.executable, "-c", PROGRAM], env=env, cwd=cwd,
                            capture_output=True, text=True, check=True).stdout
    return [line.split(",", 1)[1] for line in output.splitlines() if line.startswith("plain,")]


def test_shell_completion_of_commands_ids_and_refs(repo: Path, tmp_path: Path) -> None:
    assert complete("", "pu", repo) == ["publish"]
    assert complete("show", "", repo) == ["trial", "trial@latest", "trial@v1"]
    assert complete("diff trial@v1", "trial@", repo) == ["trial@latest", "trial@v1"]
    assert complete(f"--repo {repo} log", "t", tmp_path) == ["trial"]
    assert complete("log", "t", tmp_path) == []  # no repository here: nothing, and no error


def test_documented_completion_script_is_generated() -> None:
    env = {**os.environ, "_CLAUSEWISE_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-c", PROGRAM], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "_clausewise_completion" in script and "complete -o nosort -F" in script
    assert "_CLAUSEWISE_COMPLETE=bash_source clausewise" in (ROOT / "README.md").read_text()


def test_a_corpus_test_skips_with_its_reason_when_the_corpus_is_absent(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / "tests").mkdir(parents=True)
    (clone / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (clone / "tests" / "test_uses_corpus.py").write_text("def test_it(corpus_path):\n    assert corpus_path\n")
    env = {key: value for key, value in os.environ.items() if key != "CLAUSEWISE_CORPUS"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests"],
                            cwd=clone, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "seed corpus 000_7877eb3dfe678d1c.txt not found" in result.stdout
    assert "set CLAUSEWISE_CORPUS" in result.stdout


def test_the_demos_last_line_names_the_command_as_the_user_can_run_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from clausewise.cli import _command_as_typed

    installed = Path(sys.executable).parent / "clausewise"
    monkeypatch.setattr(sys, "argv", [str(installed), "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # environment not activated
    assert _command_as_typed() == str(installed)
    monkeypatch.setenv("PATH", f"{installed.parent}:/usr/bin:/bin")  # activated
    assert _command_as_typed() == "clausewise"


def test_campaign_ids_complete_from_the_state_database_which_completion_never_creates(repo: Path,
                                                                                        tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    assert CliRunner().invoke(main, ["init", str(empty)]).exit_code == 0
    assert complete("notify cancel", "", empty) == []
    assert not (empty / ".clausewise" / "state.sqlite3").exists()
    assert complete("notify cancel", "", repo) == []
    result = CliRunner().invoke(main, ["--repo", str(repo), "announce", "assignment", "trial", "--to", "Example Cloud Ltd",
                                       "--effective", "2099-06-01", "--notice-days", "30", "--clause", "1"])
    assert result.exit_code == 0, result.output
    campaign = "trial/assignment-2099-06-01"
    assert complete("notify cancel", "", repo) == [campaign]
    assert complete("notify send --campaign", "trial/", repo) == [campaign]
    assert complete("notify report --campaign", "other", repo) == []
