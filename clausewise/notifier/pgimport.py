"""Customers import into PostgreSQL: validated rows streamed with COPY, merged in one statement.

customers.import_customers validates the file row by row exactly as for SQLite and hands the rows
here, inside the import's transaction. They are streamed with ``COPY ... FROM STDIN`` (psycopg's
``cursor.copy``) into a temporary table that lives until the end of the transaction, so the
client holds one row at a time whatever the file's size. The database then finds rows that
contradict an earlier row of the file (only when the file repeats a customer and agreement at
all, which one hash aggregate tells) and merges the rows into ``customers`` with one
``INSERT ... ON CONFLICT DO UPDATE``. The first bad row, or a conflict on an earlier line, raises
the same error as the SQLite path and the caller's transaction rolls everything back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..faults import checkpoint
from .customers import BadRow, conflict_error
from .store import CustomerRow, ImportCounts, to_text, utc_now

if TYPE_CHECKING:
    import psycopg

_STAGE = """CREATE TEMP TABLE import_rows (
    line integer NOT NULL, customer_id text NOT NULL, agreement text NOT NULL, name text NOT NULL,
    email text NOT NULL, language text NOT NULL, version integer NOT NULL) ON COMMIT DROP"""
_STAGE_COLUMNS = "line, customer_id, agreement, name, email, language, version"
# Memory the server may use for the duplicate check's hash table (this transaction only).
_WORK_MEM = "64MB"


def copy_customers(connection: "psycopg.Connection", path: str | os.PathLike[str],
                   rows: Iterator[tuple[int, CustomerRow]]) -> ImportCounts:
    """Upsert ``rows`` (line, validated row) into ``customers`` inside the connection's open
    transaction; the ClausewiseError of the first fault, in file order, if any."""
    connection.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
    connection.execute("DROP TABLE IF EXISTS import_rows")
    connection.execute(_STAGE)
    bad: BadRow | None = None
    with connection.cursor().copy(f"COPY import_rows ({_STAGE_COLUMNS}) FROM STDIN") as copy:
        try:
            for line, row in rows:
                copy.write_row((line, row.customer_id, row.agreement, row.name, row.email, row.language,
                                row.version))
        except BadRow as found:
            bad = found  # the rows before it are checked for conflicts first, as on SQLite
    repeated = connection.execute(
        "SELECT EXISTS (SELECT 1 FROM import_rows GROUP BY customer_id, agreement HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    if repeated:
        conflict = connection.execute(
            """WITH firsts AS (
                   SELECT DISTINCT ON (customer_id, agreement) customer_id, agreement, line, name, email,
                          language, version
                   FROM import_rows ORDER BY customer_id, agreement, line)
               SELECT r.line, f.line, r.customer_id, r.agreement
               FROM import_rows r JOIN firsts f USING (customer_id, agreement)
               WHERE (r.name, r.email, r.language, r.version) <> (f.name, f.email, f.language, f.version)
               ORDER BY r.line LIMIT 1""").fetchone()
        if conflict is not None:
            raise conflict_error(path, *conflict)
    if bad is not None:
        raise bad.error
    before = connection.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    now = to_text(utc_now())
    # Repeated rows are identical here (a different one was a conflict): DISTINCT keeps one of each.
    source = ("SELECT DISTINCT customer_id, agreement, name, email, language, version FROM import_rows" if repeated
              else "SELECT customer_id, agreement, name, email, language, version FROM import_rows")
    written = connection.execute(
        f"""INSERT INTO customers (customer_id, agreement, name, email, language, version, created_at, updated_at)
            SELECT s.*, %(now)s, %(now)s FROM ({source}) s
            ON CONFLICT (customer_id, agreement) DO UPDATE SET
                name = excluded.name, email = excluded.email, language = excluded.language,
                version = excluded.version, updated_at = excluded.updated_at
            WHERE (customers.name, customers.email, customers.language, customers.version)
                  <> (excluded.name, excluded.email, excluded.language, excluded.version)""",
        {"now": now}).rowcount
    in_file = connection.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT customer_id, agreement FROM import_rows) k" if repeated
        else "SELECT COUNT(*) FROM import_rows").fetchone()[0]
    connection.execute("DROP TABLE import_rows")
    checkpoint("import-merged")
    new = connection.execute("SELECT COUNT(*) FROM customers").fetchone()[0] - before
    return ImportCounts(rows=in_file, new=new, changed=written - new)
