"""Customers import into PostgreSQL (COPY) against the 30 s target, beside SQLite on the same file.

    .venv/bin/python benchmarks/bench_import_pg.py                  # 1,000,000 rows (and 100,000)
    .venv/bin/python benchmarks/bench_import_pg.py --rows 200000
    .venv/bin/python benchmarks/bench_import_pg.py --url postgresql://me@127.0.0.1:5432/postgres

Each import runs as `clausewise customers import` in a fresh process into a fresh database, so the
time and the peak RSS are the whole command's (start-up, validation, COPY, merge, commit; the
server's own memory is not counted). Without --url the script starts a throw-away server
(tests/pg_server.py: fsync off, as for the tests); with --url it creates (and then drops) one
database per run on that server, whose user needs CREATEDB (password: CLAUSEWISE_STATE_PASSWORD).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_import import make_csv, make_repo  # noqa: E402
from measure import run_child  # noqa: E402

TARGET_SECONDS = 30.0


@contextmanager
def server(url: str | None):
    """(admin URL, description, postmaster pid or None) of the given server, or of a throw-away one
    started for the run."""
    if url is not None:
        yield url, "given server", None
        return
    from tests.pg_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; install postgresql or pass --url")
    started = PostgresServer(bin_dir)
    started.start()
    try:
        yield started.url(), "throw-away server, fsync off", started._process.pid
    finally:
        started.stop()


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds of the server's finished backends so far (the postmaster's reaped children), or 0.0."""
    if postmaster is None:
        return 0.0
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime


def fresh_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, password=os.environ.get("CLAUSEWISE_STATE_PASSWORD")) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, password=os.environ.get("CLAUSEWISE_STATE_PASSWORD")) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def import_once(work: Path, data: Path, rows: int, state_db: str | None) -> tuple[float, float, float]:
    """Seconds, CPU seconds and peak RSS (MB) of one `customers import` of ``data`` into a new repository."""
    root = make_repo(work / f"repo-{rows}-{'pg' if state_db else 'sqlite'}")
    if state_db is not None:
        config = root / "clausewise.toml"
        config.write_text(re.sub(r"(?m)^state_db = .*$", f'state_db = "{state_db}"', config.read_text("utf-8")))
    command = str(Path(sys.executable).parent / "clausewise")
    return run_child([command, "customers", "import", str(data), "--quiet", "--repo", str(root)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", help="an existing server's maintenance database, postgresql://user@host:port/db")
    parser.add_argument("--server-pid", type=int, help="with --url on this machine: the postmaster's pid, to count "
                                                       "the server's CPU too (the first line of DATA/postmaster.pid)")
    args = parser.parse_args()
    peaks = {}
    with tempfile.TemporaryDirectory(prefix="clausewise-bench-pg-") as tmp, server(args.url) as (admin, kind, postmaster):
        postmaster = args.server_pid or postmaster
        work = Path(tmp)
        print(f"PostgreSQL: {kind}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for rows in (max(args.rows // 10, 1), args.rows):
            data = work / f"customers-{rows}.csv"
            make_csv(data, rows)
            name = f"clausewise_bench_{os.getpid()}_{rows}"
            try:
                url = fresh_database(admin, name)
                before = server_cpu(postmaster)
                pg_seconds, pg_cpu, pg_peak = import_once(work, data, rows, url)
                time.sleep(0.5)  # the postmaster reaps the command's backend
                backend_cpu = server_cpu(postmaster) - before
            finally:
                drop_database(admin, name)
            sqlite_seconds, sqlite_cpu, sqlite_peak = import_once(work, data, rows, None)
            peaks[rows] = pg_peak
            print(f"{rows:>9,} rows  PostgreSQL (COPY): {pg_seconds:6.1f} s, {rows / pg_seconds:>8,.0f} rows/s, "
                  f"CPU {pg_cpu:5.1f} s"
                  + (f" + server {backend_cpu:4.1f} s" if postmaster else "") + f", peak RSS {pg_peak:5.1f} MB"
                  + (f", {pg_seconds / TARGET_SECONDS:.2f}x the {TARGET_SECONDS:.0f} s target" if rows == args.rows
                     else ""))
            print(f"{'':>9}       SQLite:            {sqlite_seconds:6.1f} s, {rows / sqlite_seconds:>8,.0f} rows/s, "
                  f"CPU {sqlite_cpu:5.1f} s, peak RSS {sqlite_peak:5.1f} MB; PostgreSQL takes {pg_seconds / sqlite_seconds:.2f}x SQLite's time")
    small, large = sorted(peaks)
    print(f"PostgreSQL peak RSS ratio {large:,} / {small:,} rows: {peaks[large] / peaks[small]:.2f}x (streaming: close to 1)")


if __name__ == "__main__":
    main()
