"""The ``clausewise`` executable (clausewise.launch): a plain diff runs without click, the rest
through the click commands, with the same output, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clausewise.diff_command import plain_diff_args

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))
HEAVY = ("click", "jinja2", "markupsafe", "git", "json", "tomllib", "clausewise.cli",
         "clausewise.differ.render_html", "clausewise.differ.render_json", "clausewise.versions.store")
LOADED_AFTER_MAIN = """
import sys
from clausewise.launch import main
sys.argv = ["clausewise", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nLOADED " + " ".join(sorted(sys.modules)) + "\\n")
"""


def one_line_pair(tmp_path: Path) -> tuple[str, str]:
    old, new = tmp_path / "a.txt", tmp_path / "b.txt"
    old.write_text("1. The trial lasts thirty days.\n", encoding="utf-8")
    new.write_text("1. The trial lasts fifteen days.\n", encoding="utf-8")
    return str(old), str(new)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLAUSEWISE, *args], capture_output=True, text=True, check=False)


def loaded_modules(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", LOADED_AFTER_MAIN, *args], capture_output=True,
                            text=True, check=False)
    return set(result.stderr.rsplit("LOADED ", 1)[1].split())


def test_a_plain_text_diff_loads_neither_click_nor_the_other_renderers(tmp_path):
    old, new = one_line_pair(tmp_path)
    loaded = loaded_modules("diff", old, new)
    assert "clausewise.differ.diff" in loaded and "clausewise.differ.render_text" in loaded
    assert not loaded & set(HEAVY)
    assert "clausewise.differ.render_html" in loaded_modules("diff", old, new, "--format", "html")
    assert "click" in loaded_modules("diff", "--help")


def test_plain_and_click_paths_print_the_same(tmp_path):
    old, new = one_line_pair(tmp_path)
    plain = run("diff", old, new, "--exit-code")
    assert plain.returncode == 1 and plain.stderr == ""
    assert "[-thirty-]{+fifteen+}" in plain.stdout
    via_click = run("--repo", str(tmp_path), "diff", old, new, "--exit-code")  # a global option: click
    assert (via_click.returncode, via_click.stdout) == (1, plain.stdout)
    as_json = run("diff", "--format=json", old, new)
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["summary"]["modified"] == 1
    out = tmp_path / "redline.html"
    assert run("diff", old, new, "--format", "html", "-o", str(out)).returncode == 0  # -o: click
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_errors_are_one_line_with_the_usual_exit_codes(tmp_path):
    old, _ = one_line_pair(tmp_path)
    missing = run("diff", old, str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == f"Error: {tmp_path / 'nope.txt'}: no such file; give a path to a text file, an agreement ID or ID@vN\n"
    tag = run("diff", "cloud-trial/v1", old)
    assert tag.returncode == 2 and "write cloud-trial@v1" in tag.stderr
    bad_choice = run("diff", old, old, "--format", "xlsx")
    assert bad_choice.returncode == 2 and "'xlsx' is not one of 'text', 'json', 'html', 'md'" in bad_choice.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["a", "b"], {"old": "a", "new": "b", "repo_dir": "."}),
    (["--format", "json", "a", "--exit-code", "b"],
     {"old": "a", "new": "b", "repo_dir": ".", "output_format": "json", "exit_code": True}),
    (["a", "b", "--context=none", "--lang", "zh"],
     {"old": "a", "new": "b", "repo_dir": ".", "context": "none", "ui_lang": "zh"}),
])
def test_plain_command_lines_are_read(args, expected):
    assert plain_diff_args(args, {}) == expected


@pytest.mark.parametrize("args", [
    ["a"], ["a", "b", "c"], ["--help"], ["a", "b", "-o", "out.html"], ["a", "b", "--format"],
    ["a", "b", "--format", "xlsx"], ["a", "b", "--repo", "x"], ["a", "b", "--unknown"], ["-", "b"],
])
def test_anything_else_goes_to_click(args):
    assert plain_diff_args(args, {}) is None


def test_repo_from_the_environment(tmp_path):
    assert plain_diff_args(["a", "b"], {"CLAUSEWISE_REPO": str(tmp_path)})["repo_dir"] == str(tmp_path)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert plain_diff_args(["a", "b"], {"CLAUSEWISE_REPO": str(a_file)}) is None  # click's error


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full (always full)")
@pytest.mark.parametrize("before", [[], ["--repo", "."]])
def test_a_full_standard_output_is_one_error_line(tmp_path, before):
    old, new = one_line_pair(tmp_path)
    with open("/dev/full", "w") as full:
        result = subprocess.run([CLAUSEWISE, *before, "diff", old, new], stdout=full, stderr=subprocess.PIPE,
                                text=True, check=False)
    assert result.returncode == 1
    assert result.stderr == ("Error: cannot write the diff to standard output (No space left on device); "
                             "write it to a file with -o FILE, or free space where it goes\n")
