"""The state store: customers, notice campaigns and the notice ledger, in SQLite or PostgreSQL.

Everything the notifier keeps goes through this module, in one set of SQL that both back ends
accept (``INSERT ... ON CONFLICT ... DO UPDATE``, ``UPDATE ... FROM``, ``RETURNING``, row values,
TEXT ISO-8601 UTC timestamps), written with SQLite's ``?`` parameters; statedb.py holds the
connections and the few differences (PostgreSQL's parameter style, ``FOR UPDATE SKIP LOCKED`` on
the claim, where the schema version is kept).

The ledger has one row per (campaign, customer). A notice moves ``pending`` -> ``sending``
(claimed by one worker) -> ``sent`` | ``failed`` | ``pending`` again (a retryable error); a
``failed`` notice goes back to ``pending`` when retried or when its customer's address changes;
``cancelled`` ends a notice that was never sent (its campaign was cancelled or its customer left).
A notice recorded ``sent`` is never claimed again. Every attempt, retry, cancellation, removal and
bounce is also written to the ``events`` journal.

The schema is versioned (SQLite: ``user_version``; PostgreSQL: the ``schema_version`` table):
``_MIGRATIONS[n - 1]`` takes a database from version n-1 to n on both back ends, all pending steps
in one transaction, on open or by ``clausewise state migrate``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..config import STATE_PASSWORD_ENV, state_password
from ..errors import ClausewiseError, UsageProblem
from ..fileutil import create_private_file
from . import ratelimit
from .schedule import NoticeTiming
from .statedb import (PostgresDatabase, PostgresUrl, SqliteDatabase, StateLocation, connect_postgres, connect_sqlite,
                      database_errors, parse_state_db)

if TYPE_CHECKING:
    from ..versions import AgreementRepo

STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
# last_error of a notice whose sender died while it was in the DATA phase: a resend may be a duplicate.
INTERRUPTED = "interrupted while sending (its sender stopped): the server may already have it"
# last_error of a notice claimed by a sender that died before it started the message's DATA.
UNSTARTED = "claimed by a sender that stopped before sending it"
NoticeStatus = Literal["pending", "sending", "sent", "failed", "cancelled"]
CampaignKind = Literal["version", "assignment"]

# Version 1: the first schema (it also kept its number in a schema_version table).
_SCHEMA_V1 = [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS customers (
        customer_id TEXT NOT NULL,
        agreement TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        language TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (customer_id, agreement))""",
    "CREATE INDEX IF NOT EXISTS customers_agreement ON customers (agreement, version)",
    """CREATE TABLE IF NOT EXISTS campaigns (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('version', 'assignment')),
        agreement TEXT NOT NULL,
        from_versions TEXT,
        to_version INTEGER NOT NULL,
        effective TEXT NOT NULL,
        notice_days INTEGER NOT NULL,
        send_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        clause_label TEXT,
        clause_text TEXT,
        new_party TEXT,
        short_notice_reason TEXT)""",
    """CREATE TABLE IF NOT EXISTS notices (
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        customer_id TEXT NOT NULL,
        agreement TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        language TEXT NOT NULL,
        accepted_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at TEXT,
        created_at TEXT NOT NULL,
        message_id TEXT,
        sha256 TEXT,
        reply TEXT,
        sent_at TEXT,
        date_header TEXT,
        last_error TEXT,
        PRIMARY KEY (campaign_id, customer_id))""",
    "CREATE INDEX IF NOT EXISTS notices_status ON notices (status, campaign_id, customer_id)",
    "CREATE INDEX IF NOT EXISTS notices_customer ON notices (customer_id)",
]

_EVENT_COLUMNS = """
        at TEXT NOT NULL,
        campaign_id TEXT,
        customer_id TEXT,
        event TEXT NOT NULL,
        detail TEXT"""

# Version 2: the ledger records timing, the DATA phase, bounces and cancellations; an events journal.
# The notices table is rebuilt because its status CHECK gains 'cancelled'.
_SCHEMA_V2 = [
    "ALTER TABLE campaigns ADD COLUMN cancelled_at TEXT",
    "ALTER TABLE campaigns ADD COLUMN cancel_reason TEXT",
    """CREATE TABLE notices_v2 (
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        customer_id TEXT NOT NULL,
        agreement TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        language TEXT NOT NULL,
        accepted_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at TEXT,
        created_at TEXT NOT NULL,
        message_id TEXT,
        sha256 TEXT,
        reply TEXT,
        sent_at TEXT,
        date_header TEXT,
        last_error TEXT,
        data_started_at TEXT,
        timing TEXT CHECK (timing IN ('on time', 'late', 'after effective')),
        after_effective_reason TEXT,
        bounced_at TEXT,
        bounce TEXT,
        cancelled_at TEXT,
        cancel_reason TEXT,
        PRIMARY KEY (campaign_id, customer_id))""",
    """INSERT INTO notices_v2 (campaign_id, customer_id, agreement, name, email, language, accepted_version,
                              status, attempts, claimed_by, claimed_at, created_at, message_id, sha256, reply,
                              sent_at, date_header, last_error)
       SELECT campaign_id, customer_id, agreement, name, email, language, accepted_version, status, attempts,
              claimed_by, claimed_at, created_at, message_id, sha256, reply, sent_at, date_header, last_error
       FROM notices""",
    "DROP TABLE notices",
    "ALTER TABLE notices_v2 RENAME TO notices",
    "CREATE INDEX notices_status ON notices (status, campaign_id, customer_id)",
    "CREATE INDEX notices_customer ON notices (customer_id)",
    "CREATE INDEX notices_message_id ON notices (message_id)",
    # The journal is read in the order it was written: SQLite's rowid, a PostgreSQL identity column.
    {"sqlite": f"CREATE TABLE events ({_EVENT_COLUMNS})",
     "postgresql": f"CREATE TABLE events (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {_EVENT_COLUMNS})"},
    "CREATE INDEX events_notice ON events (campaign_id, customer_id)",
    """CREATE TABLE bounces (
        dsn_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        campaign_id TEXT,
        customer_id TEXT,
        action TEXT NOT NULL,
        status TEXT,
        diagnostic TEXT,
        arrived_at TEXT,
        collected_at TEXT NOT NULL,
        PRIMARY KEY (dsn_id, recipient))""",
]

# Version 3: one row per published version, written in the same transaction as its campaign: the
# commit and the SHA-256 of the published file, kept outside git so a rewritten history shows.
# (IF NOT EXISTS: development builds created this table in schema 1 or 2.)
_SCHEMA_V3 = [
    """CREATE TABLE IF NOT EXISTS publications (
        agreement TEXT NOT NULL,
        version INTEGER NOT NULL,
        tag TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        campaign_id TEXT,
        decision TEXT NOT NULL CHECK (decision IN ('campaign', 'first', 'typographic')),
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (agreement, version))""",
]

# Version 4: several senders. Each running sender holds a lease (senders), renewed while it works;
# the notices it claimed go back to the others when the lease expires. A notice waiting for its
# recipient domain's cap has a not_before; the relays' and domains' paces are shared (rate_slots).
_SCHEMA_V4 = [
    "ALTER TABLE notices ADD COLUMN not_before TEXT",
    """CREATE TABLE senders (
        worker_id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        process TEXT NOT NULL,
        relay TEXT NOT NULL,
        campaign_id TEXT,
        started_at TEXT NOT NULL,
        renewed_at TEXT NOT NULL,
        lease_until TEXT NOT NULL,
        connections INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0,
        waiting INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE rate_slots (
        key TEXT PRIMARY KEY,
        tat DOUBLE PRECISION NOT NULL)""",
]

# Claims and reclaims read only what is left to hand out, in the claim's order: without these a claim
# steps over every notice already sent (docs/architecture.md, "Scale on paper").
_SCHEMA_V5 = [
    "CREATE INDEX IF NOT EXISTS notices_pending ON notices (campaign_id, customer_id) WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS notices_sending ON notices (campaign_id, customer_id) WHERE status = 'sending'",
]

# _MIGRATIONS[n - 1] takes the database from version n - 1 to n; SCHEMA_VERSION is the newest. A step
# is a statement for both back ends (PostgreSQL's text columns get COLLATE "C": statedb.ddl) or a
# {"sqlite": ..., "postgresql": ...} pair where they cannot share one.
_MIGRATIONS: list[list[str | dict[str, str]]] = [_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3, _SCHEMA_V4, _SCHEMA_V5]
SCHEMA_VERSION = len(_MIGRATIONS)


class LeaseLost(ClausewiseError):
    """A sender's lease is gone: it expired and another sender took the notices it held."""


@dataclass(frozen=True)
class Migration:
    """What ``migrate_state`` did: the schema version found and the one left."""

    database: str  # state_db as shown (a path, or a PostgreSQL URL without password)
    from_version: int
    to_version: int


@dataclass(frozen=True)
class CustomerRow:
    """One customer on one agreement, as imported."""

    customer_id: str
    name: str
    email: str
    language: str  # a template language: "en" or "zh-CN"
    agreement: str
    version: int  # the version the customer accepted


@dataclass(frozen=True)
class Customer(CustomerRow):
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ImportCounts:
    rows: int  # distinct (customer, agreement) rows in the file
    new: int
    changed: int

    @property
    def unchanged(self) -> int:
        return self.rows - self.new - self.changed


@dataclass(frozen=True)
class Campaign:
    id: str  # "trial-en/v2", "trial-en/assignment-2026-12-01"
    kind: CampaignKind
    agreement: str
    from_versions: str | None  # "v1", "v1-v3"; None for an assignment
    to_version: int
    effective: date
    notice_days: int
    send_by: date
    created_at: datetime
    summary: str
    clause_label: str | None  # the clause that requires (or allows) this notice
    clause_text: str | None
    new_party: str | None  # the assignee, for an assignment
    short_notice_reason: str | None = None
    cancelled_at: datetime | None = None  # set by cancel_campaign
    cancel_reason: str | None = None


@dataclass(frozen=True)
class PublicationRecord:
    """The ledger's record of one published version (see campaigns.reconcile_publications)."""

    agreement: str
    version: int
    tag: str
    commit: str
    text_sha256: str
    campaign_id: str | None
    decision: Literal["campaign", "first", "typographic"]  # why it has a campaign or none


@dataclass(frozen=True)
class Notice:
    """One ledger row: what one customer gets (or got) for one campaign."""

    campaign_id: str
    customer_id: str
    agreement: str
    name: str
    email: str
    language: str
    accepted_version: int
    status: NoticeStatus
    attempts: int
    message_id: str | None
    sha256: str | None
    reply: str | None
    sent_at: datetime | None
    date_header: str | None
    last_error: str | None
    timing: NoticeTiming | None = None  # set when sent: against the campaign's send-by and effective dates
    after_effective_reason: str | None = None  # why it was sent on or after the effective date
    data_started_at: datetime | None = None  # the sender began the message's DATA (the server may have it)
    bounced_at: datetime | None = None  # a delivery status notification said it failed after the 250
    bounce: str | None = None  # that DSN's status and diagnostic
    cancel_reason: str | None = None  # why a notice was cancelled (campaign cancelled, customer removed)


@dataclass(frozen=True)
class Bounce:
    """One recipient's failure reported by a delivery status notification (RFC 3464)."""

    dsn_id: str  # the DSN's own Message-ID (or a hash of its bytes): collecting it again changes nothing
    recipient: str  # Final-Recipient (or Original-Recipient)
    action: str  # failed, delayed, ... (only 'failed' marks the notice bounced)
    status: str | None  # e.g. 5.1.1
    diagnostic: str | None  # e.g. smtp; 550 5.1.1 no such user
    arrived_at: datetime | None
    message_id: str | None  # the bounced notice's Message-ID, from the DSN's returned headers
    verp_token: str | None  # the token in a VERP return path (bounces+TOKEN@domain)
    original_recipient: str | None = None  # Original-Recipient, when the DSN gives it
    reports: int = 1  # recipient reports in the DSN


@dataclass(frozen=True)
class SenderRecord:
    """One running ``notify send`` as the ``senders`` table holds it: its lease and what it did."""

    worker_id: str  # a random uuid: never reused, on any host
    host: str
    pid: int
    process: str  # host:pid:start (see worker_id()), so a dead sender on this host is known at once
    relay: str  # the SMTP URL it sends through (never with a password)
    campaign_id: str | None  # None: every campaign
    started_at: datetime
    renewed_at: datetime
    lease_until: datetime  # after this, its claims go to the other senders
    connections: int  # SMTP connections it holds open
    sent: int  # notices it recorded sent (as of its last renewal)


@dataclass(frozen=True)
class BounceOutcome:
    matched: bool  # it names a notice of the ledger
    new: bool  # it was not collected before
    campaign_id: str | None = None
    customer_id: str | None = None


_NOTICE_COLUMNS = ("campaign_id, customer_id, agreement, name, email, language, accepted_version, status, "
                   "attempts, message_id, sha256, reply, sent_at, date_header, last_error, timing, "
                   "after_effective_reason, data_started_at, bounced_at, bounce, cancel_reason")
_CAMPAIGN_COLUMNS = ("id, kind, agreement, from_versions, to_version, effective, notice_days, send_by, "
                     "created_at, summary, clause_label, clause_text, new_party, short_notice_reason, "
                     "cancelled_at, cancel_reason")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_text(moment: datetime) -> str:
    """A timestamp as stored: ISO-8601 in UTC with a trailing Z (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _from_text(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def worker_id() -> str:
    """This process's worker id, ``host:pid:start`` (start = the process's start time)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_start(os.getpid())}"


def local_worker_alive(worker: str) -> bool:
    """Whether ``worker`` (``host:pid:start``) still runs; workers on other hosts count as alive."""
    host, _, rest = worker.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return _process_start(pid) == start


def _process_start(pid: int) -> str:
    """The kernel's start time of ``pid`` (clock ticks since boot), so a reused pid is told apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "0"
    return stat.rsplit(")", 1)[1].split()[19]


def open_store(location: str | os.PathLike[str] | PostgresUrl, *, password: str | None = None,
               migrate: bool = True) -> "Store":
    """Open the state database at ``location``: a SQLite path (the file, its folder and the schema are
    created if needed) or a PostgreSQL URL (``password`` defaults to $CLAUSEWISE_STATE_PASSWORD, then
    libpq's PGPASSWORD). An older schema is migrated unless ``migrate`` is False."""
    if isinstance(location, str):
        location = parse_state_db(location, Path.cwd())
    if isinstance(location, PostgresUrl):
        database: SqliteDatabase | PostgresDatabase = connect_postgres(
            location, password or os.environ.get(STATE_PASSWORD_ENV) or None)
    else:
        target = Path(location)
        try:
            create_private_file(target)  # customers' names and addresses: 0600 in a 0700 folder when new
            database = connect_sqlite(target)
        except (OSError, *database_errors()) as exc:
            raise ClausewiseError(f"{target}: cannot open the state database ({exc}); check the path "
                                  "('state_db' in clausewise.toml) and its permissions") from None
    store = Store(database)
    store._prepare(migrate)
    return store


def state_location(repo: AgreementRepo) -> StateLocation:
    """Where the state database of an agreements repository is (``state_db`` in its clausewise.toml)."""
    return parse_state_db(repo.config.state_db, Path(repo.root))


def state_exists(repo: AgreementRepo) -> bool:
    """Whether the repository has a state database yet (a PostgreSQL one always counts as there)."""
    location = state_location(repo)
    return isinstance(location, PostgresUrl) or location.exists()


def store_for_repo(repo: AgreementRepo, *, migrate: bool = True) -> "Store":
    """The state database of an agreements repository (``state_db`` in its clausewise.toml), with
    the repository's PostgreSQL password (environment, else its secrets file) when it has one."""
    location = state_location(repo)
    password = state_password(repo.root) if isinstance(location, PostgresUrl) else None
    return open_store(location, password=password, migrate=migrate)


def migrate_state(repo: AgreementRepo) -> Migration:
    """Bring the repository's state database to the newest schema (``clausewise state migrate``);
    running it again changes nothing."""
    with store_for_repo(repo, migrate=False) as store:
        before = store.schema_version()
        store.migrate()
        return Migration(store.name, before, store.schema_version())


class Store:
    """A connection to the state database. Use one Store per thread (or per asyncio loop)."""

    def __init__(self, database: SqliteDatabase | PostgresDatabase) -> None:
        self._db = database
        self.path = database.path  # a SQLite file's Path, or a PostgreSQL URL (no password)
        self.name = database.name  # how messages name it
        self.backend = database.backend
        self._depth = 0
        self._import_before = self._import_written = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def _prepare(self, migrate: bool) -> None:
        try:
            if self._db.backend == "sqlite":
                self._db.configure()
            version = self.schema_version()
            if migrate and version != SCHEMA_VERSION:
                self.migrate()
            elif version > SCHEMA_VERSION:
                self._refuse_newer(version)
        except database_errors() as exc:
            self.close()
            raise ClausewiseError(self._unusable(exc)) from None
        except BaseException:
            self.close()
            raise

    def _unusable(self, exc: BaseException) -> str:
        if self._db.backend == "postgresql":
            detail = " ".join(str(exc).split())
            return (f"state_db {self.name}: not a usable state database ({detail}); the user in state_db needs "
                    "to create tables in the database (GRANT CREATE ON SCHEMA public), or run 'clausewise state "
                    "migrate' as the database's owner")
        if not os.access(self.path.parent, os.W_OK):  # read-only file system or folder: not damaged
            return (f"{self.path}: the state database's folder is read-only or not writable ({exc}); "
                    "make it writable (or mount it read-write) and run the command again")
        return (f"{self.path}: not a usable state database ({exc}); if it is read-only make it "
                "writable, if it is damaged restore it from a backup (or move it aside); the "
                "file is 'state_db' in clausewise.toml")

    def schema_version(self) -> int:
        """The database's schema version (0 for a new, empty database)."""
        return self._db.schema_version()

    def migrate(self) -> None:
        """Apply every migration the database lacks, in one transaction; re-reads the version inside
        it (under a lock) so that two processes starting at once never migrate twice."""
        try:
            with self._db.schema_lock(), self.transaction():
                current = self.schema_version()
                if current > SCHEMA_VERSION:
                    self._refuse_newer(current)
                for steps in _MIGRATIONS[current:]:
                    for step in steps:
                        statement = step[self._db.backend] if isinstance(step, dict) else step
                        self._db.execute(self._db.ddl(statement))
                if current < SCHEMA_VERSION:
                    self._db.write_schema_version(SCHEMA_VERSION)
        except database_errors() as exc:
            raise ClausewiseError(self._unusable(exc)) from None

    def _refuse_newer(self, current: int) -> None:
        raise ClausewiseError(
            f"{self.name}: state database schema {current} is newer than this clausewise "
            f"(schema {SCHEMA_VERSION}); upgrade clausewise")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """One write transaction (nested calls join the outer one); rolled back on any error."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._db.begin()
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            try:
                self._db.execute("ROLLBACK")
            except database_errors():
                pass  # SQLite rolled back already (e.g. after a full disk); the original error says why
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    # -- customers ---------------------------------------------------------------------------

    def upsert_customers(self, rows: Iterable[CustomerRow]) -> int:
        """Insert or update customers (keyed by customer and agreement); returns how many rows were
        inserted or changed."""
        now = to_text(utc_now())
        values = [(r.customer_id, r.agreement, r.name, r.email, r.language, r.version, now, now) for r in rows]
        with self.transaction():
            return self._db.executemany(
                """INSERT INTO customers (customer_id, agreement, name, email, language, version,
                                          created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (customer_id, agreement) DO UPDATE SET
                       name = excluded.name, email = excluded.email, language = excluded.language,
                       version = excluded.version, updated_at = excluded.updated_at
                   WHERE (customers.name, customers.email, customers.language, customers.version)
                         <> (excluded.name, excluded.email, excluded.language, excluded.version)""",
                values).rowcount

    def customer_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]

    def customers(self, agreement: str | None = None, limit: int | None = None) -> Iterator[Customer]:
        """Customers in (customer, agreement) order, streamed from the database."""
        sql = ("SELECT customer_id, name, email, language, agreement, version, created_at, updated_at "
               "FROM customers")
        params: list[object] = []
        if agreement is not None:
            sql += " WHERE agreement = ?"
            params.append(agreement)
        sql += " ORDER BY customer_id, agreement"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in self._db.stream(sql, params):
            yield _customer(row)

    def customer(self, customer_id: str) -> list[Customer]:
        """Every agreement row of one customer (empty if the customer is unknown)."""
        rows = self._db.execute(
            "SELECT customer_id, name, email, language, agreement, version, created_at, updated_at "
            "FROM customers WHERE customer_id = ? ORDER BY agreement", (customer_id,)).fetchall()
        return [_customer(row) for row in rows]

    @property
    def pg_connection(self) -> Any:
        """A PostgreSQL store's psycopg connection, for the bulk paths that stream with COPY (the
        customers import, state copy); they run inside this store's transactions."""
        if self.backend != "postgresql":
            raise TypeError("pg_connection: this state database is SQLite")
        return self._db.connection

    # Staging for an import: rows of one file go to a temporary table keyed by (customer,
    # agreement) so that conflicting rows are found by the database, not by a dict in memory.

    def begin_import(self) -> None:
        """Start an import (inside an open transaction): an empty table of the file's rows."""
        self._import_before = self.customer_count()
        self._import_written = 0
        self._db.execute("DROP TABLE IF EXISTS import_rows")
        self._db.execute(
            """CREATE TEMP TABLE import_rows (
                   customer_id TEXT NOT NULL, agreement TEXT NOT NULL, line INTEGER NOT NULL,
                   fingerprint TEXT NOT NULL, conflict_line INTEGER,
                   PRIMARY KEY (customer_id, agreement))""")
        self._db.execute("CREATE INDEX import_conflicts ON import_rows (conflict_line) "
                         "WHERE conflict_line IS NOT NULL")

    def stage_import(self, numbered: Sequence[tuple[int, CustomerRow]]) -> tuple[int, int, CustomerRow] | None:
        """Upsert one batch of a file's rows; return (line, earlier line, row) of the first row that
        contradicts an earlier row of the same file for the same customer and agreement, or None.

        Identical repeated rows are accepted.
        """
        self._db.executemany(
            """INSERT INTO import_rows (customer_id, agreement, line, fingerprint)
               VALUES (?, ?, ?, ?)
               ON CONFLICT (customer_id, agreement) DO UPDATE SET conflict_line = excluded.line
               WHERE import_rows.conflict_line IS NULL AND import_rows.fingerprint <> excluded.fingerprint""",
            [(r.customer_id, r.agreement, line, _fingerprint(r)) for line, r in numbered])
        found = self._db.execute(
            "SELECT MIN(conflict_line) FROM import_rows WHERE conflict_line IS NOT NULL").fetchone()[0]
        if found is not None:
            row = dict(numbered)[found]
            earlier = self._db.execute(
                "SELECT line FROM import_rows WHERE customer_id = ? AND agreement = ?",
                (row.customer_id, row.agreement)).fetchone()[0]
            return found, earlier, row
        self._import_written += self.upsert_customers(r for _, r in numbered)
        return None

    def end_import(self) -> "ImportCounts":
        """Finish an import: how many (customer, agreement) rows the file held, were new, changed."""
        rows = self._db.execute("SELECT COUNT(*) FROM import_rows").fetchone()[0]
        self._db.execute("DROP TABLE import_rows")
        new = self.customer_count() - self._import_before
        return ImportCounts(rows=rows, new=new, changed=self._import_written - new)

    # -- campaigns ---------------------------------------------------------------------------

    def create_campaign(self, campaign: Campaign) -> Campaign:
        """Store ``campaign`` unless one with its id exists; returns the stored campaign."""
        c = campaign
        with self.transaction():
            self._db.execute(
                f"INSERT INTO campaigns ({_CAMPAIGN_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (c.id, c.kind, c.agreement, c.from_versions, c.to_version, c.effective.isoformat(),
                 c.notice_days, c.send_by.isoformat(), to_text(c.created_at), c.summary, c.clause_label,
                 c.clause_text, c.new_party, c.short_notice_reason,
                 to_text(c.cancelled_at) if c.cancelled_at else None, c.cancel_reason))
            return self.campaign(c.id)

    def find_campaign(self, campaign_id: str) -> Campaign | None:
        row = self._db.execute(f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?",
                               (campaign_id,)).fetchone()
        return _campaign(row) if row else None

    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign ``campaign_id``; UsageProblem naming the known ids if there is none."""
        found = self.find_campaign(campaign_id)
        if found is None:
            known = [c.id for c in self.campaigns()]
            listing = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "") if known else "none yet"
            raise UsageProblem(f"unknown campaign '{campaign_id}'; known campaigns: {listing}")
        return found

    def campaigns(self) -> list[Campaign]:
        """Every campaign, by send-by date then id."""
        rows = self._db.execute(f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY send_by, id").fetchall()
        return [_campaign(row) for row in rows]

    # -- publications ------------------------------------------------------------------------

    def record_publication(self, record: PublicationRecord) -> None:
        """Record a published version (once: a second record of the same version is ignored)."""
        r = record
        with self.transaction():
            self._db.execute(
                "INSERT INTO publications (agreement, version, tag, commit_sha, text_sha256, campaign_id, decision, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agreement, version) DO NOTHING",
                (r.agreement, r.version, r.tag, r.commit, r.text_sha256, r.campaign_id, r.decision,
                 to_text(utc_now())))

    def publications(self) -> dict[tuple[str, int], PublicationRecord]:
        """Every recorded publication, by (agreement, version)."""
        rows = self._db.execute("SELECT agreement, version, tag, commit_sha, text_sha256, campaign_id, decision "
                                "FROM publications ORDER BY agreement, version").fetchall()
        return {(row[0], row[1]): PublicationRecord(*row) for row in rows}

    # -- the ledger --------------------------------------------------------------------------

    def sync_notices(self, campaign_id: str | None = None) -> int:
        """Add a pending notice for every customer now affected and not yet in the ledger; returns
        how many were added (idempotent). Pending notices also take up customers' new names and
        addresses; a failed notice whose customer's address or name changed since is queued again
        (recorded in the journal); a never-claimed pending notice is withdrawn when its customer has
        since accepted the campaign's version. Cancelled campaigns get no new notices.
        """
        campaign_filter = "" if campaign_id is None else " AND c.id = ?"
        notice_filter = "" if campaign_id is None else " AND notices.campaign_id = ?"
        params: tuple[object, ...] = () if campaign_id is None else (campaign_id,)
        now = to_text(utc_now())
        with self.transaction():
            added = self._db.execute(
                f"""INSERT INTO notices (campaign_id, customer_id, agreement, name, email, language,
                                         accepted_version, status, attempts, created_at)
                    SELECT c.id, cu.customer_id, cu.agreement, cu.name, cu.email, cu.language, cu.version,
                           'pending', 0, ?
                    FROM campaigns c JOIN customers cu ON cu.agreement = c.agreement
                    WHERE (c.kind = 'assignment' OR cu.version < c.to_version)
                      AND c.cancelled_at IS NULL{campaign_filter}
                    ON CONFLICT (campaign_id, customer_id) DO NOTHING""",
                (now, *params)).rowcount
            changed = f"""FROM customers cu
                    WHERE notices.status = 'failed' AND cu.customer_id = notices.customer_id
                      AND cu.agreement = notices.agreement
                      AND (notices.name, notices.email) <> (cu.name, cu.email){notice_filter}
                      AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = notices.campaign_id
                                  AND (c.kind = 'assignment' OR cu.version < c.to_version))"""
            self._db.execute(
                f"""INSERT INTO events (at, campaign_id, customer_id, event, detail)
                    SELECT ?, notices.campaign_id, notices.customer_id, 'requeued',
                           'customer details changed (' || notices.email || ' -> ' || cu.email || ')'
                    FROM notices {changed.replace('FROM customers cu', ', customers cu', 1)}""",
                (now, *params))
            self._db.execute(
                f"""UPDATE notices SET name = cu.name, email = cu.email, language = cu.language,
                                       accepted_version = cu.version, status = 'pending', date_header = NULL
                    {changed}""", params)
            self._db.execute(
                f"""UPDATE notices SET name = cu.name, email = cu.email, language = cu.language,
                                       accepted_version = cu.version
                    FROM customers cu
                    WHERE notices.status = 'pending' AND cu.customer_id = notices.customer_id
                      AND cu.agreement = notices.agreement
                      AND (notices.name, notices.email, notices.language, notices.accepted_version)
                          <> (cu.name, cu.email, cu.language, cu.version){notice_filter}""", params)
            self._db.execute(
                f"""DELETE FROM notices
                    WHERE status = 'pending' AND date_header IS NULL AND attempts = 0{notice_filter}
                      AND EXISTS (SELECT 1 FROM campaigns c JOIN customers cu ON cu.agreement = c.agreement
                                  WHERE c.id = notices.campaign_id AND c.kind = 'version'
                                    AND cu.customer_id = notices.customer_id
                                    AND cu.version >= c.to_version)""", params)
        return added

    def claim_batch(self, worker: str, limit: int, campaign_id: str | None = None, *,
                    effective_after: date | None = None, lease_until: datetime | None = None) -> list[Notice]:
        """Atomically hand up to ``limit`` pending notices to ``worker`` (status 'sending').

        With ``effective_after``, only notices of campaigns that take effect after that day are
        claimed (the others would give no advance notice). Each claim dates the message anew
        (``date_header``): a notice sent days after its first attempt must not say it was written
        then, and the email's on-time wording follows its Date. The Date of the copy the server
        accepted is what ``mark_sent`` keeps, so the message bytes and their SHA-256 can be rebuilt.

        With ``lease_until``, the claim also renews ``worker``'s lease, and raises LeaseLost (claiming
        nothing) if the lease is gone: another sender reclaimed its notices after it expired.
        """
        now = utc_now()
        scope, scope_params = _claim_scope(campaign_id, effective_after)
        params: list[object] = [worker, to_text(now), format_datetime(now.replace(microsecond=0)), to_text(now),
                                *scope_params, limit]
        with self.transaction():
            if lease_until is not None and self._db.execute(
                    "UPDATE senders SET lease_until = ?, renewed_at = ? WHERE worker_id = ?",
                    (to_text(lease_until), to_text(now), worker)).rowcount == 0:
                raise LeaseLost(f"the lease of sender {worker} ended (it expired and another sender took its notices)")
            rows = self._db.execute(
                f"""UPDATE notices SET status = 'sending', claimed_by = ?, claimed_at = ?,
                                       date_header = ?, data_started_at = NULL, not_before = NULL
                    WHERE (campaign_id, customer_id) IN (
                        SELECT campaign_id, customer_id FROM notices
                        WHERE status = 'pending' AND (not_before IS NULL OR not_before <= ?){scope}
                        ORDER BY campaign_id, customer_id LIMIT ?{self._db.claim_lock})
                    RETURNING {_NOTICE_COLUMNS}""", params).fetchall()
        return sorted((_notice(row) for row in rows), key=lambda n: (n.campaign_id, n.customer_id))

    def claimable(self, campaign_id: str | None = None, *, effective_after: date | None = None) -> int:
        """How many notices ``claim_batch`` could hand out now."""
        scope, params = _claim_scope(campaign_id, effective_after)
        return self._db.execute(
            f"SELECT COUNT(*) FROM notices WHERE status = 'pending' AND (not_before IS NULL OR not_before <= ?){scope}",
            (to_text(utc_now()), *params)).fetchone()[0]

    def outstanding(self, worker: str, campaign_id: str | None = None, *,
                    effective_after: date | None = None) -> tuple[int, datetime | None]:
        """What keeps a sender with nothing to claim from being done: (notices held 'sending' by
        other senders that are still working, the earliest ``not_before`` of pending notices waiting
        for their domain's cap). A sender that is itself waiting holds only notices it gave up for
        its run (released when it ends), so two waiting senders never wait for each other."""
        scope, params = _claim_scope(campaign_id, effective_after)
        held = self._db.execute(
            f"""SELECT COUNT(*) FROM notices WHERE status = 'sending' AND COALESCE(claimed_by, '') <> ?{scope}
                AND COALESCE(claimed_by, '') NOT IN (SELECT worker_id FROM senders WHERE waiting = 1)""",
            (worker, *params)).fetchone()[0]
        waiting = self._db.execute(
            f"SELECT MIN(not_before) FROM notices WHERE status = 'pending' AND not_before IS NOT NULL{scope}",
            params).fetchone()[0]
        return held, _from_text(waiting)

    def defer(self, campaign_id: str, customer_id: str, worker: str, until: datetime) -> None:
        """Give a claimed notice back until ``until`` (its recipient domain's cap has no slot before)."""
        with self.transaction():
            self._db.execute(
                "UPDATE notices SET status = 'pending', claimed_by = NULL, claimed_at = NULL, not_before = ? "
                "WHERE campaign_id = ? AND customer_id = ? AND status = 'sending' AND claimed_by = ?",
                (to_text(until), campaign_id, customer_id, worker))

    def pending_after_effective(self, today: date, campaign_id: str | None = None) -> dict[str, int]:
        """Pending notices of campaigns that take effect on or before ``today``, per campaign."""
        only = "" if campaign_id is None else " AND c.id = ?"
        params: tuple[object, ...] = (today.isoformat(),) + (() if campaign_id is None else (campaign_id,))
        return dict(self._db.execute(
            f"""SELECT c.id, COUNT(*) FROM notices n JOIN campaigns c ON c.id = n.campaign_id
                WHERE n.status = 'pending' AND c.effective <= ?{only} GROUP BY c.id ORDER BY c.id""",
            params).fetchall())

    def mark_data_started(self, campaign_id: str, customer_id: str, worker: str) -> bool:
        """The sender is about to send the message's DATA: from now on the server may have it.

        False if ``worker`` no longer holds the notice (its lease expired and another sender took
        it, or it was recorded sent meanwhile): then the message must not be sent."""
        with self.transaction():
            return self._db.execute(
                "UPDATE notices SET data_started_at = ? WHERE campaign_id = ? AND customer_id = ? "
                "AND status = 'sending' AND claimed_by = ?",
                (to_text(utc_now()), campaign_id, customer_id, worker)).rowcount == 1

    # -- senders: leases and connections -------------------------------------------------------

    def register_sender(self, worker: str, *, host: str, pid: int, process: str, relay: str,
                        campaign_id: str | None, lease_until: datetime) -> None:
        """Start a sender's lease (its claims are its own until ``lease_until``, renewed while it works)."""
        now = to_text(utc_now())
        with self.transaction():
            self._db.execute(
                "INSERT INTO senders (worker_id, host, pid, process, relay, campaign_id, started_at, renewed_at, "
                "lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (worker, host, pid, process, relay, campaign_id, now, now, to_text(lease_until)))

    def renew_lease(self, worker: str, lease_until: datetime, sent: int) -> bool:
        """Extend a sender's lease; False if it is gone (it expired and another sender reclaimed its
        notices): the sender must stop claiming."""
        with self.transaction():
            return self._db.execute(
                "UPDATE senders SET lease_until = ?, renewed_at = ?, sent = ? WHERE worker_id = ?",
                (to_text(lease_until), to_text(utc_now()), sent, worker)).rowcount == 1

    def end_stalled_transactions(self, seconds: float) -> None:
        """Have PostgreSQL end this connection's session if it stalls inside a transaction for
        longer than ``seconds`` (a sender frozen or cut off mid-transaction would otherwise hold row
        locks the other senders wait for); nothing on SQLite."""
        self._db.end_stalled_transactions(seconds)

    def set_waiting(self, worker: str, waiting: bool) -> None:
        """Whether a sender has nothing to do but wait for the others (see ``outstanding``)."""
        with self.transaction():
            self._db.execute("UPDATE senders SET waiting = ? WHERE worker_id = ?", (int(waiting), worker))

    def end_lease(self, worker: str) -> int:
        """A sender stops: its unsent claims go back to 'pending' (see ``release``) and its lease
        ends, in one transaction; returns how many notices it gave back."""
        with self.transaction():
            # The lease row first, then the notices: the order every transaction that touches both
            # keeps (claim_batch, reclaim_expired), so two of them never wait for each other.
            self._db.execute("DELETE FROM senders WHERE worker_id = ?", (worker,))
            return self.release(worker)

    def reclaim_expired(self, orphan_age: float, alive: Callable[[str], bool] = local_worker_alive,
                        now: datetime | None = None) -> int:
        """End the leases that expired, and those of senders on this host that are gone (``alive``
        says so of their ``process``: no need to wait for the expiry), and put their claims back to
        'pending'; also claims with no lease at all (made by a clausewise before leases) once older
        than ``orphan_age`` seconds. Returns how many notices came back.

        Those whose DATA had started are marked ``INTERRUPTED`` (the server may already have them),
        the others ``UNSTARTED`` (nothing of them reached the server)."""
        moment = to_text(now or utc_now())
        cutoff = to_text((now or utc_now()) - timedelta(seconds=orphan_age))
        with self.transaction():
            # The DELETE re-checks the expiry under the row's lock, so a sender renewing at this
            # moment either renews first (and keeps its lease) or finds its row gone (and stops).
            expired = [worker for (worker,) in self._db.execute(
                "DELETE FROM senders WHERE lease_until < ? RETURNING worker_id", (moment,)).fetchall()]
            for worker, process in self._db.execute("SELECT worker_id, process FROM senders").fetchall():
                if not alive(process):
                    self._db.execute("DELETE FROM senders WHERE worker_id = ?", (worker,))
                    expired.append(worker)
            back = "UPDATE notices SET status = 'pending', claimed_by = NULL, claimed_at = NULL, " \
                   "last_error = CASE WHEN data_started_at IS NULL THEN ? ELSE ? END WHERE status = 'sending' AND "
            reclaimed = 0
            for worker in expired:
                reclaimed += self._db.execute(back + "claimed_by = ?", (UNSTARTED, INTERRUPTED, worker)).rowcount
            reclaimed += self._db.execute(
                back + "(claimed_by IS NULL OR claimed_by NOT IN (SELECT worker_id FROM senders)) AND claimed_at < ?",
                (UNSTARTED, INTERRUPTED, cutoff)).rowcount
        return reclaimed

    def held_by(self, worker: str) -> list[Notice]:
        """The notices ``worker`` holds 'sending' (the ones whose DATA started have ``data_started_at``)."""
        rows = self._db.execute(f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE status = 'sending' AND claimed_by = ? "
                                "ORDER BY campaign_id, customer_id", (worker,)).fetchall()
        return [_notice(row) for row in rows]

    def senders(self) -> list[SenderRecord]:
        """The senders holding a lease (expired ones too, until another sender reclaims them)."""
        rows = self._db.execute(
            "SELECT worker_id, host, pid, process, relay, campaign_id, started_at, renewed_at, lease_until, "
            "connections, sent FROM senders ORDER BY started_at, worker_id").fetchall()
        return [SenderRecord(*row[:6], *(_from_text(value) for value in row[6:9]), row[9], row[10]) for row in rows]

    def take_connection(self, worker: str, relay: str, limit: int | None) -> bool:
        """Count one more SMTP connection of ``worker`` to ``relay``, if the relay's limit (connections
        of every sender with a live lease) allows it; False if it does not."""
        with self.transaction():
            if limit is not None:
                # The relay's rate row doubles as its lock, so that two senders never both take the last one.
                self._lock_slot(ratelimit.relay_key(relay) + " connections")
                open_now = self._db.execute(
                    "SELECT COALESCE(SUM(connections), 0) FROM senders WHERE relay = ? AND lease_until >= ?",
                    (relay, to_text(utc_now()))).fetchone()[0]
                if not ratelimit.within_connections(open_now, 0, limit):
                    return False
            return self._db.execute("UPDATE senders SET connections = connections + 1 WHERE worker_id = ?",
                                    (worker,)).rowcount == 1

    def drop_connection(self, worker: str) -> None:
        with self.transaction():
            self._db.execute("UPDATE senders SET connections = connections - 1 WHERE worker_id = ? AND connections > 0",
                             (worker,))

    # -- rate slots --------------------------------------------------------------------------------

    def take_slot(self, intervals: dict[str, float], *, deferrable: frozenset[str] = frozenset(),
                  horizon: float = 0.0) -> ratelimit.Slot | ratelimit.Deferred:
        """Take the next slot of every key in ``intervals`` (see ratelimit.plan), in one transaction
        that every other sender waits for; times are seconds since the epoch."""
        with self.transaction():
            tats = {key: self._lock_slot(key) for key in sorted(intervals)}  # one lock order: no deadlock
            outcome = ratelimit.plan(utc_now().timestamp(), tats, intervals, deferrable=deferrable, horizon=horizon)
            if isinstance(outcome, ratelimit.Slot):
                self._db.executemany("UPDATE rate_slots SET tat = ? WHERE key = ?",
                                     [(tat, key) for key, tat in outcome.tats.items()])
        return outcome

    def _lock_slot(self, key: str) -> float | None:
        """Create (if new) and lock a rate_slots row inside the current transaction; its TAT, or None if new."""
        self._db.execute("INSERT INTO rate_slots (key, tat) VALUES (?, 0) ON CONFLICT (key) DO NOTHING", (key,))
        tat = self._db.execute(f"SELECT tat FROM rate_slots WHERE key = ?{self._db.row_lock}", (key,)).fetchone()[0]
        return tat or None

    def record_sent(self, campaign_id: str, customer_id: str, *, message_id: str, sha256: str, reply: str,
                    sent_at: datetime, date_header: str, timing: NoticeTiming | None = None,
                    after_effective_reason: str | None = None, worker: str | None = None,
                    duplicate_note: str = "") -> bool:
        """The server accepted the message: status 'sent', with the evidence and its timing.

        With ``worker``, a sender that lost the notice while its DATA was under way (its lease
        expired, so another sender may send it again) adds ``duplicate_note`` to the reply; and if
        the other copy was recorded first, that record stays and this one goes to the journal only
        (returns False)."""
        at = to_text(sent_at)
        with self.transaction():
            if worker is not None:
                row = self._db.execute("SELECT status, claimed_by, last_error FROM notices WHERE campaign_id = ? "
                                       f"AND customer_id = ?{self._db.row_lock}", (campaign_id, customer_id)).fetchone()
                if row is not None and row[0] == "sent":
                    self._event(campaign_id, customer_id, "accepted again (a copy sent by another sender)", reply, at)
                    return False
                if row is not None and row[1] != worker and row[2] == INTERRUPTED and duplicate_note not in reply:
                    reply += duplicate_note
            self._update_notice(
                campaign_id, customer_id,
                "status = 'sent', attempts = attempts + 1, message_id = ?, sha256 = ?, reply = ?, sent_at = ?, "
                "date_header = ?, claimed_by = NULL, claimed_at = NULL, last_error = NULL, timing = ?, "
                "after_effective_reason = ?",
                (message_id, sha256, reply, at, date_header, timing, after_effective_reason))
            self._event(campaign_id, customer_id, "sent", reply, at)
        return True

    def record_retry(self, campaign_id: str, customer_id: str, *, error: str) -> None:
        """A retryable failure (4xx, dropped connection): back to 'pending', one more attempt."""
        with self.transaction():
            self._update_notice(
                campaign_id, customer_id,
                "status = 'pending', attempts = attempts + 1, last_error = ?, claimed_by = NULL, claimed_at = NULL",
                (error,), allow_sent=False)
            self._event(campaign_id, customer_id, "attempt failed, will retry", error)

    def record_failed(self, campaign_id: str, customer_id: str, *, reply: str) -> None:
        """A permanent failure (5xx, or the customer's data cannot make a safe message): 'failed'."""
        with self.transaction():
            self._update_notice(
                campaign_id, customer_id,
                "status = 'failed', attempts = attempts + 1, reply = ?, last_error = ?, claimed_by = NULL, "
                "claimed_at = NULL", (reply, reply), allow_sent=False)
            self._event(campaign_id, customer_id, "failed", reply)

    def _update_notice(self, campaign_id: str, customer_id: str, assignments: str, params: tuple,
                       allow_sent: bool = True) -> None:
        # A notice already recorded 'sent' stays sent: a late retry or failure cannot undo the proof.
        guard = "" if allow_sent else " AND status <> 'sent'"
        with self.transaction():
            count = self._db.execute(
                f"UPDATE notices SET {assignments} WHERE campaign_id = ? AND customer_id = ?{guard}",
                (*params, campaign_id, customer_id)).rowcount
            if count == 0 and self._notice_status(campaign_id, customer_id) is None:
                raise ClausewiseError(f"no notice for customer '{customer_id}' in campaign '{campaign_id}'")

    def _event(self, campaign_id: str | None, customer_id: str | None, event: str, detail: str | None,
               at: str | None = None) -> None:
        self._db.execute("INSERT INTO events (at, campaign_id, customer_id, event, detail) VALUES (?, ?, ?, ?, ?)",
                         (at or to_text(utc_now()), campaign_id, customer_id, event, detail))

    def _notice_status(self, campaign_id: str, customer_id: str) -> str | None:
        row = self._db.execute("SELECT status FROM notices WHERE campaign_id = ? AND customer_id = ?",
                               (campaign_id, customer_id)).fetchone()
        return row[0] if row else None

    def release(self, worker: str) -> int:
        """Put this worker's unsent claims back to 'pending' (at the end of a run, on Ctrl-C); returns
        how many. Those abandoned during their DATA are marked ``INTERRUPTED``: the server may have them."""
        with self.transaction():
            return self._db.execute(
                "UPDATE notices SET status = 'pending', claimed_by = NULL, claimed_at = NULL, data_started_at = NULL, "
                "last_error = CASE WHEN data_started_at IS NULL THEN last_error ELSE ? END "
                "WHERE status = 'sending' AND claimed_by = ?", (INTERRUPTED, worker)).rowcount

    # -- control: retry, cancel, remove ----------------------------------------------------------

    def requeue_failed(self, campaign_id: str | None = None, customer_id: str | None = None) -> int:
        """Put failed notices (all, one campaign's, one customer's) back to 'pending'; returns how many.
        Each is recorded in the journal; the next send tries them again."""
        where, params = "status = 'failed'", []
        if campaign_id is not None:
            where += " AND campaign_id = ?"
            params.append(campaign_id)
        if customer_id is not None:
            where += " AND customer_id = ?"
            params.append(customer_id)
        with self.transaction():
            self._db.execute(
                f"""INSERT INTO events (at, campaign_id, customer_id, event, detail)
                    SELECT ?, campaign_id, customer_id, 'retry requested', last_error FROM notices WHERE {where}""",
                (to_text(utc_now()), *params))
            # The failed message never reached the customer: the retry is a new message with a new Date,
            # so that the notice states the notice it really gives.
            return self._db.execute(f"UPDATE notices SET status = 'pending', date_header = NULL WHERE {where}",
                                    params).rowcount

    def cancel_campaign(self, campaign_id: str, reason: str) -> int:
        """Cancel a campaign none of whose notices was attempted yet; returns how many notices were
        cancelled. ClausewiseError if it has started (a notice sent, in flight, failed or tried)."""
        self.campaign(campaign_id)  # UsageProblem naming the known campaigns
        with self.transaction():
            # Cancel first, then look for a started notice (and roll back if there is one): on
            # PostgreSQL, where senders do not wait for this transaction, the UPDATEs lock the rows
            # they change, so a sender's claim either committed before them (the check sees it) or
            # skips those rows. Checking first would leave a gap for a claim between check and cancel.
            now = to_text(utc_now())
            if not self._db.execute("UPDATE campaigns SET cancelled_at = ?, cancel_reason = ? "
                                    "WHERE id = ? AND cancelled_at IS NULL", (now, reason, campaign_id)).rowcount:
                campaign = self.campaign(campaign_id)
                raise ClausewiseError(f"campaign {campaign_id} was already cancelled on "
                                      f"{to_text(campaign.cancelled_at)} ({campaign.cancel_reason})")
            self._event(campaign_id, None, "campaign cancelled", reason, now)
            cancelled = self._cancel_notices("campaign_id = ?", (campaign_id,), f"campaign cancelled: {reason}", now)
            started = self._db.execute(
                "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND (status IN ('sent', 'sending') "
                "OR attempts > 0)", (campaign_id,)).fetchone()[0]
            if started:
                raise ClausewiseError(f"campaign {campaign_id} has started: {started} notices were sent or attempted, "
                                      "and a notice that may have reached a customer cannot be taken back; send a "
                                      "correcting notice instead")
            return cancelled

    def remove_customer(self, customer_id: str, reason: str, agreement: str | None = None) -> tuple[int, int]:
        """Remove a customer who left (one agreement's row, or all); their unsent notices are
        cancelled, sent ones stay on record. Returns (customer rows removed, notices cancelled)."""
        only, params = ("", (customer_id,)) if agreement is None else (" AND agreement = ?", (customer_id, agreement))
        with self.transaction():
            removed = self._db.execute(f"DELETE FROM customers WHERE customer_id = ?{only}", params).rowcount
            if not removed:
                return 0, 0
            now = to_text(utc_now())
            self._event(None, customer_id, "customer removed",
                        reason if agreement is None else f"{agreement}: {reason}", now)
            cancelled = self._cancel_notices(f"customer_id = ?{only}", params, f"customer removed: {reason}", now)
        return removed, cancelled

    def _cancel_notices(self, where: str, params: tuple, reason: str, now: str) -> int:
        unsent = f"{where} AND status IN ('pending', 'failed')"
        self._db.execute(
            f"""INSERT INTO events (at, campaign_id, customer_id, event, detail)
                SELECT ?, campaign_id, customer_id, 'cancelled', ? FROM notices WHERE {unsent}""",
            (now, reason, *params))
        return self._db.execute(
            f"UPDATE notices SET status = 'cancelled', cancel_reason = ? WHERE {unsent}", (reason, *params)).rowcount

    # -- bounces ---------------------------------------------------------------------------------

    def record_bounce(self, bounce: Bounce) -> BounceOutcome:
        """Match one DSN recipient to its notice (by the VERP token, else the Message-ID) and record
        it; a 'failed' action marks the notice bounced. Collecting the same DSN again changes nothing."""
        key = self._bounced_notice(bounce)
        with self.transaction():
            new = self._db.execute(
                """INSERT INTO bounces (dsn_id, recipient, campaign_id, customer_id, action, status, diagnostic,
                                        arrived_at, collected_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dsn_id, recipient) DO NOTHING""",
                (bounce.dsn_id, bounce.recipient, *(key or (None, None)), bounce.action, bounce.status,
                 bounce.diagnostic, to_text(bounce.arrived_at) if bounce.arrived_at else None,
                 to_text(utc_now()))).rowcount == 1
            if key is None:
                return BounceOutcome(matched=False, new=new)
            if new:
                detail = "; ".join(p for p in (bounce.action, bounce.status, bounce.diagnostic) if p)
                self._event(*key, f"bounce ({bounce.action})", detail)
                if bounce.action == "failed":
                    at = to_text(bounce.arrived_at or utc_now())
                    self._db.execute(
                        "UPDATE notices SET bounced_at = COALESCE(bounced_at, ?), bounce = COALESCE(bounce, ?) "
                        "WHERE campaign_id = ? AND customer_id = ?", (at, detail, *key))
        return BounceOutcome(matched=True, new=new, campaign_id=key[0], customer_id=key[1])

    def _bounced_notice(self, bounce: Bounce) -> tuple[str, str] | None:
        """(campaign, customer) of the notice a DSN is about, or None."""
        if bounce.verp_token:
            # A VERP token is the hash part of the Message-ID: <TOKEN.slug@domain>.
            prefix = f"<{bounce.verp_token}."
            row = self._db.execute(
                "SELECT campaign_id, customer_id FROM notices WHERE message_id >= ? AND message_id < ? LIMIT 1",
                (prefix, prefix[:-1] + "/")).fetchone()
            if row:
                return row[0], row[1]
        if bounce.message_id:
            # A notice has one recipient: in a DSN on several, only the report on that recipient is its.
            row = self._db.execute("SELECT campaign_id, customer_id, email FROM notices WHERE message_id = ? LIMIT 1",
                                   (bounce.message_id,)).fetchone()
            named = {a.lower() for a in (bounce.recipient, bounce.original_recipient) if a}
            if row and (bounce.reports == 1 or row[2].lower() in named):
                return row[0], row[1]
        return None

    # -- reading the ledger ----------------------------------------------------------------------

    def notice(self, campaign_id: str, customer_id: str) -> Notice | None:
        row = self._db.execute(f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE campaign_id = ? AND customer_id = ?",
                               (campaign_id, customer_id)).fetchone()
        return _notice(row) if row else None

    def customer_notices(self, customer_id: str) -> list[Notice]:
        """Every ledger row of one customer, by campaign."""
        rows = self._db.execute(f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE customer_id = ? ORDER BY campaign_id",
                                (customer_id,)).fetchall()
        return [_notice(row) for row in rows]

    def notices(self, campaign_id: str | None = None) -> Iterator[Notice]:
        """Ledger rows in (campaign, customer) order, streamed from the database."""
        sql = f"SELECT {_NOTICE_COLUMNS} FROM notices"
        params: tuple[object, ...] = ()
        if campaign_id is not None:
            sql += " WHERE campaign_id = ?"
            params = (campaign_id,)
        for row in self._db.stream(sql + " ORDER BY campaign_id, customer_id", params):
            yield _notice(row)

    def unreached(self) -> list[Notice]:
        """Notices that did not reach their customer: failed, or bounced after the server accepted
        them (those customers need another channel), by campaign and customer."""
        rows = self._db.execute(
            f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE status = 'failed' OR bounced_at IS NOT NULL "
            "ORDER BY campaign_id, customer_id").fetchall()
        return [_notice(row) for row in rows]

    def events(self, campaign_id: str | None = None, customer_id: str | None = None) -> list[tuple[str, ...]]:
        """Journal entries (at, campaign, customer, event, detail), oldest first."""
        where, params = [], []
        for column, value in (("campaign_id", campaign_id), ("customer_id", customer_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT at, campaign_id, customer_id, event, detail FROM events"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        return [tuple(row) for row in self._db.execute(f"{sql} ORDER BY at, {self._db.insertion_order}", params)]

    def totals(self) -> dict[str, dict[str, int]]:
        """Notices per campaign and status (every campaign and status present, zeros included)."""
        result = {c_id: dict.fromkeys(STATUSES, 0)
                  for (c_id,) in self._db.execute("SELECT id FROM campaigns ORDER BY id")}
        for c_id, status, count in self._db.execute(
                "SELECT campaign_id, status, COUNT(*) FROM notices GROUP BY campaign_id, status"):
            result.setdefault(c_id, dict.fromkeys(STATUSES, 0))[status] = count
        return result

    def outcomes(self) -> dict[str, dict[str, int]]:
        """Per campaign: notices sent late, sent on or after the effective date, and bounced."""
        result: dict[str, dict[str, int]] = {}
        for c_id, late, after, bounced in self._db.execute(
                """SELECT campaign_id, SUM(CASE WHEN timing = 'late' THEN 1 ELSE 0 END),
                          SUM(CASE WHEN timing = 'after effective' THEN 1 ELSE 0 END),
                          SUM(CASE WHEN bounced_at IS NOT NULL THEN 1 ELSE 0 END)
                   FROM notices GROUP BY campaign_id"""):
            result[c_id] = {"late": late, "after_effective": after, "bounced": bounced}
        return result


def _claim_scope(campaign_id: str | None, effective_after: date | None) -> tuple[str, list[object]]:
    """The WHERE clause (starting with AND) and parameters that limit claims to one run's notices."""
    where, params = "", []
    if campaign_id is not None:
        where += " AND campaign_id = ?"
        params.append(campaign_id)
    if effective_after is not None:
        where += " AND campaign_id IN (SELECT id FROM campaigns WHERE effective > ?)"
        params.append(effective_after.isoformat())
    return where, params


def _fingerprint(row: CustomerRow) -> str:
    return "\x1f".join((row.name, row.email, row.language, str(row.version)))


def _customer(row: tuple) -> Customer:
    return Customer(row[0], row[1], row[2], row[3], row[4], row[5], _from_text(row[6]), _from_text(row[7]))


def _campaign(row: tuple) -> Campaign:
    return Campaign(
        id=row[0], kind=row[1], agreement=row[2], from_versions=row[3], to_version=row[4],
        effective=date.fromisoformat(row[5]), notice_days=row[6], send_by=date.fromisoformat(row[7]),
        created_at=_from_text(row[8]), summary=row[9], clause_label=row[10], clause_text=row[11],
        new_party=row[12], short_notice_reason=row[13], cancelled_at=_from_text(row[14]), cancel_reason=row[15])


def _notice(row: tuple) -> Notice:
    return Notice(*row[:12], _from_text(row[12]), row[13], row[14], row[15], row[16], _from_text(row[17]),
                  _from_text(row[18]), row[19], row[20])
