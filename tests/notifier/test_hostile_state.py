"""CSV formula injection in the spreadsheets legal opens, and a damaged state database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.store import CustomerRow, store_for_repo

from .notices import assignment_campaign, setup

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab"]


def cli(legal_repo, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(legal_repo.root)])


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_json_stays_exact(legal_repo, repo_store):
    rows = [CustomerRow(f"{formula}-id{i}" if i % 2 else f"K{i}", formula, f"k{i}@example.com", "en",
                        "service-zh", 1) for i, formula in enumerate(FORMULAS)]
    setup(repo_store, assignment_campaign(), rows=rows)

    listed = cli(legal_repo, "customers", "list", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    names = [row["name"] for row in csv.DictReader(io.StringIO(listed.stdout))]
    ids = [row["customer_id"] for row in csv.DictReader(io.StringIO(listed.stdout))]
    assert sorted(names) == sorted("'" + f for f in FORMULAS)
    assert all(not i.startswith(("=", "+", "-", "@", "\t", "\r")) for i in ids)

    report = cli(legal_repo, "notify", "report", "--format", "csv")
    assert report.exit_code == 0, report.output
    cells = [row for row in csv.DictReader(io.StringIO(report.stdout))]
    assert sorted(row["name"] for row in cells) == sorted("'" + f for f in FORMULAS)
    assert {row["email"] for row in cells} == {r.email for r in rows}  # ordinary cells untouched
    as_json = json.loads(cli(legal_repo, "notify", "report", "--format", "json").stdout)
    assert sorted(n["name"] for n in as_json["notices"]) == sorted(FORMULAS)  # JSON keeps the exact text
    listed_json = [json.loads(line) for line in cli(legal_repo, "customers", "list", "--format", "json").stdout.split("\n")
                   if line]
    assert sorted(c["name"] for c in listed_json) == sorted(FORMULAS)


@pytest.mark.sqlite_only
def test_a_damaged_state_database_gives_one_error_line(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(),
          rows=[CustomerRow(f"C{i:05d}", f"Customer {i} " + "x" * 200, f"c{i}@example.com", "en", "service-zh", 1)
                for i in range(3000)])
    path = repo_store.path
    repo_store.close()
    with store_for_repo(legal_repo) as store:  # checkpoint the WAL into the file, then damage its middle
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    quarter = len(data) // 4
    data[quarter:3 * quarter] = b"\xa5" * (2 * quarter)  # bad pages mid-file; the header stays intact
    path.write_bytes(bytes(data))
    for command in (["notify", "status"], ["notify", "report"], ["customers", "list"]):
        result = cli(legal_repo, *command)
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, (command, result.stderr)
        assert "Traceback" not in result.output and "state database" in result.stderr


def _read_only(folder):
    """Make ``folder`` read-only for real: a remount of its own tmpfs as root (root ignores file
    modes), file modes otherwise. Returns the undo function."""
    import os
    import subprocess

    if os.geteuid() != 0:
        for path in [folder, *folder.iterdir()]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        return lambda: [p.chmod(0o755 if p.is_dir() else 0o644) for p in [folder, *folder.iterdir()]]
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    return lambda: subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)


@pytest.mark.sqlite_only
def test_a_read_only_state_database_gives_one_error_line_and_changes_nothing(legal_repo, tmp_path):
    import os
    import shutil
    import subprocess

    folder = tmp_path / "ro-state"
    folder.mkdir()
    mounted = os.geteuid() == 0
    if mounted:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)], check=True)
    try:
        config = legal_repo.root / "clausewise.toml"
        config.write_text(config.read_text("utf-8").replace('state_db = ".clausewise/state.sqlite3"',
                                                            f'state_db = "{folder}/state.sqlite3"'), "utf-8")
        from clausewise.versions import open_repo

        with store_for_repo(open_repo(legal_repo.root)) as store:
            setup(store, assignment_campaign(), rows=[CustomerRow("C1", "Ann", "c1@example.com", "en",
                                                                  "service-zh", 1)])
        before = {p.name: p.read_bytes() for p in folder.iterdir()}
        undo = _read_only(folder)
        try:
            customers_file = tmp_path / "more.csv"
            customers_file.write_text("customer_id,name,email,language,agreement,version\n"
                                      "C2,Bo,c2@example.com,en,service-zh,1\n", "utf-8")
            for command in (["notify", "status"], ["notify", "send", "--smtp", "smtp://127.0.0.1:9"],
                            ["customers", "import", str(customers_file)], ["notify", "retry"]):
                result = cli(legal_repo, *command)
                assert result.exit_code == 1, (command, result.output)
                assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, (command, result.stderr)
                assert "read-only" in result.stderr and "Traceback" not in result.output
            assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
        finally:
            undo()
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        shutil.rmtree(folder, ignore_errors=True)
