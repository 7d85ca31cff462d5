"""state_db: SQLite paths and PostgreSQL URLs, the password kept out of the config and out of every
message, one clear line when the server cannot be used, and `clausewise state migrate` on both back
ends (a real PostgreSQL server: tests/pg_server.py)."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.statedb import PostgresDatabase, PostgresUrl, parse_state_db, to_postgres
from clausewise.notifier.store import _MIGRATIONS, SCHEMA_VERSION, open_store
from clausewise.versions import init_repo

from ..pg_server import PASSWORD, PASSWORD_ROLE
from ..state_backends import config_with_state_db
from .conftest import customer, make_campaign

pytestmark = pytest.mark.both_states


def test_state_db_values(tmp_path: Path) -> None:
    assert parse_state_db(".clausewise/state.sqlite3", tmp_path) == tmp_path / ".clausewise/state.sqlite3"
    assert parse_state_db("sqlite:state/x.db", tmp_path) == tmp_path / "state/x.db"
    assert parse_state_db("sqlite:///var/lib/x.db", tmp_path) == Path("/var/lib/x.db")
    assert parse_state_db("/abs/x.db", tmp_path) == Path("/abs/x.db")
    url = parse_state_db("postgresql://legal@db.internal:5432/clausewise", tmp_path)
    assert url == PostgresUrl("postgresql://legal@db.internal:5432/clausewise") and url.database == "clausewise"
    for bad, expected in (("mysql://h/db", "unsupported kind of database"), ("", "state_db is empty"),
                          ("postgresql://u@h:5432/", "names no database"),
                          ("postgresql://u@h:port/db", "not a valid PostgreSQL URL")):
        with pytest.raises(ClausewiseError, match=expected):
            parse_state_db(bad, tmp_path)


@pytest.mark.parametrize("value", ["postgresql://legal:Hunter2%40x@db:5432/c", "postgres://legal:Hunter2@x@db/c",
                                   "postgresql://legal@db/c?sslmode=require&password=Hunter2"])
def test_a_password_in_state_db_is_refused_without_showing_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(ClausewiseError) as refused:
        parse_state_db(value, tmp_path)
    message = str(refused.value)
    assert "contains a password" in message and "CLAUSEWISE_STATE_PASSWORD" in message
    assert "Hunter2" not in message and "%40" not in message


def test_sql_is_translated_once_for_psycopg() -> None:
    assert to_postgres("SELECT a FROM t WHERE b = ? AND c LIKE 'x%' AND d = '?' AND e <> ?") == \
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%' AND d = '?' AND e <> %s"
    assert to_postgres("SELECT 100 % ?") == "SELECT 100 %% %s"


def _repo_with_state_db(tmp_path: Path, state_db: str):
    config_with_state_db(tmp_path / "legal", state_db)
    return init_repo(tmp_path / "legal")


def _cli(repo, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [*args, "--repo", str(repo.root)], env=env)


def _one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


@pytest.fixture
def password_url(postgres_server) -> str:
    """A fresh database owned by the role that must give a password: its URL (without the password)."""
    name = postgres_server.new_database(owner=PASSWORD_ROLE)
    yield postgres_server.url(name, user=PASSWORD_ROLE)
    postgres_server.drop_database(name)


def test_wrong_or_missing_password_names_state_db_and_never_shows_the_password(postgres_server, password_url,
                                                                             tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    url = password_url
    repo = _repo_with_state_db(tmp_path, url)
    missing = _one_error_line(_cli(repo, "state", "migrate"))
    assert f"state_db {url}: cannot connect" in missing and "password is wrong or missing" in missing
    wrong = "Wrong-pässword-42"
    for env in ({"CLAUSEWISE_STATE_PASSWORD": wrong}, {"PGPASSWORD": wrong}):
        refused = _cli(repo, "customers", "list", env=env)
        line = _one_error_line(refused)
        assert "password authentication failed" in line and "CLAUSEWISE_STATE_PASSWORD" in line
        assert wrong not in refused.output
    server_log = (postgres_server.folder / "server.log").read_text("utf-8", "replace")
    assert "password authentication failed" in server_log  # the server logged the refusals ...
    assert wrong not in server_log and wrong not in caplog.text  # ... and nothing logged the password


def test_password_from_the_environment_or_the_secrets_file(password_url, tmp_path: Path) -> None:
    url = password_url
    repo = _repo_with_state_db(tmp_path, url)
    for env in ({"CLAUSEWISE_STATE_PASSWORD": PASSWORD}, {"PGPASSWORD": PASSWORD}):
        result = _cli(repo, "customers", "list", env=env)
        assert result.exit_code == 0 and result.output.startswith("CUSTOMER ") and PASSWORD not in result.output
    secrets = repo.root / ".clausewise" / "secrets.toml"
    secrets.parent.mkdir(exist_ok=True)
    secrets.write_text(f'state_password = "{PASSWORD}"\n', "utf-8")
    migrated = _cli(repo, "state", "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert migrated.output == f"{url}: schema {SCHEMA_VERSION}, up to date\n"  # customers list created it
    assert PASSWORD not in migrated.output
    status = subprocess.run(["git", "-C", str(repo.root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""  # the secrets file is git-ignored


def test_server_down_and_database_missing_give_one_line_each(postgres_server, tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there
    down = _repo_with_state_db(tmp_path / "a", f"postgresql://clausewise@127.0.0.1:{port}/clausewise")
    line = _one_error_line(_cli(down, "notify", "status"))
    assert f"state_db postgresql://clausewise@127.0.0.1:{port}/clausewise: cannot connect" in line
    assert "start the PostgreSQL server or correct the host and port" in line
    absent = postgres_server.url("no_such_db")
    missing = _repo_with_state_db(tmp_path / "b", absent)
    line = _one_error_line(_cli(missing, "customers", "list"))
    assert f"state_db {absent}: cannot connect" in line and "create the database (createdb no_such_db" in line


def test_a_user_who_cannot_create_the_tables_is_told_so(postgres_server, postgres_url, tmp_path: Path) -> None:
    url = postgres_server.url(postgres_url.rsplit("/", 1)[1], user=PASSWORD_ROLE)  # not the database's owner
    repo = _repo_with_state_db(tmp_path, url)
    line = _one_error_line(_cli(repo, "state", "migrate", env={"CLAUSEWISE_STATE_PASSWORD": PASSWORD}))
    assert f"state_db {url}: not a usable state database (permission denied" in line
    assert "GRANT CREATE ON SCHEMA public" in line and PASSWORD not in line


def test_state_migrate_on_a_new_then_current_database(state_backend: str, repo_state_db, tmp_path: Path):
    state_db = repo_state_db or str(tmp_path / "new" / "state.sqlite3")
    repo = _repo_with_state_db(tmp_path, state_db)
    first = _cli(repo, "state", "migrate", "--format", "json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"state_db": state_db, "from_version": 0, "to_version": SCHEMA_VERSION}
    again = _cli(repo, "state", "migrate")
    assert again.output == f"{state_db}: schema {SCHEMA_VERSION}, up to date\n"
    with open_store(state_db) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.backend == state_backend


def test_an_older_postgresql_database_upgrades_in_place_and_keeps_its_ledger(postgres_url, tmp_path) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as raw:  # schema 1, as an older clausewise made it
        for statement in _MIGRATIONS[0]:
            raw.execute(PostgresDatabase.ddl(statement))
        raw.execute("INSERT INTO schema_version (version) VALUES (1)")
        campaign = make_campaign()
        raw.execute("INSERT INTO campaigns VALUES (%s, %s, %s, 'v1', 2, '2030-01-31', 30, '2030-01-01', "
                    "'2029-12-01T09:30:00.000000Z', 's', '9.3', 't', NULL, NULL)",
                    (campaign.id, campaign.kind, campaign.agreement))
        raw.execute("INSERT INTO customers VALUES ('C1', 'trial-en', 'Ann', 'c1@example.com', 'en', 1, 'x', 'x')")
        raw.execute("""INSERT INTO notices (campaign_id, customer_id, agreement, name, email, language,
                       accepted_version, status, attempts, created_at, message_id, sha256, reply, sent_at)
                       VALUES (%s, 'C1', 'trial-en', 'Ann', 'c1@example.com', 'en', 1, 'sent', 1, 'x', '<m@x>',
                       'ab', '250 ok', '2029-12-02T00:00:00.000000Z')""", (campaign.id,))
    repo = _repo_with_state_db(tmp_path, postgres_url)
    migrated = _cli(repo, "state", "migrate")
    assert migrated.output == f"{postgres_url}: schema 1 -> {SCHEMA_VERSION}\n", migrated.output
    with open_store(postgres_url) as store:
        [notice] = list(store.notices())
        assert (notice.status, notice.message_id, notice.timing) == ("sent", "<m@x>", None)
        store.upsert_customers([customer("C2")])
        store.sync_notices()
        assert store.totals()[campaign.id]["pending"] == 1
        assert store.events(campaign.id) == []  # the journal, added by schema 2, exists
    with psycopg.connect(postgres_url) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_dry_run_publish_creates_no_schema_in_an_empty_postgresql_database(postgres_url, tmp_path: Path) -> None:
    repo = _repo_with_state_db(tmp_path, postgres_url)
    repo.add("trial", "# Trial\n\n## 1. Fees\n\n1.1 Free for thirty days.\n", title="Trial", language="en",
             kind="trial")
    result = _cli(repo, "publish", "trial", "--effective", "2099-01-01", "-m", "First", "--dry-run")
    assert result.exit_code == 0, result.output
    with psycopg.connect(postgres_url) as raw:
        assert raw.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_processes_opening_a_new_postgresql_database_at_once_migrate_it_once(postgres_url) -> None:
    problems: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_store(postgres_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            problems.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    with psycopg.connect(postgres_url) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_newer_postgresql_schema_is_refused(postgres_url) -> None:
    open_store(postgres_url).close()
    with psycopg.connect(postgres_url) as raw:
        raw.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(ClausewiseError, match=f"schema {SCHEMA_VERSION + 1} is newer than this clausewise"):
        open_store(postgres_url)


def test_text_is_ordered_byte_by_byte_on_both_back_ends(store) -> None:
    ids = ["b", "B", "a", "Z", "é", "_x", "10", "9", "中"]
    store.upsert_customers([customer(i) for i in ids])
    assert [c.customer_id for c in store.customers()] == sorted(ids)  # Python's order = UTF-8 byte order


def test_a_connection_lost_during_a_command_is_one_line(postgres_server, postgres_url) -> None:
    from clausewise.errors import translate_fault

    store = open_store(postgres_url)
    try:
        postgres_server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{postgres_url.rsplit('/', 1)[1]}' AND pid <> pg_backend_pid()")
        with pytest.raises(psycopg.OperationalError) as lost:
            store.totals()
    finally:
        store.close()
    message = str(translate_fault(lost.value))
    assert message.startswith("the PostgreSQL state database (state_db in clausewise.toml): ")
    assert message.endswith("check that the server runs and can be reached, then run the command again")
    assert "\n" not in message
