"""Where the state database is and how to talk to it: SQLite or PostgreSQL behind one small interface.

``state_db`` in clausewise.toml is a path (``.clausewise/state.sqlite3``, also written
``sqlite:PATH``) or a PostgreSQL URL ``postgresql://user@host:port/database``. The store writes
one set of SQL in SQLite's style (``?`` parameters); :class:`PostgresDatabase` translates it once
per statement (``?`` -> ``%s``) and adds what differs: the claim's row lock, the journal's
insertion order, the schema version's home and ``COLLATE "C"`` text, so that PostgreSQL compares
and orders text byte by byte as SQLite does, whatever the server's locale.

A password never comes from state_db: it comes from ``CLAUSEWISE_STATE_PASSWORD``, ``PGPASSWORD``
(read by libpq) or ``state_password`` in the git-ignored secrets file, and no message shows it.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Union
from urllib.parse import unquote, urlsplit

from ..errors import ClausewiseError

Backend = Literal["sqlite", "postgresql"]
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_URL_FORM = "a path, sqlite:PATH or postgresql://user@host:port/database"
PASSWORD_ADVICE = ("set CLAUSEWISE_STATE_PASSWORD (or PGPASSWORD) in the environment, or state_password in "
                   ".clausewise/secrets.toml")


@dataclass(frozen=True)
class PostgresUrl:
    """A PostgreSQL state_db, without a password: ``postgresql://user@host:port/database``."""

    url: str

    def __str__(self) -> str:
        return self.url

    @property
    def database(self) -> str:
        return unquote(urlsplit(self.url).path.lstrip("/"))


StateLocation = Union[Path, PostgresUrl]


def parse_state_db(value: str, base: Path) -> StateLocation:
    """The state database named by ``value`` (a state_db setting); relative paths are under ``base``.

    A PostgreSQL URL that holds a password is refused, and the message shows none of it.
    """
    if value.startswith(_POSTGRES_SCHEMES):
        return PostgresUrl(_checked_postgres_url(value))
    if value.startswith("sqlite:"):
        value = value[len("sqlite:"):]
        value = value[2:] if value.startswith("///") else value  # sqlite:///abs/path -> /abs/path
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        raise ClausewiseError(f"state_db {value.split('://', 1)[0]}://...: unsupported kind of database; write "
                              f"{_URL_FORM} in clausewise.toml")
    if not value:
        raise ClausewiseError(f"state_db is empty; write {_URL_FORM} in clausewise.toml")
    path = Path(value)
    return path if path.is_absolute() else base / path


def _checked_postgres_url(value: str) -> str:
    scheme, rest = value.split("://", 1)
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    userinfo, at, _hostport = authority.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        shown = user if re.fullmatch(r"[\w.-]+", user) else "USER"
        raise ClausewiseError(f"state_db {scheme}://{shown}:***@...: contains a password; remove it from "
                              f"clausewise.toml and {PASSWORD_ADVICE}")
    if re.search(r"[?&]password=", rest, re.IGNORECASE):
        raise ClausewiseError(f"state_db {scheme}://...?password=***: contains a password; remove it from "
                              f"clausewise.toml and {PASSWORD_ADVICE}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ClausewiseError(f"state_db {value}: not a valid PostgreSQL URL ({exc}); write "
                              "postgresql://user@host:port/database") from None
    if not parts.path.strip("/"):
        raise ClausewiseError(f"state_db {value}: names no database; write postgresql://user@host:port/database")
    return value


def database_errors() -> tuple[type[BaseException], ...]:
    """The exception classes a state database raises (psycopg's only once it is loaded): use as
    ``except database_errors()``."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)


class SqliteDatabase(sqlite3.Connection):
    """A SQLite connection with the few extras the store asks of every back end."""

    backend: Backend = "sqlite"
    # Appended to the claim's inner SELECT: none, the claim runs in a BEGIN IMMEDIATE transaction,
    # which already excludes every other writer.
    claim_lock = ""
    row_lock = ""  # appended to a SELECT of rows the transaction then updates: BEGIN IMMEDIATE suffices
    insertion_order = "rowid"  # the events journal's order of writing

    @property
    def name(self) -> str:
        return str(self.path)

    def configure(self) -> None:
        """WAL (readers never wait for the writer), fewer syncs, foreign keys checked."""
        self.execute("PRAGMA journal_mode=WAL")
        self.execute("PRAGMA synchronous=NORMAL")
        self.execute("PRAGMA foreign_keys=ON")

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def end_stalled_transactions(self, seconds: float) -> None:
        """No such setting: SQLite's lock goes with its process."""

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        """Rows of a query as they are read (a long listing never sits in memory whole)."""
        return iter(self.execute(sql, params))

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Held around a migration's transaction: none needed, its BEGIN IMMEDIATE excludes every
        other writer."""
        yield

    def schema_version(self) -> int:
        """user_version, or the schema_version table of a database made before user_version was used
        (0 for a new, empty database)."""
        version = self.execute("PRAGMA user_version").fetchone()[0]
        if self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone():
            row = self.execute("SELECT version FROM schema_version").fetchone()
            version = max(version, row[0] if row else 1)
        return version

    def write_schema_version(self, version: int) -> None:
        # The schema_version table tells clausewise releases before user_version that this is newer.
        self.execute("DELETE FROM schema_version")
        self.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        self.execute(f"PRAGMA user_version = {version:d}")

    @staticmethod
    def ddl(statement: str) -> str:
        return statement


def connect_sqlite(path: Path) -> SqliteDatabase:
    connection = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False,
                                 factory=SqliteDatabase)
    connection.path = path
    return connection


# A placeholder '?', a '%' (doubled for psycopg), or a quoted literal or name (left as it is).
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
_TEXT_TYPE = re.compile(r"\bTEXT\b")
_SERVER_CURSORS = itertools.count(1)


@lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """SQLite-style SQL with ``?`` parameters as psycopg takes it (``%s``; a literal ``%`` doubled)."""
    return _TOKENS.sub(lambda m: "%s" if m.group(0) == "?" else "%%" if m.group(0) == "%" else m.group(0), sql)


class PostgresDatabase:
    """A psycopg connection that takes the store's SQL as written for SQLite (see the module's doc)."""

    backend: Backend = "postgresql"
    claim_lock = " FOR UPDATE SKIP LOCKED"  # concurrent claims skip each other's rows instead of waiting
    row_lock = " FOR UPDATE"  # a sender's lease, a rate slot: read, then updated by the same transaction
    insertion_order = "id"
    # Any 64-bit number of our own: migrations hold it (pg_advisory_lock) so that two processes
    # starting at once never migrate the same database twice.
    _MIGRATION_LOCK = 0x636C617573657769  # "clausewi"

    def __init__(self, connection: Any, url: PostgresUrl) -> None:
        self._connection = connection
        self.path = url
        self.name = str(url)

    @property
    def connection(self) -> Any:
        """The psycopg connection itself (COPY, server-side cursors), in autocommit mode: a statement
        outside ``begin``/``commit`` commits at once."""
        return self._connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._connection.execute(to_postgres(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self._connection.cursor()
        cursor.executemany(to_postgres(sql), rows)
        return cursor

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        """Rows of a query through a server-side cursor, a few thousand at a time; WITH HOLD so that
        it outlives the statement's own transaction and other statements can run meanwhile."""
        with self._connection.cursor(name=f"clausewise_stream_{next(_SERVER_CURSORS)}", withhold=True) as cursor:
            cursor.itersize = 2000
            cursor.execute(to_postgres(sql), params)
            yield from cursor

    def begin(self) -> None:
        self._connection.execute("BEGIN")

    def end_stalled_transactions(self, seconds: float) -> None:
        """The server ends this session if it stays inside a transaction for longer than ``seconds``
        (a client frozen mid-transaction, or cut off, would hold its row locks indefinitely)."""
        self._connection.execute("SELECT set_config('idle_in_transaction_session_timeout', %s, false)",
                                 (str(max(1, int(seconds * 1000))),))

    def commit(self) -> None:
        self._connection.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Held around a migration's transaction. A session lock, taken before BEGIN: a transaction
        begun before another process's migration committed would still see the old catalog."""
        self._connection.execute("SELECT pg_advisory_lock(%s)", (self._MIGRATION_LOCK,))
        try:
            yield
        finally:
            if not self._connection.closed:
                self._connection.execute("SELECT pg_advisory_unlock(%s)", (self._MIGRATION_LOCK,))

    def schema_version(self) -> int:
        """The number in the schema_version table (0 for a database without one: new and empty)."""
        if self._connection.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        row = self._connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0

    def write_schema_version(self, version: int) -> None:
        self._connection.execute("DELETE FROM schema_version")
        self._connection.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))

    @staticmethod
    def ddl(statement: str) -> str:
        """A schema statement for PostgreSQL: text compared and ordered byte by byte, as in SQLite."""
        return _TEXT_TYPE.sub('TEXT COLLATE "C"', statement)


def connect_postgres(url: PostgresUrl, password: str | None) -> PostgresDatabase:
    """Connect to a PostgreSQL state database; one ``Error:`` line (password masked) on failure."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise ClausewiseError(f"state_db {url}: PostgreSQL needs the psycopg package; reinstall clausewise "
                              "(pip install clausewise)") from None
    extra = {"password": password} if password else {}
    try:
        connection = psycopg.connect(url.url, autocommit=True, connect_timeout=15,
                                     application_name="clausewise", **extra)
    except psycopg.Error as exc:
        raise ClausewiseError(connection_problem(url, str(exc), password)) from None
    return PostgresDatabase(connection, url)


def connection_problem(url: PostgresUrl, message: str, password: str | None = None) -> str:
    """One line saying why the server refused (or could not be reached) and how to fix it."""
    if password:
        message = message.replace(password, "***")
    reason = " ".join(message.split())
    reason = re.sub(r"^connection failed: ", "", reason)
    lowered = reason.lower()
    where = f"state_db {url}"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        fix = f"the password is wrong or missing: {PASSWORD_ADVICE}"
    elif "database" in lowered and "does not exist" in lowered:
        fix = (f"create the database (createdb {url.database}, or CREATE DATABASE as an administrator) or "
               "correct its name in state_db")
    elif "role" in lowered and "does not exist" in lowered:
        fix = "create that role on the server or correct the user in state_db"
    elif "refused" in lowered or "timeout" in lowered or "could not translate host" in lowered \
            or "no route" in lowered or "is the server running" in lowered:
        fix = "start the PostgreSQL server or correct the host and port in state_db"
    else:
        fix = "check the server and state_db in clausewise.toml"
    return f"{where}: cannot connect ({reason}); {fix}"
