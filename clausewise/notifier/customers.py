"""Customers import: a CSV or JSON Lines file, streamed, validated, and written all-or-nothing.

Rows go to the database as they are read, inside one transaction that the first bad row rolls
back, so a file of a million rows never sits in memory and a failed import leaves nothing behind.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import ClausewiseError, UsageProblem
from ..textcheck import char_name, first_bidi_control, first_invisible, first_surrogate
from .message import CONTROL_CHARACTERS, ENCODED_WORD_START
from .store import CustomerRow, ImportCounts, Store

if TYPE_CHECKING:
    from ..versions import AgreementRepo

COLUMNS = ("customer_id", "name", "email", "language", "agreement", "version")
FileFormat = Literal["csv", "jsonl"]
SUFFIX_FORMATS: dict[str, FileFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
BATCH_SIZE = 2000
PROGRESS_LINES = 5000  # how often a progress bar hears of the import
# Longest value accepted per column (characters, after trimming; see README "Customers"): a name or
# an address goes into a mail header, whose lines SMTP servers refuse beyond 998 bytes.
FIELD_LIMITS = {"customer_id": 128, "name": 200, "email": 254, "language": 35, "agreement": 64, "version": 10}

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\u0080-\U0010ffff]{1,64}")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_VERSION = re.compile(r"[vV]?([0-9]{1,9})")


class RowProblem(ValueError):
    """What is wrong with one row; the importer adds the file and line."""


def file_format(path: str | os.PathLike[str], given: str | None = None) -> FileFormat:
    """The format named by ``given``, else by the file's suffix (.csv, .jsonl, .ndjson)."""
    if given is not None:
        return "jsonl" if given == "jsonl" else "csv"
    found = SUFFIX_FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise UsageProblem(f"{path}: cannot tell the format from the suffix; name it .csv or .jsonl, "
                           "or pass --format csv|jsonl")
    return found


def import_customers(store: Store, path: str | os.PathLike[str], published: Mapping[str, set[int]], *,
                     fmt: FileFormat | None = None, batch_size: int = BATCH_SIZE,
                     progress: Callable[[int, int], None] | None = None) -> ImportCounts:
    """Upsert every row of ``path`` into ``store``, or nothing at all.

    ``published`` maps each agreement id to its published version numbers (see
    :func:`published_versions`). The first bad row raises ClausewiseError naming the file, line,
    column and fix; the transaction is then rolled back. ``progress(bytes read, file size)`` is
    called every few thousand lines and at the end. The ledger is brought up to date in the same
    transaction (see Store.sync_notices): a customer's changed address re-queues their failed
    notices at once.
    """
    lines = _lines(path, progress)
    records = _csv_records(path, lines) if file_format(path, fmt) == "csv" else _jsonl_records(path, lines)
    rows = _validated_rows(path, records, published)
    with store.transaction():
        if store.backend == "postgresql":
            from .pgimport import copy_customers

            counts = copy_customers(store.pg_connection, path, rows)
        else:
            counts = _staged_import(store, path, rows, batch_size)
        store.sync_notices()  # in the same transaction: a corrected address re-queues a failed notice now
        return counts


class BadRow(Exception):
    """The first row of the file that cannot be imported: ``error`` says why. The importer reports a
    conflict on an earlier line first, so that both back ends name the same first fault."""

    def __init__(self, error: ClausewiseError) -> None:
        super().__init__(str(error))
        self.error = error


def _validated_rows(path: str | os.PathLike[str], records: Iterator[tuple[int, Mapping[str, object]]],
                    published: Mapping[str, set[int]]) -> Iterator[tuple[int, CustomerRow]]:
    """(line, validated row) for every record; BadRow at the first unreadable record or invalid row."""
    try:
        for line, record in records:
            try:
                row = parse_row(record, published)
            except RowProblem as problem:
                raise BadRow(_row_error(path, line, str(problem))) from None
            yield line, row
    except ClausewiseError as exc:  # the reader's: malformed CSV, invalid JSON, not UTF-8, a bad header
        raise BadRow(exc) from None


def _staged_import(store: Store, path: str | os.PathLike[str], rows: Iterator[tuple[int, CustomerRow]],
                   batch_size: int) -> ImportCounts:
    """SQLite: rows staged in batches (Store.stage_import) and upserted as they come."""
    store.begin_import()
    batch: list[tuple[int, CustomerRow]] = []
    try:
        for numbered in rows:
            batch.append(numbered)
            if len(batch) >= batch_size:
                _flush(store, path, batch)
    except BadRow as bad:
        _flush(store, path, batch)  # a conflict on an earlier line is reported first
        raise bad.error from None
    _flush(store, path, batch)
    return store.end_import()


def published_versions(repo: AgreementRepo) -> dict[str, set[int]]:
    """Each agreement id of ``repo`` (an AgreementRepo) and the numbers of its published versions."""
    return {agreement.id: {v.number for v in repo.versions(agreement.id)} for agreement in repo.agreements()}


def _flush(store: Store, path: str | os.PathLike[str], batch: list[tuple[int, CustomerRow]]) -> None:
    if not batch:
        return
    conflict = store.stage_import(batch)
    batch.clear()
    if conflict is not None:
        line, earlier, row = conflict
        raise conflict_error(path, line, earlier, row.customer_id, row.agreement)


def conflict_error(path: str | os.PathLike[str], line: int, earlier: int, customer_id: str,
                   agreement: str) -> ClausewiseError:
    """The error for a row that contradicts an earlier row of the same file."""
    return _row_error(path, line, f"conflicts with line {earlier}: customer {customer_id!r} on agreement "
                                  f"{agreement!r} has a different name, email, language or version there; "
                                  "keep one row per customer and agreement")


def _row_error(path: str | os.PathLike[str], line: int, problem: str) -> ClausewiseError:
    return ClausewiseError(f"{path}:{line}: {problem}; fix the row and import again — nothing was imported")


def _csv_records(path: str | os.PathLike[str], lines: Iterator[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line of the record, {column: value}) for every non-empty record after the header."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ClausewiseError(f"{path}: the file is empty; the first line must name the columns "
                                  f"{', '.join(COLUMNS)} — nothing was imported")
        columns = [name.strip().lower() for name in header]
        for column in COLUMNS:
            if column not in columns:
                raise _row_error(path, 1, f"missing column '{column}' in the header; the header must name "
                                          f"{', '.join(COLUMNS)}")
        duplicated = sorted({name for name in columns if columns.count(name) > 1 and name in COLUMNS})
        if duplicated:
            raise _row_error(path, 1, f"column '{duplicated[0]}' appears twice in the header")
        positions = {column: columns.index(column) for column in COLUMNS}
        previous_end = reader.line_num
        for fields in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not fields or fields == [""]:
                continue
            if len(fields) > len(columns):
                raise _row_error(path, start, f"{len(fields)} fields but the header names {len(columns)} "
                                              "columns (an unquoted comma?)")
            yield start, {column: fields[i] if i < len(fields) else None for column, i in positions.items()}
    except csv.Error as exc:
        raise _row_error(path, reader.line_num, f"malformed CSV ({exc})") from None


def _jsonl_records(path: str | os.PathLike[str], lines: Iterator[str]) -> Iterator[tuple[int, dict[str, object]]]:
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _row_error(path, line, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        except ValueError:  # an integer of more than 4,300 digits (sys.int_info.default_max_str_digits)
            raise _row_error(path, line, "a number too long to read; write ids and versions as short text") from None
        except RecursionError:
            raise _row_error(path, line, "arrays or objects nested too deeply; each line must be one flat "
                                         "JSON object") from None
        if not isinstance(record, dict):
            raise _row_error(path, line, "each line must be one JSON object with the fields "
                                         f"{', '.join(COLUMNS)}")
        yield line, record


def _lines(path: str | os.PathLike[str], progress: Callable[[int, int], None] | None = None) -> Iterator[str]:
    """The file's lines, line endings kept, decoded one by one so a bad byte is found on its line;
    ``progress(bytes read, file size)`` every PROGRESS_LINES lines and at the end."""
    try:
        handle = open(path, "rb")
        size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot read the customers file ({exc.strerror})") from None
    done = 0
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _row_error(path, number, "not UTF-8 text; save the file as UTF-8") from None
            if progress is not None:
                done += len(raw)
                if number % PROGRESS_LINES == 0:
                    progress(done, size)
            yield text.removeprefix("\ufeff") if number == 1 else text
    if progress is not None:
        progress(size, size)


def parse_row(record: Mapping[str, object], published: Mapping[str, set[int]]) -> CustomerRow:
    """One validated customer row from one record of the file; RowProblem names the column at fault."""
    values = {column: _value(record, column) for column in COLUMNS}
    customer_id = values["customer_id"]
    if CONTROL_CHARACTERS.search(customer_id):
        raise RowProblem(f"control character in customer_id {customer_id!r} (column customer_id)")
    _refuse(customer_id, "customer_id", first_invisible(customer_id))
    name = values["name"]
    if "\r" in name or "\n" in name:
        raise RowProblem(f"line break in name {name!r} (column name); a name goes into an email header "
                         "and must be one line")
    if CONTROL_CHARACTERS.search(name):
        raise RowProblem(f"control character in name {name!r} (column name)")
    if ENCODED_WORD_START in name:
        raise RowProblem(f"'=?' in name {name!r} (column name): mail programs decode it as an RFC 2047 encoded "
                         "word, which can smuggle in a header; write the name itself")
    _refuse(name, "name", first_bidi_control(name))
    _refuse(values["email"], "email", first_invisible(values["email"], wide_spaces=True))
    agreement = values["agreement"]
    if agreement not in published:
        known = ", ".join(sorted(published)) or "none yet"
        raise RowProblem(f"unknown agreement {agreement!r} (column agreement); known agreements: {known}")
    version = parse_version(values["version"])
    if version not in published[agreement]:
        versions = ", ".join(f"v{n}" for n in sorted(published[agreement])) or "none yet"
        raise RowProblem(f"agreement {agreement!r} has no published version v{version} (column version); "
                         f"published: {versions}")
    return CustomerRow(customer_id=customer_id, name=name, email=normalize_email(values["email"]),
                       language=template_language(values["language"]), agreement=agreement, version=version)


def _value(record: Mapping[str, object], column: str) -> str:
    raw = record.get(column)
    if type(raw) is not str:
        if raw is None:
            raise RowProblem(f"missing {column} (column {column})")
        if type(raw) is not int:
            raise RowProblem(f"{column} must be text, not {json.dumps(raw, ensure_ascii=False)} (column {column})")
        raw = str(raw)
    text = raw.strip()
    if not text:
        raise RowProblem(f"empty {column} (column {column})")
    if len(text) > FIELD_LIMITS[column]:
        raise RowProblem(f"{column} is {len(text)} characters long (column {column}); at most "
                         f"{FIELD_LIMITS[column]} are allowed")
    _refuse(text, column, first_surrogate(text))
    return text


def _refuse(value: str, column: str, char: str | None) -> None:
    """RowProblem naming the invisible or unsafe character ``char`` found in ``value``, if any."""
    if char is not None:
        raise RowProblem(f"invalid {column} {value!r} (column {column}): {char_name(char)} at position "
                         f"{value.index(char) + 1} is invisible or changes how the text displays; remove it")


@lru_cache(maxsize=256)
def parse_version(value: str) -> int:
    """``2`` or ``v2`` -> 2."""
    match = _VERSION.fullmatch(value)
    if not match or int(match.group(1)) < 1:
        raise RowProblem(f"invalid version {value!r} (column version); write the version number, e.g. 2 or v2")
    return int(match.group(1))


def normalize_email(value: str) -> str:
    """A deliverable-looking address with its domain in lower-case IDNA form; RowProblem otherwise.

    Strict on purpose: one @, no spaces, line breaks, commas, quotes or angle brackets (nothing that
    could smuggle a second address or a header), a dotted domain or ``localhost``.
    """
    local, at, domain = value.rpartition("@")
    ascii_domain = _ascii_domain(domain)
    if (not at or ascii_domain is None or "@" in local or not _LOCAL_PART.fullmatch(local) or local[0] == "."
            or local[-1] == "." or ".." in local or CONTROL_CHARACTERS.search(local)
            or ENCODED_WORD_START in local):
        raise RowProblem(f"invalid email {value!r} (column email)")
    return f"{local}@{ascii_domain}"


@lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str | None:
    """The domain in lower-case IDNA form if it is a valid host name with a dot (or localhost)."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if ascii_domain != "localhost" and (len(labels) < 2 or labels[-1].isdigit()):
        return None
    if len(ascii_domain) > 253 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_domain


# A BCP 47 language tag (RFC 5646 'langtag'): language[-extlang], script, region, variants,
# extensions, private use; matched case-insensitively. The primary language is 2 or 3 letters (ISO
# 639): the syntax also allows 4-8, but no such subtag is registered, and 'english' is a mistake.
_BCP47 = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?",
    re.IGNORECASE,
)


def canonical_language_tag(value: str) -> str | None:
    """``value`` as a BCP 47 tag in its usual case (``zh-hant-tw`` -> ``zh-Hant-TW``; ``_`` read as
    ``-``), or None if it is not one."""
    tag = value.strip().replace("_", "-")
    if not _BCP47.fullmatch(tag):
        return None
    subtags = tag.split("-")
    canonical = [subtags[0].lower()]
    for subtag in subtags[1:]:
        if len(canonical[-1]) == 1:  # after a singleton (extension or private use) everything is lowercase
            canonical += [part.lower() for part in subtags[len(canonical):]]
            break
        if len(subtag) == 4 and subtag.isalpha():
            canonical.append(subtag.title())
        elif len(subtag) == 2 and subtag.isalpha():
            canonical.append(subtag.upper())
        else:
            canonical.append(subtag.lower())
    return "-".join(canonical)


@lru_cache(maxsize=256)
def template_language(value: str) -> str:
    """The language to keep for a customer: zh, zh-CN, zh_Hans... -> zh-CN; en, en-GB... -> en; any
    other valid BCP 47 tag as given (its notice is in that language if a template exists in the
    repository's templates/, else in English; see compose.pick_language)."""
    tag = canonical_language_tag(value)
    if tag is None:
        raise RowProblem(f"language {value!r} is not a BCP 47 language tag (column language); write e.g. en, "
                         "zh-CN, fr or de-CH (a language without its own templates gets the English notice)")
    primary = tag.split("-", 1)[0]
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return tag
