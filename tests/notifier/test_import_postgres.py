"""Customers import into a real PostgreSQL server (COPY): the same rows, counts and error messages as
the SQLite import of the same file, all-or-nothing, even when the process is killed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.customers import import_customers, published_versions
from clausewise.notifier.store import Store, open_store, store_for_repo
from clausewise.versions import open_repo

from .test_customers import BAD_ROWS, GOOD, HEADER, write

CLI = [sys.executable, "-c", "from clausewise.cli import main; main()"]


@pytest.fixture
def pg_repo(legal_repo, postgres_url: str):
    """``legal_repo`` with its state in PostgreSQL (state_db = the test database's URL)."""
    config = Path(legal_repo.root) / "clausewise.toml"
    text = re.sub(r'(?m)^state_db = .*$', f'state_db = "{postgres_url}"', config.read_text("utf-8"))
    config.write_text(text, "utf-8")
    return open_repo(legal_repo.root)


@pytest.fixture
def pg_store(pg_repo):
    opened = store_for_repo(pg_repo)
    assert opened.backend == "postgresql"
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path):
    opened = open_store(tmp_path / "compare" / "state.sqlite3")
    yield opened
    opened.close()


def run_import(repo, store: Store, path: Path, **options):
    return import_customers(store, path, published_versions(repo), **options)


def outcome(repo, store: Store, path: Path) -> tuple:
    """What an import of ``path`` does: its counts, or its error, and the customers afterwards."""
    try:
        result: object = run_import(repo, store, path)
    except ClausewiseError as exc:
        result = (type(exc).__name__, str(exc))
    return result, [(c.customer_id, c.agreement, c.name, c.email, c.language, c.version) for c in store.customers()]


def test_copy_import_stores_what_sqlite_stores(pg_repo, pg_store: Store, sqlite_store: Store, tmp_path: Path) -> None:
    first, again = write(tmp_path, GOOD), write(tmp_path, HEADER + (
        "C1,Alice Example,alice@new.example.com,en,trial-en,2\n"
        '"C3","Bob, Jr.","bob+legal@sub.example.org","EN","trial-en","V2"\n'
        "C4,Dan \\ Back,dan@example.com,en,trial-en,1\nC4,Dan \\ Back,dan@example.com,en,trial-en,1\n"), "again.csv")
    for path in (first, again):
        on_postgres, on_sqlite = outcome(pg_repo, pg_store, path), outcome(pg_repo, sqlite_store, path)
        assert on_postgres == on_sqlite
    counts = on_postgres[0]
    assert (counts.rows, counts.new, counts.changed, counts.unchanged) == (3, 1, 1, 1)


@pytest.mark.parametrize(("text", "message"), BAD_ROWS, ids=[m.split(": ", 1)[1][:40] for _, m in BAD_ROWS])
def test_a_bad_file_gets_the_sqlite_message_and_imports_nothing(pg_repo, pg_store: Store, sqlite_store: Store,
                                                               tmp_path: Path, text: str, message: str) -> None:
    good = write(tmp_path, GOOD, "first.csv")
    run_import(pg_repo, pg_store, good)
    run_import(pg_repo, sqlite_store, good)
    path = write(tmp_path, text)
    on_postgres, on_sqlite = outcome(pg_repo, pg_store, path), outcome(pg_repo, sqlite_store, path)
    assert on_postgres == on_sqlite
    assert on_postgres[0][1].startswith(f"{path.parent}/{message}")
    assert len(on_postgres[1]) == 4  # the first file's rows, and none of this one's


ORDERED_FAULTS = [  # (rows after the header, the error both back ends report first)
    (["N1,Ann,n1@example.com,en,trial-en,1", "N2,Bo,n2@example.com,en,trial-en,1",
      "N1,Someone else,n1@example.com,en,trial-en,1", "N3,Cy,broken,en,trial-en,1"],
     "customers.csv:4: conflicts with line 2: customer 'N1'"),
    (["N1,Ann,n1@example.com,en,trial-en,1", "N3,Cy,broken,en,trial-en,1",
      "N1,Someone else,n1@example.com,en,trial-en,1"],
     "customers.csv:3: invalid email 'broken'"),
    (["N1,Ann,n1@example.com,en,trial-en,1", "N1,Ann,n1@example.com,en,trial-en,2",
      'N2,"unclosed,n2@example.com,en,trial-en,1'],
     "customers.csv:3: conflicts with line 2"),
    (["N1,Ann,n1@example.com,en,trial-en,1", "N2,Bo,n2@example.com,en,trial-en,1,extra",
      "N1,Ann,n1@example.com,en,trial-en,2"],
     "customers.csv:3: 7 fields but the header names 6"),
    (["N1,Ann,n1@example.com,en,trial-en,1", "N2,Bo,n2@example.com,en,trial-en,1",
      "N2,Bo,n2@example.com,en,trial-en,1", "N2,Bo,b2@example.com,en,trial-en,1",
      "N1,Ann,n1@example.com,en,trial-en,2"],
     "customers.csv:5: conflicts with line 3: customer 'N2'"),
]


@pytest.mark.parametrize(("rows", "message"), ORDERED_FAULTS)
def test_the_first_fault_in_file_order_is_reported_on_both_back_ends(pg_repo, pg_store: Store, sqlite_store: Store,
                                                                      tmp_path: Path, rows: list[str],
                                                                      message: str) -> None:
    path = write(tmp_path, HEADER + "\n".join(rows) + "\n")
    on_postgres, on_sqlite = outcome(pg_repo, pg_store, path), outcome(pg_repo, sqlite_store, path)
    assert on_postgres == on_sqlite
    assert on_postgres[0][1].startswith(f"{path.parent}/{message}") and on_postgres[1] == []


def customers_in(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT COUNT(*) FROM customers").fetchone()[0]


def big_file(folder: Path, rows: int) -> Path:
    path = folder / f"customers-{rows}.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for n in range(rows):
            handle.write(f"k{n:07d},Customer {n},k{n:07d}@example.com,{'zh' if n % 3 else 'en'},trial-en,1\n")
    return path


def cli(repo, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CLAUSEWISE_KILL_AT"}
    if kill_at:
        env["CLAUSEWISE_KILL_AT"] = kill_at
    return subprocess.run([*CLI, *args, "--repo", str(repo.root)], capture_output=True, text=True, env=env,
                          timeout=300)


def test_an_import_killed_before_its_commit_leaves_nothing_and_a_rerun_completes(pg_repo, pg_store: Store,
                                                                             postgres_url: str,
                                                                             tmp_path: Path) -> None:
    path = big_file(tmp_path, 20_000)
    killed = cli(pg_repo, "customers", "import", str(path), kill_at="import-merged")
    assert killed.returncode == -9, killed.stderr
    assert customers_in(postgres_url) == 0  # the server rolled back the dead client's transaction
    done = cli(pg_repo, "customers", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "imported 20000 customer rows" in done.stdout and "20000 new" in done.stdout
    assert customers_in(postgres_url) == 20_000


def peak_rss_mb(repo, path: Path) -> float:
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, *CLI, "customers", "import", str(path), "--quiet",
                          "--repo", str(repo.root)], check=True, capture_output=True, text=True, timeout=600).stdout
    return float(out)


def test_copy_import_streams_memory_stays_flat_as_the_file_grows(pg_repo, postgres_url: str, tmp_path: Path) -> None:
    small, large = peak_rss_mb(pg_repo, big_file(tmp_path, 10_000)), peak_rss_mb(pg_repo, big_file(tmp_path, 200_000))
    assert customers_in(postgres_url) == 200_000
    assert large < small * 1.25 + 5, (small, large)  # 20 times the rows, about the same memory
