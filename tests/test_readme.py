"""The README as a newcomer follows it: the quick start's shape, and "A day's work" run as written.

The shell block of "A day's work" runs literally in bash, in a fresh temp folder holding the lawyers'
files the README names, with the ``clausewise`` of this checkout's environment on PATH (as after
``source .venv/bin/activate``). The human steps are played by ``$EDITOR``: a script that sets the
mail relay in clausewise.toml to a real aiosmtpd on 127.0.0.1. So the README cannot drift from the CLI.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .notifier.smtp_server import smtp_server

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")

TRIAL = """# Cloud Trial Agreement

1. Definitions
1.1 "Service" means the Cloud Speech service provided by Example Cloud.
1.2 "Trial Period" means thirty days from the day the Customer activates the Service.

2. Changes to this Agreement
2.1 Example Cloud may change this Agreement after notifying the Customer at least 30 days in advance.

3. Fees
3.1 The Service is free of charge during the Trial Period.

4. Assignment
4.1 Example Cloud may assign this Agreement to an affiliate after notifying the Customer in advance.
"""
TRIAL_V2 = TRIAL.replace("thirty days", "fourteen days").replace(
    "3.1 The Service is free of charge during the Trial Period.",
    "3.1 The Service is free of charge during the Trial Period, up to 100 hours of audio.")
CUSTOMERS = ("customer_id,name,email,language,agreement,version\n"
             "C1,Alice Martin,alice@customer.test,en-GB,cloud-trial,1\n"
             "C2,王小明,wang@customer.test,zh-CN,cloud-trial,v1\n"
             "C3,Claire Dubois,claire@customer.test,fr,cloud-trial,1\n")

# $EDITOR for the README: what a user types into clausewise.toml (their sender, relay and reading URL).
EDITOR = """import os, re, sys
path = sys.argv[-1]
assert path.endswith("clausewise.toml"), f"the README edits only clausewise.toml here, not {path}"
text = open(path, encoding="utf-8").read()
text = re.sub(r'(?m)^sender = .*$', 'sender = "Legal Team <legal@cloud.test>"', text)
text = re.sub(r'(?m)^smtp_url = .*$', 'smtp_url = "' + os.environ["README_SMTP_URL"] + '"', text)
text = re.sub(r'(?m)^reading_url = .*$', 'reading_url = "https://legal.cloud.test/{agreement}/v{version}"', text)
open(path, "w", encoding="utf-8").write(text)
"""


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end >= 0 else None]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_quick_start_is_two_commands_one_demo_one_tests() -> None:
    blocks = shell_blocks(section("Quick start"))
    assert len(blocks) == 2 and all(len(block.strip().splitlines()) == 1 for block in blocks)
    assert blocks[0].strip() == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/clausewise demo"
    assert blocks[1].strip() == "bash .ci/run"
    assert (ROOT / ".ci" / "run").is_file()


def test_a_days_work_says_where_the_command_is() -> None:
    text = section("A day's work")
    assert "source .venv/bin/activate" in text and ".venv/bin/clausewise" in text
    # this test runs in that environment: the command is where the README says
    assert (Path(sys.executable).parent / "clausewise").is_file()
    assert (Path(sys.executable).parent / "activate").is_file()


def test_a_days_work_runs_as_written(tmp_path: Path) -> None:
    blocks = shell_blocks(section("A day's work"))
    assert len(blocks) == 1, "A day's work must stay one shell block, run top to bottom"
    script = blocks[0]
    for name, text in (("trial.md", TRIAL), ("trial-v2.md", TRIAL_V2), ("customers.csv", CUSTOMERS)):
        assert f"../{name}" in script, f"the README no longer uses {name}; update this test's files"
        (tmp_path / name).write_text(text, "utf-8")
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, "utf-8")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLAUSEWISE_", "GIT_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               EDITOR=f"{sys.executable} {editor}", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="Legal Counsel", GIT_AUTHOR_EMAIL="counsel@cloud.test",
               GIT_COMMITTER_NAME="Legal Counsel", GIT_COMMITTER_EMAIL="counsel@cloud.test")
    with smtp_server() as (url, handler):
        env["README_SMTP_URL"] = url
        result = subprocess.run(["bash", "-e", "-u", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    out = result.stdout
    assert "Published cloud-trial v1 (tag cloud-trial/v1" in out
    assert "imported 3 customer rows" in out
    assert "[-thirty-]{+fourteen+}" in out  # the diff, clause by clause
    assert "Published cloud-trial v2 (tag cloud-trial/v2" in out
    assert "3 sent" in out
    assert sorted(rcpt for message in handler.received for rcpt in message.rcpt_tos) == [
        "alice@customer.test", "claire@customer.test", "wang@customer.test"]
    with (tmp_path / "proof.csv").open(encoding="utf-8") as handle:
        proof = list(csv.DictReader(handle))
    assert sorted((row["customer_id"], row["status"]) for row in proof) == [
        ("C1", "sent"), ("C2", "sent"), ("C3", "sent")]
    legal = tmp_path / "legal"
    assert subprocess.run(["git", "status", "--porcelain"], cwd=legal, env=env, capture_output=True,
                          text=True, check=True).stdout == ""
    assert (legal / "agreements" / "cloud-trial.md").read_text("utf-8").endswith(TRIAL_V2)


def readme_command_lines() -> list[str]:
    """Every ``clausewise ...`` line of the README's shell blocks, continuation lines joined, comments cut."""
    lines = []
    for block in shell_blocks(README):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s{2,}#", line)[0].strip()
            for command in line.split("&&"):
                if command.strip().startswith("clausewise "):
                    lines.append(command.strip())
    return lines


def test_every_command_option_and_choice_the_readme_shows_exists() -> None:
    import click

    from clausewise.cli import main

    lines = readme_command_lines()
    assert len(lines) > 30
    for line in lines:
        words = line.split()
        command: click.Command = main
        for word in words[1:]:
            if not isinstance(command, click.Group) or word.startswith("-"):
                break
            sub = command.get_command(click.Context(command), word)
            assert sub is not None, f"README: {line!r}: no command {word!r}"
            command = sub
        options = {opt: param for param in command.params if isinstance(param, click.Option)
                   for opt in param.opts + param.secondary_opts}
        options.update({opt: param for param in main.params for opt in param.opts})
        for index, word in enumerate(words):
            name = word.strip("[]|")
            if not re.fullmatch(r"--?[a-z][a-z-]*", name):
                continue
            assert name in options, f"README: {line!r}: {command.name} has no option {name}"
            param = options[name]
            if isinstance(param.type, click.Choice) and index + 1 < len(words):
                shown = words[index + 1].strip("[]")
                if re.fullmatch(r"[a-z]+(\|[a-z]+)+", shown):
                    assert set(shown.split("|")) <= set(param.type.choices), f"README: {line!r}: {shown}"


@pytest.mark.parametrize("name", ["Versions", "Comparing texts: `clausewise diff`", "Notices"])
def test_every_clausewise_command_the_readme_names_exists(name: str) -> None:
    from click.testing import CliRunner

    from clausewise.cli import main

    for block in shell_blocks(section(name)):
        for line in block.splitlines():
            words = line.split()
            if len(words) < 2 or words[0] != "clausewise":
                continue
            path = [words[1]] + ([words[2]] if words[1] in ("customers", "announce", "notify") else [])
            result = CliRunner().invoke(main, [*path, "--help"])
            assert result.exit_code == 0, f"README: {line!r}: {result.output}"
