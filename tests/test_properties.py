"""Property-based tests (Hypothesis): arbitrary Unicode and bytes into every command's inputs.

Whatever goes in - agreement text (add, update, import, diff), front matter, customer rows (CSV and
JSON Lines), options (ids, refs, dates, --notice-days, titles, parties) - the command exits 0, 1
or 2, never with a traceback, and a command that fails leaves the repository and the database
exactly as they were.

Runtime is kept modest: each test runs a fixed number of examples (profiles below; a few hundred
in all) on one real repository per test, without deadlines (git and SQLite timings vary).
Run more with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import git
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st

from clausewise.cli import main
from clausewise.versions import init_repo

# One repository per test function, shared by its examples (it is the point: state that earlier
# examples changed must not break later ones), hence the function-scoped fixture check is off.
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                      HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=50, **_COMMON)
settings.register_profile("ci", max_examples=50, derandomize=True, database=None, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
# Commands that commit or run several steps per example get half as many examples.
slow = settings(max_examples=max(5, settings.default.max_examples // 2))

TODAY = date(2030, 1, 1)
TRIAL = "# Trial Agreement\n\n1. Scope\n\n1.1 The trial lasts thirty days.\n\n2. Assignment\n\n" \
        "2.1 We may assign this agreement after notifying you in advance.\n"
HEADER = "customer_id,name,email,language,agreement,version\n"

# --- strategies --------------------------------------------------------------------------------
# Each input is usually valid and sometimes hostile, so that examples reach deep into the commands
# (parsing, alignment, git, SQLite) and not only the first check.

# Every code point, surrogates included (argv and JSON can carry them), plus strings known to hurt.
any_char = st.characters(codec=None, exclude_categories=())
text_char = st.characters(codec="utf-8")  # what a UTF-8 file can hold
NASTY = ["", " ", "\n", "nl\n", "trial\n", "trial@v1\n", "\x00", "\x1b[2J\x1b]0;pwned\x07", "\u202e", "\u200b",
         "\ud800", "=?utf-8?q?Bob=0D=0AReply-To:_x@evil.com?=", "=1+2", "@SUM(A1)", "-", "--", "--help",
         "../../etc/passwd", "/dev/null", "trial@v0", "trial@v99999999999999999999", "trial@latest",
         "9" * 5000, "a" * 70_000, "[" * 3000, "{a=" * 1000, "1." * 2000, "\u00a0", "２０３０-01-01", "١٢"]
hostile_text = st.one_of(st.text(any_char, max_size=60), st.sampled_from(NASTY),
                         st.lists(st.sampled_from(NASTY) | st.text(any_char, max_size=8), max_size=4).map("".join))


def mostly(*valid: str):
    """One of ``valid`` three times in four, else hostile text."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(valid), hostile_text)


CLAUSE_BITS = ["1.", "1.1", "2.", "2.1", "(a)", "i.", "第一条", "第二条", "一、", "# ", "## ", "### ", "- ", "> ",
               "**", "\n", "\n\n", " ", "\t", "\r\n", "\r", "The trial lasts thirty days.", "我方可以转让。",
               "+++", "\ufeff", "\u200b", "\x0c", "Page 1 of 2", "\x1b[2J", "\u202e", "\u0430", "=?utf-8?q?x?="]
body_text = st.lists(st.sampled_from(CLAUSE_BITS) | st.text(text_char, max_size=20), max_size=30).map(
    lambda bits: "# Agreement\n\n1. Scope\n\n" + "".join(bits))
front_matter = st.one_of(
    st.fixed_dictionaries({"title": mostly("Trial", "试用协议"), "language": mostly("en", "zh-CN"),
                           "kind": mostly("trial", "commercial"),
                           "notice_days": st.one_of(st.integers(0, 60), st.integers(), st.just("thirty"))}).map(
        lambda d: "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in d.items())),
    st.text(text_char, max_size=80),
    st.sampled_from(["x = " + "[" * 5000 + "]" * 5000, 'title = "T"\nlanguage = "en"\nkind = "trial"\nextra = 1']),
)


def _document(parts: tuple[str | None, str]) -> str:
    fm, body = parts
    return body if fm is None else f"+++\n{fm}\n+++\n{body}"


agreement_text = st.tuples(st.none() | front_matter, body_text).map(_document)
agreement_bytes = st.one_of(
    *[agreement_text.map(lambda text: text.encode("utf-8", "surrogatepass"))] * 3,  # a surrogate: not UTF-8
    st.binary(max_size=300),
    st.sampled_from([b"%PDF-1.7\n", b"\xef\xbb\xbf", b"\xff\xfe1\x00.\x00", b"1. A\n\xe9\n"]),
)
dates = st.one_of(st.dates(date(2031, 1, 1), date(2040, 1, 1)).map(date.isoformat),
                  st.dates(date(2031, 1, 1), date(2040, 1, 1)).map(date.isoformat),
                  st.dates().map(date.isoformat), hostile_text,
                  st.sampled_from(["2030-02-30", "9999-12-31", "0001-01-01", "2031-01-01\n"]))
notice_days = st.one_of(st.none(), st.integers(0, 90).map(str), st.integers(0, 90).map(str),
                        st.integers(min_value=-5, max_value=10**20).map(str), hostile_text)
slugs = mostly("new", "trial", "sla-2", "a")


def options(**values: str | None) -> list[str]:
    """``--name=value`` for each value given: bound to its option even when it starts with '-'."""
    return [f"--{name.replace('_', '-')}={value}" for name, value in values.items() if value is not None]


def customer_field(column: str):
    typical = {"customer_id": ["C1", "C2"], "name": ["Alice", "王小明"], "email": ["a@example.com", "b@例子.公司"],
               "language": ["en", "zh-CN"], "agreement": ["trial"], "version": ["1", "v1", "2"]}[column]
    return st.one_of(st.sampled_from(typical), hostile_text)


customer_row = st.fixed_dictionaries({c: customer_field(c) for c in HEADER.strip().split(",")})


def _csv(rows: list[dict]) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER.strip().split(","))
    for row in rows:
        writer.writerow(row.values())
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def _jsonl(rows: list) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=bool(hash(str(row)) % 2)) + "\n" for row in rows).encode(
        "utf-8", "surrogatepass")


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
                          lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children,
                                                                                            max_size=3), max_leaves=8)
customer_file = st.one_of(
    st.lists(customer_row, min_size=1, max_size=4).map(lambda rows: ("customers.csv", _csv(rows))),
    st.lists(customer_row | json_value, min_size=1, max_size=4).map(lambda rows: ("customers.jsonl", _jsonl(rows))),
    st.tuples(st.sampled_from(["customers.csv", "customers.jsonl", "customers.txt"]), st.binary(max_size=300)),
    st.sampled_from([("customers.jsonl", b'{"customer_id": ' + b"9" * 5000 + b"}\n"),
                     ("customers.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n"),
                     ("customers.csv", HEADER.encode() + b'C1,"unterminated\n')]),
)

# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A repository with ``trial`` at v1 and v2 (so a campaign exists), and two customers on v1."""
    repo = init_repo(tmp_path / "legal")
    repo.add("trial", TRIAL, title="Trial Agreement", language="en", kind="trial", notice_days=0)
    repo.publish("trial", date(2030, 2, 1), summary="First", today=TODAY)
    customers = tmp_path / "seed.csv"
    customers.write_text(HEADER + "C1,Alice,alice@example.com,en,trial,1\nC2,王小明,wang@example.com,zh,trial,1\n",
                         "utf-8")
    assert CliRunner().invoke(main, ["customers", "import", str(customers), "--repo", str(repo.root)]).exit_code == 0
    path = repo.agreement("trial").path
    path.write_text(path.read_text("utf-8").replace("thirty", "ten"), "utf-8")
    result = CliRunner().invoke(main, ["publish", "trial", "--effective", "2031-01-01", "--allow-short-notice", "test",
                                       "--repo", str(repo.root)])
    assert result.exit_code == 0, result.output
    return repo.root


def snapshot(root: Path) -> tuple:
    """Everything a failed command must leave as it was, cheaply (one git process): the refs, the
    index and working tree against HEAD (status v2 names staged and unstaged changes by object id),
    the agreement files, and every table of the state database."""
    git_dir = root / ".git"
    refs = {p.relative_to(git_dir).as_posix(): p.read_bytes() for p in sorted((git_dir / "refs").rglob("*"))
            if p.is_file()}
    for name in ("HEAD", "packed-refs"):
        if (git_dir / name).exists():
            refs[name] = (git_dir / name).read_bytes()
    status = git.Repo(root).git.status("--porcelain=v2", "--untracked-files=all")
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "agreements").rglob("*"))
             if p.is_file()}
    with closing(sqlite3.connect(root / ".clausewise" / "state.sqlite3")) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {table: db.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall() for table in tables}
    return refs, status, files, rows


def run(root: Path, command: str, *args: str, positional: tuple[str, ...] = (), unchanged_on_error: bool = True):
    """Run ``clausewise COMMAND --repo ROOT ARGS -- POSITIONAL`` (``--`` so that a hostile positional
    value such as ``-9`` stays a value); assert a clean outcome (0, 1 or 2, no traceback) and, on
    error, no change."""
    before = snapshot(root) if unchanged_on_error else None
    args = (*command.split(), *args, *(("--", *positional) if positional else ()))
    result = CliRunner().invoke(main, [*command.split(), "--repo", str(root), *args[len(command.split()):]],
                                catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"clausewise {args!r} crashed") from result.exception
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    if currently_in_test_context():
        event(f"{command}: exit {result.exit_code}")
    if result.exit_code != 0:
        assert "Error:" in result.output or "Usage:" in result.output, result.output
        if before is not None:
            assert snapshot(root) == before, f"clausewise {args!r} failed but changed the repository or database"
    return result


def put(root: Path, name: str, data: bytes) -> Path:
    path = root.parent / "inputs" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


# --- properties --------------------------------------------------------------------------------


@given(agreement_id=slugs, data=agreement_bytes, title=st.none() | mostly("Trial", "协议"),
       lang=st.none() | mostly("en", "zh-CN"), kind=st.none() | mostly("trial", "sla"), days=notice_days)
def test_add_takes_any_file_and_options(world: Path, agreement_id, data, title, lang, kind, days) -> None:
    run(world, "add", *options(title=title, lang=lang, kind=kind, notice_days=days),
        positional=(agreement_id, str(put(world, "agreement.md", data))))


@slow
@given(data=agreement_bytes, agreement_id=mostly("trial", "missing"))
def test_update_takes_any_file(world: Path, data, agreement_id) -> None:
    run(world, "update", positional=(agreement_id, str(put(world, "update.md", data))))


@slow
@given(data=agreement_bytes, split=st.booleans(), dry_run=st.booleans(), agreement_id=st.none() | slugs,
       prefix=st.none() | mostly("speech", "x"))
def test_import_takes_any_file(world: Path, data, split, dry_run, agreement_id, prefix) -> None:
    flags = [flag for flag, on in (("--split", split), ("--dry-run", dry_run)) if on]
    run(world, "import", *flags, *options(id=agreement_id, id_prefix=prefix),
        positional=(str(put(world, "extracted.txt", data)),))


@given(old=agreement_bytes, new=agreement_bytes, fmt=st.sampled_from(["text", "json", "html", "md"]),
       context=st.sampled_from(["unchanged", "none"]))
def test_diff_takes_any_two_files(world: Path, old, new, fmt, context) -> None:
    run(world, "diff", *options(format=fmt, context=context),
        positional=(str(put(world, "old.txt", old)), str(put(world, "new.txt", new))))


@given(old=mostly("trial@v1", "trial@latest", "trial", "trial@v3", "nope@v1"), new=mostly("trial@v2", "trial"),
       command=st.sampled_from(["diff", "show", "log"]))
def test_refs_and_ids_in_any_form(world: Path, old, new, command) -> None:
    run(world, command, positional=(old, new) if command == "diff" else (old,))


@given(name_and_data=customer_file)
def test_customers_import_takes_any_file(world: Path, name_and_data) -> None:
    name, data = name_and_data
    run(world, "customers import", positional=(str(put(world, name, data)),))


@slow
@given(effective=dates, days=notice_days, summary=mostly("Shorter trial", "缩短试用期"),
       reason=st.none() | mostly("urgent"), edit=body_text)
def test_publish_takes_any_date_notice_and_summary(world: Path, effective, days, summary, reason, edit) -> None:
    path = world / "agreements" / "trial.md"
    path.write_text(path.read_text("utf-8") + "\n" + edit + "\n", "utf-8")
    run(world, "publish", *options(effective=effective, notice_days=days, summary=summary,
                                   allow_short_notice=reason), positional=("trial",))
    if git.Repo(world).is_dirty():  # keep the next example's starting point the same
        git.Repo(world).git.checkout("--", "agreements/trial.md")


@slow
@given(party=mostly("Acme Holdings Ltd", "新公司"), effective=dates, days=notice_days,
       clause=st.none() | mostly("2.1", "9.3"), customer=mostly("C1", "C2", "C9"),
       campaign=mostly("trial/v2", "trial/v9"), part=st.sampled_from(["all", "text", "html", "raw"]))
def test_announce_and_notify_options(world: Path, party, effective, days, clause, customer, campaign, part) -> None:
    run(world, "announce assignment", *options(to=party, effective=effective, notice_days=days, clause=clause,
                                                allow_short_notice="test"), positional=("trial",))
    run(world, "notify preview", *options(customer=customer, part=part), positional=(campaign,))
    run(world, "customers show", positional=(customer,))
    run(world, "notify report", *options(campaign=campaign, format="json"))


def test_the_world_is_sound(world: Path) -> None:
    """The starting point the properties rely on: both versions, a campaign and two customers."""
    assert git.Repo(world).git.tag("--list").split() == ["trial/v1", "trial/v2"]
    result = run(world, "notify status", "--format=json")
    assert "trial/v2" in result.output
