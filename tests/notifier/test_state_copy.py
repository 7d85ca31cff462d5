"""`state copy`: a SQLite state moved to a real PostgreSQL server in one transaction, verified by
counts and digests, refusing what it must, and never leaving half a copy."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.statecopy import copy_state
from clausewise.notifier.store import Bounce, PublicationRecord, Store, open_store
from clausewise.notifier.tabledigest import DigestBuilder

from .conftest import customer, make_campaign

SENT_AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
RELEASED_SCHEMA_1 = Path(__file__).parent / "data" / "state-schema-1.sql"


def migrated(url: str) -> str:
    """``url`` with the current schema and no rows (what `state migrate` makes of an empty database)."""
    from clausewise.notifier.store import _MIGRATIONS

    with psycopg.connect(url, autocommit=True) as connection:
        for steps in _MIGRATIONS:
            for statement in steps:
                connection.execute(statement)
    return url


def populated_state(path: Path, customers: int = 40) -> Path:
    """A SQLite state with a row in every table: customers, two campaigns, a ledger with sent,
    failed, retried, cancelled and bounced notices, the journal, a bounce and a publication."""
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
