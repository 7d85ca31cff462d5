"""The tests' own PostgreSQL server (tests/pg_server.py): real, unprivileged, loopback only, one
fresh database per test."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from .pg_server import PASSWORD, PASSWORD_ROLE


def test_server_runs_unprivileged_on_loopback(postgres_server, postgres_url: str) -> None:
    status = Path(f"/proc/{postgres_server._process.pid}/status").read_text()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert uid != 0 and (os.geteuid() != 0 or uid == 65534)
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert connection.execute("SELECT current_database()").fetchone()[0] in postgres_url


@pytest.mark.parametrize("step", [1, 2])
def test_each_test_gets_an_empty_database(postgres_url: str, step: int) -> None:
    with psycopg.connect(postgres_url) as connection:
        tables = connection.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        assert tables == 0  # the table the other step made is not here
        connection.execute(f"CREATE TABLE left_by_step_{step} (n INTEGER)")


def test_password_role_needs_its_password(postgres_server, postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    role_url = postgres_server.url(database, user=PASSWORD_ROLE)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(role_url, password="wrong").close()
    with psycopg.connect(role_url, password=PASSWORD) as connection:
        assert connection.execute("SELECT current_user").fetchone() == (PASSWORD_ROLE,)
