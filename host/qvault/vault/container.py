"""The SQLite container: connection settings, the schema, and the header checks.

Nothing here needs a key. Opening a file checks, in order, that it is an SQLite
database, that its application_id is Qvault's, that its schema version
(PRAGMA user_version) and format version are ones this build reads, and that the
vault row is well formed. docs/vault-format.md describes every table.
"""

import contextlib
import dataclasses
import os
import pathlib
import sqlite3
from typing import Iterator

from qvault import limits
from qvault.errors import CorruptVault, IntegrityError, StorageError, UnsupportedFormat, VaultError
from qvault.vault import format

# Exceptions an SQLite call raises on a damaged file. The sqlite3 module raises
# UnicodeDecodeError when SQLite's own error message is not valid UTF-8.
SQLITE_ERRORS = (sqlite3.Error, UnicodeDecodeError)

# Layout of schema version 1 (format.SCHEMA_VERSION). migrations.py upgrades older
# files to it; a new file is created with it directly.
SCHEMA = """
CREATE TABLE vault (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    format_version INTEGER NOT NULL,
    vault_id BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE key_slots (
    slot_id INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    memory_kib INTEGER NOT NULL,
    iterations INTEGER NOT NULL,
    parallelism INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    salt BLOB NOT NULL,
    nonce BLOB NOT NULL,
    wrapped_key BLOB NOT NULL
);
CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    meta_nonce BLOB NOT NULL,
    meta_ct BLOB NOT NULL,
    secret_nonce BLOB NOT NULL,
    secret_ct BLOB NOT NULL,
    secret_hash BLOB NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX entries_seq ON entries (seq);
CREATE TABLE manifest (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    counter INTEGER NOT NULL,
    accumulator BLOB NOT NULL,
    tag BLOB NOT NULL
);
"""


@dataclasses.dataclass(frozen=True)
class Header:
    """Header of a locked vault: its versions and the vault id, all that is readable without a key."""

    schema_version: int
    format_version: int
    vault_id: bytes


def connect(path: pathlib.Path, create: bool) -> sqlite3.Connection:
    """Open an SQLite connection in autocommit mode with Qvault's durability settings."""
    mode = "rwc" if create else "rw"
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}", uri=True, isolation_level=None, check_same_thread=False
        )
    except SQLITE_ERRORS as error:
        raise storage_error(path, "open", error) from None
    try:
        connection.execute(f"PRAGMA busy_timeout = {limits.SQLITE_BUSY_TIMEOUT_MS}")
        # A rollback journal keeps the vault one file between transactions; FULL makes
        # each commit durable before it returns.
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = FULL")
    except SQLITE_ERRORS as error:
        connection.close()
        if isinstance(error, UnicodeDecodeError) or _is_storage_problem(error):
            raise storage_error(path, "open", error) from None
        raise CorruptVault(f"{path}: not a Qvault vault (SQLite: {error})") from None
    return connection


@contextlib.contextmanager
def new_file(path: pathlib.Path) -> Iterator[sqlite3.Connection]:
    """Yield a connection to a new 0600 database that becomes `path` when the block ends.

    The file is built under a temporary name and renamed, so a crash or an error
    never leaves half a vault at `path`; on error the temporary file is removed.
    The block must commit what it writes. Raises StorageError when the file cannot
    be created or written.
    """
    temporary = path.with_name(f".{path.name}.creating-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.unlink(missing_ok=True)
        # Create the file with mode 0600 before any key material is written into it.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise StorageError(f"{path}: could not create the vault file ({error.strerror})") from None
    connection = connect(temporary, create=True)
    try:
        yield connection
        connection.close()
        os.replace(temporary, path)
    except SQLITE_ERRORS as error:
        connection.close()
        temporary.unlink(missing_ok=True)
        raise storage_error(path, "create", error) from None
    except OSError as error:
        connection.close()
        temporary.unlink(missing_ok=True)
        raise StorageError(f"{path}: could not create the vault file ({error.strerror})") from None
    except BaseException:
        connection.close()
        temporary.unlink(missing_ok=True)
        raise


def read_schema_version(connection: sqlite3.Connection, path: pathlib.Path) -> int:
    """Check the application id and return PRAGMA user_version, or raise."""
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        schema_version = connection.execute("PRAGMA user_version").fetchone()[0]
    except SQLITE_ERRORS as error:
        raise CorruptVault(f"{path}: not a Qvault vault or damaged (SQLite: {error})") from None
    if application_id != format.APPLICATION_ID:
        raise CorruptVault(f"{path}: not a Qvault vault (SQLite application_id {application_id:#x})")
    if schema_version > format.SCHEMA_VERSION:
        raise UnsupportedFormat(
            f"{path}: vault schema version {schema_version} is newer than this Qvault supports "
            f"({format.SCHEMA_VERSION}); upgrade Qvault"
        )
    return schema_version


def read_header(connection: sqlite3.Connection, path: pathlib.Path) -> Header:
    """Validate a current-schema file's header row and return it."""
    schema_version = read_schema_version(connection, path)
    if schema_version != format.SCHEMA_VERSION:
        raise UnsupportedFormat(f"{path}: vault schema version {schema_version} was not upgraded")
    try:
        rows = connection.execute("SELECT format_version, vault_id FROM vault WHERE singleton = 1").fetchall()
    except SQLITE_ERRORS as error:
        raise CorruptVault(f"{path}: not a Qvault vault or damaged (SQLite: {error})") from None
    if not rows:
        raise CorruptVault(f"{path}: the vault header row is missing")
    version, vault_id = rows[0]
    if version != format.FORMAT_VERSION:
        if isinstance(version, int) and version > format.FORMAT_VERSION:
            raise UnsupportedFormat(
                f"{path}: vault format version {version} is newer than this Qvault supports "
                f"({format.FORMAT_VERSION}); upgrade Qvault"
            )
        raise UnsupportedFormat(f"{path}: vault format version {version!r} is not supported")
    try:
        format.check_length(vault_id, limits.VAULT_ID_BYTES, "vault id")
    except IntegrityError as error:
        raise CorruptVault(f"{path}: {error}") from None
    return Header(schema_version, version, vault_id)


def _is_storage_problem(error: Exception) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("full", "locked", "busy", "readonly", "read-only", "unable to open", "disk i/o"))


def storage_error(path: pathlib.Path, step: str, error: Exception) -> VaultError:
    """Turn an SQLite error into the Qvault error a user can act on."""
    if isinstance(error, UnicodeDecodeError):
        return CorruptVault(f"{path}: {step} failed; the file is damaged (SQLite reported an undecodable error)")
    text = str(error)
    lowered = text.lower()
    if "full" in lowered:
        return StorageError(f"{path}: {step} failed because the disk is full; free some space and retry (SQLite: {text})")
    if "locked" in lowered or "busy" in lowered:
        return StorageError(f"{path}: {step} failed because another program has the vault locked (SQLite: {text})")
    if "readonly" in lowered or "read-only" in lowered:
        return StorageError(f"{path}: {step} failed because the vault file is read-only (SQLite: {text})")
    if any(word in lowered for word in ("no such", "malformed", "not a database", "decode", "mismatch")):
        return CorruptVault(f"{path}: {step} failed; the file is damaged (SQLite: {text})")
    if isinstance(error, sqlite3.OperationalError):
        return StorageError(f"{path}: {step} failed (SQLite: {text})")
    return CorruptVault(f"{path}: {step} failed; the file is damaged (SQLite: {text})")
