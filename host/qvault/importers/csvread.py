"""Reading CSV exports: encoding, RFC 4180 records and the physical line of each.

Python's csv module parses the file, so a quoted field may hold commas, doubled
quotes and newlines. Each record is reported with the physical line where it
starts, counting the lines inside quoted fields, so a user can find it in an editor.
"""

import codecs
import csv
import dataclasses
import io
import logging
import pathlib
from typing import Iterator

from qvault.importers.records import Draft, ParsedSource, Problem, SourceError

log = logging.getLogger(__name__)

# A password export of a few hundred thousand entries stays far below this.
FILE_MAX_BYTES = 256 * 1024 * 1024
FALLBACK_ENCODING = "cp1252"

# csv's default field cap is 128 KiB, and a longer note would stop the whole file.
# Entry validation rejects long fields with a clear message instead. NOTE: this
# sets a process-wide csv setting.
csv.field_size_limit(max(csv.field_size_limit(), FILE_MAX_BYTES))


@dataclasses.dataclass
class CsvRow:
    """One CSV record: values by lower-cased header name, and its first physical line."""

    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def location(self) -> str:
        return f"line {self.line}"


def read_bytes(path: pathlib.Path) -> bytes:
    """Read a source file after checking its size against FILE_MAX_BYTES."""
    try:
        size = path.stat().st_size
        if size > FILE_MAX_BYTES:
            raise SourceError(f"{path}: the file is {size} bytes; the maximum is {FILE_MAX_BYTES}")
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory, not a CSV file") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read the file ({error.strerror})") from None


def decode(data: bytes, path: pathlib.Path, encoding: str | None, notices: list[str]) -> str:
    """Decode as UTF-8 (BOM stripped), or as the given encoding, or as cp1252 with a notice.

    The cp1252 fallback covers spreadsheets saved on Windows; a notice names the
    encoding so a wrong guess is visible before anything is written.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceError(f"--encoding {encoding}: unknown encoding; use a Python codec name such as utf-8 or cp1252") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            raise SourceError(f"{path}: byte {error.start} is not valid {encoding}; check --encoding") from None
        return text.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        offset = error.start
    try:
        text = data.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        raise SourceError(
            f"{path}: the file is neither UTF-8 (invalid byte at offset {offset}) nor {FALLBACK_ENCODING}; "
            "pass --encoding NAME"
        ) from None
    notices.append(
        f"{path.name} is not UTF-8 (invalid byte at offset {offset}); read it as {FALLBACK_ENCODING} "
        "(Windows Western European); pass --encoding NAME if characters look wrong"
    )
    return text


@dataclasses.dataclass
class CsvHeader:
    """The lower-cased column names of a CSV file and the physical line they are on."""

    names: list[str]
    line: int


def _read_header(reader, path: pathlib.Path) -> CsvHeader | None:
    """Read the first non-blank record of reader as the header, or return None for an empty file.

    A header that runs over several physical lines has an unclosed quote, because
    column names never contain line breaks. Its names would swallow the records
    below it, passwords included, so it is a syntax error, reported by line number.
    """
    start = 1
    try:
        for values in reader:
            if values:
                break
            start = reader.line_num + 1
        else:
            return None
    except csv.Error as error:
        raise SourceError(f"{path} line {reader.line_num}: invalid CSV header ({error}); nothing was imported") from None
    if reader.line_num > start:
        raise SourceError(
            f"{path} line {start}: invalid CSV header: a quote opened in the header is not closed on that line; "
            "fix the quote and import again"
        )
    return CsvHeader([name.strip().lower() for name in values], start)


def header_of(text: str, path: pathlib.Path) -> CsvHeader | None:
    """Return the header of a CSV text, or None for an empty file. A broken header raises SourceError."""
    return _read_header(csv.reader(io.StringIO(text, newline=""), strict=False), path)


def rows(text: str, path: pathlib.Path, problems: list[Problem]) -> tuple[CsvHeader, Iterator[CsvRow]]:
    """Return the header and an iterator of its records.

    A record with more or fewer values than the header becomes a Problem, because
    guessing which value belongs to which column would put a password into the
    wrong field. A CSV syntax error stops the import as a whole (SourceError).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = _read_header(reader, path)
    if header is None:
        raise SourceError(f"{path}: the file is empty; expected a CSV header line")
    consumed = reader.line_num

    def records() -> Iterator[CsvRow]:
        nonlocal consumed
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise SourceError(f"{path} line {reader.line_num}: invalid CSV ({error}); nothing was imported") from None
            start, consumed = consumed + 1, reader.line_num
            if not values or all(not value.strip() for value in values):
                continue
            if len(values) != len(header.names):
                problems.append(
                    Problem(f"line {start}", f"the record has {len(values)} values but the header has {len(header.names)} columns")
                )
                continue
            yield CsvRow(start, dict(zip(header.names, values)))

    return header, records()


def describe_known(header: CsvHeader, known: set[str], format_name: str) -> str:
    """Describe a header by its column count and the names in known.

    Only names from known are quoted: a file without a header has a record on its
    first line, and that record's other values may be passwords.
    """
    found = sorted(set(header.names) & known)
    count = len(header.names)
    columns = f"{count} column{'' if count == 1 else 's'}"
    if not found:
        return f"the header on line {header.line} has {columns}, none of them a {format_name} column"
    return f"the header on line {header.line} has {columns}, including {', '.join(found)}"


def require(header: CsvHeader, columns: set[str], path: pathlib.Path, format_name: str) -> None:
    """Raise SourceError naming the columns a format needs but the header lacks."""
    missing = sorted(columns - set(header.names))
    if missing:
        raise SourceError(
            f"{path}: not a {format_name} CSV export: missing column(s) {', '.join(missing)}; "
            f"{describe_known(header, columns, format_name)}"
        )


def open_source(path: pathlib.Path, encoding: str | None, parsed: ParsedSource, required: set[str], format_name: str) -> Iterator[CsvRow]:
    """Read, decode and check the header of a CSV export; return its records."""
    text = decode(read_bytes(path), path, encoding, parsed.notices)
    header, records = rows(text, path, parsed.problems)
    require(header, required, path, format_name)
    return records


def login_draft(row: CsvRow, *, title: str | None = None, notes: str | None = None, totp: str | None = None) -> Draft:
    """Start a login from the url, username and password columns most exports share.

    title, notes and totp name the columns that hold those values in this format,
    or None where the format has no such column.
    """
    draft = Draft("login", row.location)
    if title is not None:
        draft.set("title", row.get(title))
    draft.add_url(row.get("url"))
    draft.set("username", row.get("username"))
    draft.set("password", row.get("password"))
    if notes is not None:
        draft.set("notes", row.get(notes))
    if totp is not None:
        draft.set_totp(row.get(totp))
    return draft
