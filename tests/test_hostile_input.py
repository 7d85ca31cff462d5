"""Hostile input from issue 9: every case gets one clear 'Error:' line (never a traceback), changes
nothing, and never shows a password. Real repositories, real SQLite files, the real CLI."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.customers import FIELD_LIMITS
from clausewise.versions import init_repo

TODAY = date(2030, 1, 1)
TEXT = "# Trial Agreement\n\n1. Scope\n\n1.1 The trial lasts thirty days.\n"
HEADER = "customer_id,name,email,language,agreement,version\n"
CLAUSEWISE = [str(Path(sys.executable).with_name("clausewise"))]  # the venv's console script


@pytest.fixture
def legal(tmp_path: Path) -> Path:
    """An agreements repository with ``trial`` published as v1 and its state database created."""
    repo = init_repo(tmp_path / "legal")
    repo.add("trial", TEXT, title="Trial Agreement", language="en", kind="trial", notice_days=0)
    repo.publish("trial", date(2030, 2, 1), summary="First", today=TODAY)
    ok = invoke(repo.root, "customers", "import", str(write(tmp_path / "seed.csv", HEADER +
                                                              "C1,Alice,alice@example.com,en,trial,1\n")))
    assert ok.exit_code == 0, ok.output
    # The CliRunner's SystemExit keeps this frame (and a git Repo, which has a __del__) in a reference
    # cycle: collect it now, not at a moment the nesting tests choose, 5,000 calls deep, where the
    # finalizer itself would hit the recursion limit and print "Exception ignored".
    del ok
    gc.collect()
    return repo.root


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def invoke(repo: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(repo)])


def one_error_line(result, code: int = 1) -> str:
    """The single 'Error:' line of a failed command (asserting there is no traceback)."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def state(repo: Path) -> tuple:
    """What a failed command must leave unchanged: git refs, index, status, and the customers."""
    raw = git.Repo(repo)
    with sqlite3.connect(repo / ".clausewise" / "state.sqlite3") as db:
        customers = db.execute("SELECT * FROM customers ORDER BY 1, 2").fetchall()
    return (raw.git.for_each_ref(format="%(refname) %(objectname)"), raw.git.ls_files("-s"),
            raw.git.status("--porcelain", "--untracked-files=all"), customers)


# --- SMTP passwords -----------------------------------------------------------------------------

SECRET = "S3cretPW"
SPECIALS = "/@?#:%[]\\ "


@pytest.mark.parametrize("special", list(SPECIALS))
@pytest.mark.parametrize("where", ["option", "config"])
def test_no_part_of_a_password_in_a_url_is_ever_printed(legal: Path, special: str, where: str) -> None:
    halves = ("S3c", "retPW")
    password = halves[0] + special + halves[1]
    urls = [f"smtp://bob:{password}@relay.example.com", f"smtp://bob:{password}", f"smtps://bob:{password}@",
            f"smtp://bob:{password}@relay.example.com:25/x?y#z"]
    for url in urls:
        if where == "option":
            result = invoke(legal, "notify", "send", "--smtp", url)
        else:
            config = legal / "clausewise.toml"
            original = config.read_text("utf-8")
            config.write_text(original.replace('smtp_url = "smtp://127.0.0.1:8025"', f"smtp_url = {url!r}"), "utf-8")
            try:
                result = invoke(legal, "notify", "send")
            finally:
                config.write_text(original, "utf-8")
        line = one_error_line(result, 2)
        assert "SMTP URL" in line
        for half in halves:
            assert half not in result.output, (url, result.output)


def test_a_password_in_the_url_is_refused_with_what_to_do(legal: Path) -> None:
    line = one_error_line(invoke(legal, "notify", "send", "--smtp", "smtp://bob:S3c/retPW@relay.example.com"), 2)
    assert "smtp://bob:***@" in line and "CLAUSEWISE_SMTP_PASSWORD" in line


def test_a_password_never_shows_in_help_or_status(legal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEWISE_SMTP_PASSWORD", SECRET)
    for args in (["notify", "send", "--help"], ["notify", "status"], ["--help"]):
        result = CliRunner().invoke(main, [*args, "--repo", str(legal)] if args[0] != "--help" else args)
        assert SECRET not in result.output


def test_a_password_that_is_not_utf8_is_refused_without_showing_it(legal: Path) -> None:
    env = {**os.environ, "CLAUSEWISE_SMTP_PASSWORD": "", "CLAUSEWISE_REPO": str(legal)}
    env_bytes = {k.encode(): v.encode() for k, v in env.items()}
    env_bytes[b"CLAUSEWISE_SMTP_PASSWORD"] = b"S3c\xe9retPW"
    done = subprocess.run([*CLAUSEWISE, "notify", "send", "--smtp", "smtp://bob@127.0.0.1:9"], env=env_bytes,
                          capture_output=True)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1 and "Traceback" not in err
    assert "not valid UTF-8" in err and b"S3c" not in done.stderr + done.stdout and "\\xe9" not in err


@pytest.mark.parametrize("content", [b'smtp_password = "S3c\xe9retPW"\n', b'smtp_password = "S3cretPW\n',
                                     b"smtp_password = " + b"[" * 5000 + b'"S3cretPW"' + b"]" * 5000 + b"\n"])
def test_a_broken_secrets_file_is_reported_without_its_content(legal: Path, content: bytes) -> None:
    write(legal / ".clausewise" / "secrets.toml", content)
    result = invoke(legal, "notify", "send", "--smtp", "smtp://bob@127.0.0.1:9")
    line = one_error_line(result)
    assert "secrets.toml" in line and "S3c" not in result.output and "retPW" not in result.output


# --- TOML nested thousands deep -----------------------------------------------------------------

DEEP_TOML = "x = " + "[" * 5000 + "]" * 5000 + "\n"


def test_a_config_nested_5000_deep_is_one_error_line(legal: Path) -> None:
    config = legal / "clausewise.toml"
    config.write_text(config.read_text("utf-8") + DEEP_TOML, "utf-8")
    line = one_error_line(invoke(legal, "list"))
    assert "clausewise.toml: invalid TOML (arrays or tables nested too deeply)" in line


@pytest.mark.parametrize("deep", [DEEP_TOML, "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"])
def test_front_matter_nested_5000_deep_is_one_error_line(legal: Path, tmp_path: Path, deep: str) -> None:
    before = state(legal)
    source = write(tmp_path / "deep.md", f'+++\ntitle = "T"\nlanguage = "en"\nkind = "trial"\n{deep}+++\n{TEXT}')
    line = one_error_line(invoke(legal, "add", "deep", str(source)))
    assert "invalid TOML in the front matter (arrays or tables nested too deeply)" in line
    assert state(legal) == before


# --- customer files -----------------------------------------------------------------------------

def jsonl_row(**fields: object) -> str:
    import json

    row = {"customer_id": "C9", "name": "Zed", "email": "zed@example.com", "language": "en", "agreement": "trial",
           "version": 1, **fields}
    return json.dumps(row) + "\n"


@pytest.mark.parametrize(("line", "expected"), [
    ('{"customer_id": ' + "9" * 5000 + "}\n", "a number too long to read"),
    ("[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
    ('{"customer_id": "C9", "name": "Z\\ud800ed", "email": "zed@example.com", "language": "en", '
     '"agreement": "trial", "version": 1}\n', "U+D800"),
    (jsonl_row(email="zed\u202e@example.com"), "U+202E RIGHT-TO-LEFT OVERRIDE at position 4"),
    (jsonl_row(email="zed@exa\u200bmple.com"), "U+200B ZERO WIDTH SPACE"),
    (jsonl_row(email="zed\u00a0x@example.com"), "U+00A0 NO-BREAK SPACE"),
    (jsonl_row(name="Bob \u202egnp.exe"), "invalid name"),
    (jsonl_row(customer_id="C\u200b9"), "invalid customer_id"),
    (jsonl_row(name="N" * 120_000), "name is 120000 characters long (column name); at most 200"),
    (jsonl_row(email="a" * 64 + "@" + "b" * 250 + ".com"), "at most 254"),
    (jsonl_row(customer_id="C" * 129), "at most 128"),
])
def test_hostile_customer_rows_are_refused_on_their_line(legal: Path, tmp_path: Path, line: str, expected: str) -> None:
    before = state(legal)
    path = write(tmp_path / "customers.jsonl", jsonl_row(customer_id="C8") + line)
    result = invoke(legal, "customers", "import", str(path))
    error = one_error_line(result)
    assert "customers.jsonl:2: " in error and expected in error, error
    assert len(error) < 1000  # a 120k-character value is never echoed whole
    assert state(legal) == before


def test_every_limit_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    section = readme[readme.index("### Limits"):]
    for column, limit in FIELD_LIMITS.items():
        assert f"`{column}`" in section and str(limit) in section, column


# --- patterns guard the whole value -------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["add", "nl\n", "{file}"],
    ["add", "nl", "{file}", "--lang", "en\n"],
    ["add", "nl", "{file}", "--kind", "trial\n"],
])
def test_a_trailing_newline_is_not_part_of_a_valid_value(legal: Path, tmp_path: Path, args: list[str]) -> None:
    before = state(legal)
    source = write(tmp_path / "nl.md", TEXT)
    args = [arg.replace("{file}", str(source)) for arg in args]
    if "--lang" not in args:
        args += ["--lang", "en"]
    if "--kind" not in args:
        args += ["--kind", "trial"]
    one_error_line(invoke(legal, *args, "--title", "New line"), 2)
    assert state(legal) == before
    assert not any(p.name.startswith("nl") for p in (legal / "agreements").iterdir())


@pytest.mark.parametrize("ref", ["trial@v1\n", "trial@latest\n", "trial\n@v1"])
def test_a_ref_with_a_newline_is_refused(legal: Path, ref: str) -> None:
    one_error_line(invoke(legal, "show", ref), 2)


def test_a_date_with_a_newline_or_foreign_digits_is_refused(legal: Path) -> None:
    for value in ("2031-01-01\n", "２０３１-01-01"):
        one_error_line(invoke(legal, "publish", "trial", "--effective", value), 2)


def test_front_matter_with_a_trailing_newline_value_is_refused(legal: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "x.md", '+++\ntitle = "T"\nlanguage = "en\\n"\nkind = "trial"\n+++\n' + TEXT)
    assert "language" in one_error_line(invoke(legal, "add", "x", str(source)))


def test_a_title_that_reorders_text_or_is_too_long_is_refused(legal: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "t.md", TEXT)
    assert "U+202E" in one_error_line(invoke(legal, "add", "t", str(source), "--title", "Trial \u202eexe.",
                                             "--lang", "en", "--kind", "trial"), 2)
    assert "at most 200" in one_error_line(invoke(legal, "add", "t", str(source), "--title", "T" * 201,
                                                  "--lang", "en", "--kind", "trial"), 2)


# --- faults of the machine: one Error line ------------------------------------------------------

def test_a_damaged_state_database_is_one_error_line(legal: Path) -> None:
    database = legal / ".clausewise" / "state.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    data = bytearray(database.read_bytes())
    page = 4096
    assert len(data) >= 3 * page
    data[page: 3 * page] = b"\xa5" * (2 * page)  # bad pages in the middle; the header stays valid
    database.write_bytes(bytes(data))
    for args in (["customers", "list"], ["notify", "status"]):
        line = one_error_line(invoke(legal, *args))
        assert "state database" in line and ("damaged" in line or "not a usable" in line), line


def test_a_git_error_is_one_error_line_naming_what_to_do(legal: Path) -> None:
    lock = legal / ".git" / "index.lock"
    lock.write_text("")
    (legal / "agreements" / "trial.md").write_text((legal / "agreements" / "trial.md").read_text("utf-8")
                                                    .replace("thirty", "ten"), "utf-8")
    result = invoke(legal, "publish", "trial", "--effective", "2031-01-01")
    line = one_error_line(result)
    assert "index.lock" in line, line


@pytest.fixture
def read_only_mount(tmp_path: Path):
    """A small tmpfs that the test can remount read-only (needs root and mount); yields (folder,
    make_read_only)."""
    if os.geteuid() != 0:
        pytest.skip("a read-only file system needs root (mount); as a user, permissions are tested instead")
    folder = tmp_path / "mnt"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount is not permitted here (no CAP_SYS_ADMIN)")
    try:
        yield folder, lambda: subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_repository_and_database_are_one_error_line(read_only_mount, tmp_path: Path) -> None:
    folder, make_read_only = read_only_mount
    repo = init_repo(folder / "legal")
    repo.add("trial", TEXT, title="Trial Agreement", language="en", kind="trial", notice_days=0)
    repo.publish("trial", date(2030, 2, 1), summary="First", today=TODAY)
    seed = write(tmp_path / "seed.csv", HEADER + "C1,Alice,alice@example.com,en,trial,1\n")
    assert invoke(repo.root, "customers", "import", str(seed)).exit_code == 0
    agreement = repo.root / "agreements" / "trial.md"
    agreement.write_text(agreement.read_text("utf-8").replace("thirty", "ten"), "utf-8")
    make_read_only()
    line = one_error_line(invoke(repo.root, "publish", "trial", "--effective", "2031-01-01"))
    assert "read-only file system" in line or ("state database" in line and "writable" in line), line
    more = write(tmp_path / "more.csv", HEADER + "C2,Bob,bob@example.com,en,trial,1\n")
    line = one_error_line(invoke(repo.root, "customers", "import", str(more)))
    assert "state database" in line and "writable" in line, line
    assert git.Repo(repo.root).git.tag("--list") == "trial/v1"


def test_an_argument_that_is_not_utf8_is_refused_before_any_command_runs(legal: Path) -> None:
    before = state(legal)
    for args in ([b"show", b"tr\xe9al"], [b"customers", b"show", b"C\xff"], [b"notify", b"preview", b"x\xe9"]):
        done = subprocess.run([CLAUSEWISE[0].encode(), *args, b"--repo", str(legal).encode()], capture_output=True)
        assert done.returncode == 2 and b"Traceback" not in done.stderr, done.stderr
        assert b"is not valid UTF-8 text" in done.stderr
    assert state(legal) == before


@pytest.mark.parametrize("days", ["99999999", "3314566336149064"])
def test_an_assignment_with_a_huge_notice_period_is_refused(legal: Path, days: str) -> None:
    """Found by tests/test_properties.py: the date arithmetic overflowed (OverflowError)."""
    before = state(legal)
    result = invoke(legal, "announce", "assignment", "trial", "--to", "Acme", "--effective", "2031-04-11",
                    "--notice-days", days, "--allow-short-notice", "test", "--clause", "1.1")
    assert "at most" in one_error_line(result, 2) or "from 0 to" in result.output
    assert state(legal) == before


@pytest.mark.parametrize("option", ["--allow-short-notice", "-m"])
def test_a_control_character_in_a_publish_reason_or_summary_is_refused(legal: Path, option: str) -> None:
    """Found by tests/test_properties.py: a NUL reached git's commit message (ValueError)."""
    agreement = legal / "agreements" / "trial.md"
    agreement.write_text(agreement.read_text("utf-8").replace("thirty", "ten"), "utf-8")
    before = state(legal)
    line = one_error_line(invoke(legal, "publish", "trial", "--effective", "2039-07-23", option, "a\x00b",
                                 "--allow-short-notice" if option == "-m" else "-m", "ok"), 2)
    assert "U+0000" in line and option.replace("-m", "--summary") in line
    assert state(legal) == before
    ok = invoke(legal, "publish", "trial", "--effective", "2039-07-23", "-m", "two\nlines")
    assert ok.exit_code == 0, ok.output
