"""`state copy`: a SQLite state moved to a real PostgreSQL server in one transaction, verified by
counts and digests, refusing what it must, and never leaving half a copy."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.statecopy import copy_state
from clausewise.notifier.statedb import PostgresUrl
from clausewise.notifier.store import Bounce, PublicationRecord, Store, open_store
from clausewise.notifier.tabledigest import DigestBuilder

from .conftest import customer, make_campaign

pytestmark = pytest.mark.sqlite_only  # the source is a SQLite state; the target, the test server

SENT_AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
RELEASED_SCHEMA_1 = Path(__file__).parent / "data" / "state-schema-1.sql"


def migrated(url: str) -> str:
    """``url`` with the current schema and no rows (what `state migrate` makes of an empty database)."""
    open_store(PostgresUrl(url)).close()
    return url


def populated_state(path: Path, customers: int = 40) -> Path:
    """A SQLite state with a row in every table: customers, two campaigns, a ledger with sent,
    failed, retried, cancelled and bounced notices, the journal, a bounce, a publication, a sender's
    lease and rate slots."""
    store = open_store(path)
    try:
        store.upsert_customers([customer(f"C{n:03d}", name="王小明" if n % 3 else "Ann \\ O'Neil") for n in range(customers)])
        store.create_campaign(make_campaign())
        store.create_campaign(make_campaign("trial-en/assignment-2030-01-31", kind="assignment", new_party="Acme"))
        store.record_publication(PublicationRecord("trial-en", 2, "trial-en/v2", "ab" * 20, "cd" * 32,
                                                   "trial-en/v2", "campaign"))
        store.sync_notices()
        notices = store.claim_batch("host:1:1", 6)
        for notice in notices[:3]:
            store.record_sent(notice.campaign_id, notice.customer_id, message_id=f"<{notice.customer_id}.x@ex>",
                              sha256="ab" * 32, reply="250 OK", sent_at=SENT_AT, date_header=notice.date_header,
                              timing="on time")
        store.record_failed(notices[3].campaign_id, notices[3].customer_id, reply="550 no such user")
        store.record_retry(notices[4].campaign_id, notices[4].customer_id, error="421 try later")
        store.release("host:1:1")
        store.record_bounce(Bounce(dsn_id="<dsn1@ex>", recipient=notices[0].email, action="failed",
                                   status="5.1.1", diagnostic="smtp; 550 gone", arrived_at=SENT_AT,
                                   message_id=notices[0].message_id, verp_token=None))
        store.remove_customer("C039", "left")
        # A sender's lease, a connection it holds, and the relay's and a domain's rate slots.
        store.register_sender("0123abcd" * 4, host="host", pid=1, process="host:1:1", relay="smtp://relay.test:587",
                              campaign_id=None, lease_until=SENT_AT)
        store.take_connection("0123abcd" * 4, "smtp://relay.test:587", None)
        store.take_slot({"relay smtp://relay.test:587": 0.05, "domain example.com": 36.0})
    finally:
        store.close()
    return path


def sqlite_tables(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names if n != "schema_version"}


def target_rows(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        names = [n for (n,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        return {n: connection.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]
                for n in names if n != "schema_version"}


def test_every_table_is_copied_and_verified_by_counts_and_digests(tmp_path: Path, postgres_url: str) -> None:
    source = populated_state(tmp_path / "state.sqlite3")
    counts = sqlite_tables(source)
    assert all(counts.values()), counts  # the state really has a row in every table
    with psycopg.connect(migrated(postgres_url)) as target:
        copied = copy_state(source, target)
    assert {c.source.table: c.source.rows for c in copied} == counts
    assert all(c.source == c.target for c in copied)
    assert target_rows(postgres_url) == counts
    with sqlite3.connect(source) as db, psycopg.connect(postgres_url) as target:
        for table in counts:  # the digests are of the rows as each side holds them
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            listed = ", ".join(columns)
            mine = DigestBuilder(table).add_all(db.execute(f"SELECT {listed} FROM {table}")).result()
            theirs = DigestBuilder(table).add_all(target.execute(f"SELECT {listed} FROM {table}")).result()
            assert mine == theirs == next(c.source for c in copied if c.source.table == table)
        journal = target.execute("SELECT event FROM events WHERE customer_id = 'C039'").fetchall()
        assert ("customer removed",) in journal


def test_a_target_that_holds_state_is_refused_unless_replace(tmp_path: Path, postgres_url: str) -> None:
    source = populated_state(tmp_path / "state.sqlite3")
    other = populated_state(tmp_path / "other.sqlite3", customers=10)
    with psycopg.connect(migrated(postgres_url)) as target:
        copy_state(other, target)
        with pytest.raises(ClausewiseError, match=r"already holds clausewise state \(.*customers: 10 rows.*--replace"):
            copy_state(source, target)
        assert target_rows(postgres_url)["customers"] == 10  # untouched
        copied = copy_state(source, target, replace=True)
    assert all(c.agrees for c in copied)
    assert target_rows(postgres_url) == sqlite_tables(source)


def test_an_older_source_schema_is_refused_with_the_command_that_upgrades_it(tmp_path: Path,
                                                                              postgres_url: str) -> None:
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as raw:
        raw.executescript(RELEASED_SCHEMA_1.read_text("utf-8"))
        raw.execute("INSERT INTO schema_version (version) VALUES (1)")
    with psycopg.connect(migrated(postgres_url)) as target:
        with pytest.raises(ClausewiseError, match=r"schema 1, .*run 'clausewise state migrate' first"):
            copy_state(old, target)
    assert not any(target_rows(postgres_url).values())


def test_a_copy_that_does_not_read_back_as_written_commits_nothing(tmp_path: Path, postgres_url: str) -> None:
    source = populated_state(tmp_path / "state.sqlite3")
    migrated(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # a target that alters what it is given
        admin.execute("""CREATE FUNCTION shout() RETURNS trigger AS $$
                         BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$ LANGUAGE plpgsql""")
        admin.execute("CREATE TRIGGER shout BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION shout()")
    with psycopg.connect(postgres_url) as target:
        with pytest.raises(ClausewiseError, match=r"does not match the source \(customers: 39 rows written, 39 read "
                                                  r"back, different content\); nothing was copied"):
            copy_state(source, target)
    assert not any(target_rows(postgres_url).values())


def test_a_row_the_target_refuses_rolls_back_every_table(tmp_path: Path, postgres_url: str) -> None:
    source = populated_state(tmp_path / "state.sqlite3")
    migrated(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("ALTER TABLE notices ADD CHECK (email NOT LIKE 'c005@%')")
    with psycopg.connect(postgres_url) as target:
        with pytest.raises(ClausewiseError, match=r"table notices cannot be written to the target .*nothing was copied"):
            copy_state(source, target)
    assert not any(target_rows(postgres_url).values())  # customers and campaigns went in first, and are gone


def test_a_source_that_is_not_a_state_database_is_refused(tmp_path: Path, postgres_url: str) -> None:
    with psycopg.connect(migrated(postgres_url)) as target:
        with pytest.raises(ClausewiseError, match="no state database there"):
            copy_state(tmp_path / "missing.sqlite3", target)
        sqlite3.connect(tmp_path / "empty.sqlite3").close()
        with pytest.raises(ClausewiseError, match="not a clausewise state database"):
            copy_state(tmp_path / "empty.sqlite3", target)


def test_the_source_is_read_only(tmp_path: Path, postgres_url: str) -> None:
    source = populated_state(tmp_path / "state.sqlite3")
    before = source.read_bytes()
    with psycopg.connect(migrated(postgres_url)) as target:
        copy_state(source, target)
    assert source.read_bytes() == before
    assert isinstance(open_store(source), Store)


# --- the command -----------------------------------------------------------------------------------

CLI = [sys.executable, "-c", "from clausewise.cli import main; main()"]


def cli(root: Path, *args: str, kill_at: str | None = None, password: str | None = None
        ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUSEWISE_KILL_AT", "CLAUSEWISE_STATE_PASSWORD")}
    if kill_at:
        env["CLAUSEWISE_KILL_AT"] = kill_at
    if password is not None:
        env["CLAUSEWISE_STATE_PASSWORD"] = password
    return subprocess.run([*CLI, *args, "--repo", str(root)], capture_output=True, text=True, env=env, timeout=300)


def use_state(root: Path, state_db: str) -> None:
    config = root / "clausewise.toml"
    config.write_text(re.sub(r"(?m)^state_db = .*$", f'state_db = "{state_db}"', config.read_text("utf-8")), "utf-8")


@pytest.fixture
def sqlite_repo(legal_repo) -> Path:
    """``legal_repo`` whose SQLite state has a row in every table."""
    root = Path(legal_repo.root)
    populated_state(root / ".clausewise" / "state.sqlite3")
    return root


def test_the_command_copies_reports_and_the_copy_serves_the_same_proof(sqlite_repo: Path, postgres_url: str) -> None:
    before = cli(sqlite_repo, "notify", "report", "--format", "json")
    assert before.returncode == 0, before.stderr
    copied = cli(sqlite_repo, "state", "copy", "--to", postgres_url)
    assert copied.returncode == 0, copied.stderr
    counts = sqlite_tables(sqlite_repo / ".clausewise" / "state.sqlite3")
    for table, rows in counts.items():
        assert re.search(rf"(?m)^  {table} +{rows:,} +[0-9a-f]{{64}}$", copied.stdout), copied.stdout
    assert f'set state_db = "{postgres_url}"' in copied.stdout
    as_json = json.loads(cli(sqlite_repo, "state", "copy", "--to", postgres_url, "--replace", "--format", "json").stdout)
    assert as_json["verified"] is True
    assert {t["table"]: t["target_rows"] for t in as_json["tables"]} == counts
    assert all(t["source_sha256"] == t["target_sha256"] for t in as_json["tables"])
    use_state(sqlite_repo, postgres_url)
    after = cli(sqlite_repo, "notify", "report", "--format", "json")
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout  # the proof of notice reads the same from PostgreSQL
    again = cli(sqlite_repo, "state", "copy", "--to", postgres_url)
    assert again.returncode == 1 and "state_db is already PostgreSQL" in again.stderr


@pytest.mark.parametrize("step", ["state-copy-table", "state-copy-verified"])
def test_a_copy_killed_midway_leaves_the_target_empty_and_a_rerun_completes(sqlite_repo: Path, postgres_url: str,
                                                                            step: str) -> None:
    killed = cli(sqlite_repo, "state", "copy", "--to", postgres_url, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    assert not any(target_rows(postgres_url).values())  # the schema at most, not one row
    done = cli(sqlite_repo, "state", "copy", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    assert target_rows(postgres_url) == sqlite_tables(sqlite_repo / ".clausewise" / "state.sqlite3")


def test_an_old_source_is_refused_before_the_target_is_touched(legal_repo, postgres_url: str) -> None:
    root = Path(legal_repo.root)
    (root / ".clausewise").mkdir(exist_ok=True)
    with sqlite3.connect(root / ".clausewise" / "state.sqlite3") as raw:
        raw.executescript(RELEASED_SCHEMA_1.read_text("utf-8"))
        raw.execute("INSERT INTO schema_version (version) VALUES (1)")
    result = cli(root, "state", "copy", "--to", postgres_url)
    assert result.returncode == 1
    assert "has schema 1" in result.stderr and "run 'clausewise state migrate' first" in result.stderr
    assert target_rows(postgres_url) == {}  # not even the schema


def test_the_password_comes_from_the_environment_or_secrets_and_is_never_shown(sqlite_repo: Path,
                                                                               postgres_server) -> None:
    from ..pg_server import PASSWORD, PASSWORD_ROLE

    name = postgres_server.new_database(owner=PASSWORD_ROLE)
    try:
        url = postgres_server.url(name, user=PASSWORD_ROLE)
        missing = cli(sqlite_repo, "state", "copy", "--to", url)
        wrong = cli(sqlite_repo, "state", "copy", "--to", url, password="not-" + PASSWORD)
        for refused in (missing, wrong):
            assert refused.returncode == 1 and "CLAUSEWISE_STATE_PASSWORD" in refused.stderr, refused.stderr
        assert "not-" not in wrong.stderr + wrong.stdout
        in_url = cli(sqlite_repo, "state", "copy", "--to", url.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:{PASSWORD}@"))
        assert in_url.returncode == 2 and "contains a password" in in_url.stderr
        assert PASSWORD not in in_url.stderr + in_url.stdout
        copied = cli(sqlite_repo, "state", "copy", "--to", url, password=PASSWORD)
        assert copied.returncode == 0, copied.stderr
        (sqlite_repo / ".clausewise" / "secrets.toml").write_text(f'state_password = "{PASSWORD}"\n', "utf-8")
        from_secrets = cli(sqlite_repo, "state", "copy", "--to", url, "--replace", "--format", "json")
        assert from_secrets.returncode == 0, from_secrets.stderr
        for result in (missing, wrong, copied, from_secrets):
            assert PASSWORD not in result.stdout + result.stderr
    finally:
        postgres_server.drop_database(name)


def test_a_target_that_is_not_postgresql_is_a_usage_error(sqlite_repo: Path) -> None:
    result = cli(sqlite_repo, "state", "copy", "--to", "/tmp/other.sqlite3")
    assert result.returncode == 2 and "postgresql://user@host:port/database" in result.stderr
