"""``clausewise state copy``: a SQLite state moved to PostgreSQL in one transaction, verified.

Every table of the SQLite schema (customers, campaigns, the ledger, the journal, bounces,
publications, and any later one) is streamed into the target with COPY, in rowid order (the
journal's order), inside one PostgreSQL transaction. Each table's rows are counted and digested
(tabledigest) as they are written and again as the target reads them back inside that transaction;
only when every table agrees is it committed. An error, a mismatch or a killed process leaves the
target as it was: PostgreSQL rolls back a transaction whose connection goes away.

The source is read in one SQLite read transaction, so the copy is one consistent snapshot even if
another process writes meanwhile (what it writes after the snapshot is not copied: stop senders and
imports first).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..config import state_password
from ..errors import ClausewiseError, UsageProblem
from ..faults import checkpoint
from .statedb import PostgresUrl, SqliteDatabase, parse_state_db
from .store import SCHEMA_VERSION, open_store, state_location
from .tabledigest import DigestBuilder, TableDigest

if TYPE_CHECKING:
    import psycopg

    from ..versions import AgreementRepo

# Schema bookkeeping, not state: the target keeps its own.
_NOT_COPIED = ("schema_version",)
_READ_BATCH = 5000


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class CopiedTable:
    """One table as written from the source and as read back from the target."""

    source: TableDigest
    target: TableDigest

    @property
    def agrees(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class StateCopy:
    """What ``state copy`` did: from where, to where, and each table on both sides."""

    source: Path
    target: PostgresUrl
    tables: list[CopiedTable]


def copy_to_postgres(repo: AgreementRepo, url: str, *, replace: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> StateCopy:
    """Copy the repository's SQLite state to the PostgreSQL database ``url`` (no password in it: the
    repository's state password comes from the environment or its secrets file). The target gets
    the current schema first if it has none (as ``state migrate`` would), then every row in one
    transaction (see :func:`copy_state`)."""
    target = target_url(url)
    source = state_location(repo)
    if isinstance(source, PostgresUrl):
        raise ClausewiseError(f"state_db is already PostgreSQL ({source}); state copy copies a SQLite state: "
                              "set state_db to the SQLite file to copy")
    reader = _open_source(source)
    try:
        source_tables(reader, source)  # refuse an old or foreign source before touching the target
    finally:
        reader.close()
    with open_store(target, password=state_password(repo.root)) as store:
        tables = copy_state(source, store.pg_connection, replace=replace, progress=progress)
    return StateCopy(source, target, tables)


def target_url(value: str) -> PostgresUrl:
    """``--to``: a PostgreSQL URL without a password; UsageProblem (showing none of it) otherwise."""
    if not value.startswith(("postgresql://", "postgres://")):
        raise UsageProblem("--to: write the target as postgresql://user@host:port/database")
    try:
        location = parse_state_db(value, Path.cwd())
    except ClausewiseError as exc:  # its message masks any password
        raise UsageProblem("--to " + str(exc).removeprefix("state_db ").replace(" from clausewise.toml", ""))
    assert isinstance(location, PostgresUrl)
    return location


def copy_lines(copy: StateCopy, output_format: str) -> Iterator[str]:
    """``state copy``'s report: each table's rows and digest on both sides (text or one JSON object)."""
    if output_format == "json":
        yield json.dumps({
            "source": str(copy.source), "target": str(copy.target), "verified": all(t.agrees for t in copy.tables),
            "tables": [{"table": t.source.table, "source_rows": t.source.rows, "target_rows": t.target.rows,
                        "source_sha256": t.source.sha256, "target_sha256": t.target.sha256} for t in copy.tables]},
            ensure_ascii=False)
        return
    width = max(len(t.source.table) for t in copy.tables)
    yield f"copied {copy.source} to {copy.target} in one transaction:"
    yield f"  {'table':<{width}}  {'rows':>12}  sha256 of the rows (source = target)"
    for t in copy.tables:
        yield f"  {t.source.table:<{width}}  {t.source.rows:>12,}  {t.source.sha256}"
    yield (f"{sum(t.source.rows for t in copy.tables):,} rows; every table read back from the target has the "
           "source's row count and digest.")
    yield (f'To use it, set state_db = "{copy.target}" in clausewise.toml (its password: '
           "CLAUSEWISE_STATE_PASSWORD or state_password in .clausewise/secrets.toml).")


def copy_state(source: Path, target: "psycopg.Connection", *, replace: bool = False,
               progress: Callable[[int, int], None] | None = None) -> list[CopiedTable]:
    """Copy every table of the SQLite state ``source`` into ``target`` (whose schema is current),
    in one transaction, and return each table's counts and digests on both sides.

    ClausewiseError, with nothing written, if the source's schema is not current, if a target
    table already holds rows (unless ``replace``: they are deleted in the same transaction), if a
    row cannot be written, or if the target's counts or digests differ from the source's.
    ``progress(rows copied, rows in all)`` is called as rows are written.
    """
    reader = _open_source(source)
    try:
        reader.execute("BEGIN")  # one snapshot for every table
        tables = source_tables(reader, source)
        total = sum(t.rows for t in tables)
        with target.transaction():
            _check_target(target, tables, replace)
            written: list[TableDigest] = []
            for table in tables:
                before = sum(w.rows for w in written)
                written.append(_copy_table(reader, target, table, source,
                                           lambda n: progress(before + n, total) if progress else None))
                checkpoint("state-copy-table")
            copied = [CopiedTable(w, _target_digest(target, t)) for w, t in zip(written, tables)]
            wrong = [c for c in copied if not c.agrees]
            if wrong:
                details = "; ".join(f"{c.source.table}: {c.source.rows} rows written, {c.target.rows} read back"
                                    + ("" if c.source.rows != c.target.rows else ", different content")
                                    for c in wrong)
                raise ClausewiseError(f"the copy does not match the source ({details}); nothing was copied. "
                                      "Check the target's schema (clausewise state migrate) and copy again")
            checkpoint("state-copy-verified")
        return copied
    finally:
        reader.close()


def _open_source(path: Path) -> SqliteDatabase:
    if not path.is_file():
        raise ClausewiseError(f"{path}: no state database there; 'state_db' in clausewise.toml names the SQLite "
                              "file to copy")
    try:
        return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, isolation_level=None,
                               factory=SqliteDatabase)
    except sqlite3.Error as exc:
        raise ClausewiseError(f"{path}: cannot open the state database ({exc})") from None


def source_tables(reader: SqliteDatabase, path: Path) -> list[SourceTable]:
    """The state's tables, each after the tables it references, with their columns and row counts;
    ClausewiseError unless the schema is this clausewise's."""
    try:
        version = reader.schema_version()
        names = [name for (name,) in reader.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
            if name not in _NOT_COPIED]
    except sqlite3.DatabaseError as exc:
        raise ClausewiseError(f"{path}: not a usable state database ({exc})") from None
    if version == 0 or not names:
        raise ClausewiseError(f"{path}: not a clausewise state database (no schema); nothing to copy")
    if version < SCHEMA_VERSION:
        raise ClausewiseError(f"{path}: the state database has schema {version}, this clausewise writes schema "
                              f"{SCHEMA_VERSION}; run 'clausewise state migrate' first, then copy it")
    if version > SCHEMA_VERSION:
        raise ClausewiseError(f"{path}: the state database has schema {version}, newer than this clausewise "
                              f"(schema {SCHEMA_VERSION}); upgrade clausewise")
    references = {name: {row[2] for row in reader.execute(f'PRAGMA foreign_key_list("{name}")')} for name in names}
    tables = []
    for name in _referenced_first(names, references):
        columns = tuple(row[1] for row in reader.execute(f'PRAGMA table_info("{name}")'))
        rows = reader.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
        tables.append(SourceTable(name, columns, rows))
    return tables


def _referenced_first(names: Sequence[str], references: dict[str, set[str]]) -> list[str]:
    """``names`` so that every table comes after the tables it references (alphabetical otherwise)."""
    ordered: list[str] = []
    remaining = list(names)
    while remaining:
        waiting = {n: (references[n] & set(remaining)) - {n} for n in remaining}
        ready = [n for n in remaining if not waiting[n]] or remaining[:1]  # a reference cycle: take the first
        ordered += ready
        remaining = [n for n in remaining if n not in ready]
    return ordered


def _check_target(target: "psycopg.Connection", tables: list[SourceTable], replace: bool) -> None:
    """Refuse a target whose schema lacks a table or column of the source, or that holds rows."""
    present: dict[str, set[str]] = {}
    for table, column in target.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"):
        present.setdefault(table, set()).add(column)
    for table in tables:
        missing = [c for c in table.columns if c not in present.get(table.name, set())]
        if table.name not in present or missing:
            what = f"table {table.name}" if table.name not in present else f"column {table.name}.{missing[0]}"
            raise ClausewiseError(f"the target database has no {what}; its schema is not this clausewise's: "
                                  "run 'clausewise state migrate' with state_db set to it, then copy again")
    held = [(t.name, target.execute(f'SELECT COUNT(*) FROM "{t.name}"').fetchone()[0]) for t in tables]
    held = [(name, count) for name, count in held if count]
    if held and not replace:
        listing = ", ".join(f"{name}: {count} rows" for name, count in held)
        raise ClausewiseError(f"the target database already holds clausewise state ({listing}); copy to an empty "
                              "database, or pass --replace to delete those rows in the same transaction")
    if held:
        target.execute("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables))


def _copy_table(reader: SqliteDatabase, target: "psycopg.Connection", table: SourceTable, source: Path,
                progress: Callable[[int], None]) -> TableDigest:
    import psycopg

    columns = ", ".join(f'"{c}"' for c in table.columns)
    digest = DigestBuilder(table.name)
    rows = reader.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY rowid')
    try:
        with target.cursor().copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            while batch := rows.fetchmany(_READ_BATCH):
                for row in batch:
                    copy.write_row(row)
                    digest.add(row)
                progress(digest.rows)
    except psycopg.Error as exc:
        raise ClausewiseError(f"{source}: table {table.name} cannot be written to the target "
                              f"({_first_line(exc)}); nothing was copied") from None
    return digest.result()


def _target_digest(target: "psycopg.Connection", table: SourceTable) -> TableDigest:
    columns = ", ".join(f'"{c}"' for c in table.columns)
    digest = DigestBuilder(table.name)
    with target.cursor(name=f"verify_{table.name}") as cursor:
        cursor.itersize = _READ_BATCH
        cursor.execute(f'SELECT {columns} FROM "{table.name}"')
        digest.add_all(cursor)
    return digest.result()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
