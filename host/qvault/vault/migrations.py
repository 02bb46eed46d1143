"""Schema migrations: numbered steps that upgrade PRAGMA user_version N to N + 1.

Vault.open runs them when a file's schema is older than format.SCHEMA_VERSION.
Before the first step it copies the file next to itself with the SQLite backup
API. Each step runs in its own BEGIN IMMEDIATE transaction together with the
user_version bump, so a crash or an error leaves the file at version N or N + 1,
never in between, and two processes opening the same old file upgrade it once.

A step runs without the vault key, so it may change the layout only: it must not
alter an authenticated byte (ciphertexts, ids, revisions, timestamps, the
manifest). A change to those is a new format.FORMAT_VERSION and needs a rewrite
after unlock instead.
"""

import logging
import os
import pathlib
import sqlite3
import time
from typing import Callable

from qvault.errors import StorageError, UnsupportedFormat
from qvault.vault import container, format

log = logging.getLogger(__name__)

Step = Callable[[sqlite3.Connection], None]

# from_version -> (description, step). A step upgrades from_version to from_version + 1.
STEPS: dict[int, tuple[str, Step]] = {}


def register(from_version: int, description: str) -> Callable[[Step], Step]:
    """Register the function it decorates as the step from from_version to the next."""

    def decorator(function: Step) -> Step:
        if from_version in STEPS:
            raise ValueError(f"a migration from schema version {from_version} is already registered")
        STEPS[from_version] = (description, function)
        return function

    return decorator


@register(0, "add entries.seq and its index, so refresh reads only rows changed since a counter")
def _add_seq_column(connection: sqlite3.Connection) -> None:
    # Schema 0 is the layout without entries.seq. No released build wrote it, so this
    # step mainly keeps the migration path exercised by the tests.
    connection.execute("ALTER TABLE entries ADD COLUMN seq INTEGER NOT NULL DEFAULT 0")
    # Every existing row was written at or before the current counter.
    connection.execute("UPDATE entries SET seq = (SELECT counter FROM manifest WHERE singleton = 1)")
    connection.execute("CREATE INDEX entries_seq ON entries (seq)")


def upgrade(
    path: pathlib.Path,
    connection: sqlite3.Connection,
    found_version: int,
    *,
    target_version: int = format.SCHEMA_VERSION,
    steps: dict[int, tuple[str, Step]] | None = None,
) -> pathlib.Path:
    """Upgrade an open vault from found_version to target_version; return the backup path.

    Raises UnsupportedFormat when a step is missing or the file is read-only, and
    StorageError when a step fails (that step is rolled back; earlier steps stay).
    """
    steps = STEPS if steps is None else steps
    missing = [version for version in range(found_version, target_version) if version not in steps]
    if missing:
        raise UnsupportedFormat(
            f"{path}: vault schema version {found_version} cannot be upgraded to {target_version} "
            f"(no migration from version {missing[0]}); open it with the Qvault release that wrote it"
        )
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise UnsupportedFormat(
            f"{path}: vault schema version {found_version} is older than {target_version} and the file or its "
            "folder is read-only; open it once with write access so Qvault can upgrade it"
        )

    backup = make_backup(path, connection, found_version)
    for version in range(found_version, target_version):
        description, function = steps[version]
        _run_step(path, connection, version, description, function)
    return backup


def make_backup(path: pathlib.Path, connection: sqlite3.Connection, version: int) -> pathlib.Path:
    """Copy the vault to '<name>.schema-<version>-<time>.backup' beside it, mode 0600."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    backup = path.with_name(f"{path.name}.schema-{version}-{stamp}-{os.getpid()}.backup")
    temporary = backup.with_name(backup.name + ".partial")
    try:
        # Create the file with 0600 before SQLite writes into it.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        target = sqlite3.connect(temporary)
        try:
            connection.backup(target)
        finally:
            target.close()
        os.replace(temporary, backup)
    except (OSError, sqlite3.Error) as error:
        temporary.unlink(missing_ok=True)
        raise StorageError(f"{path}: could not write the backup {backup.name} before upgrading ({error})") from None
    log.info("vault %s: backup of schema version %d written to %s", path, version, backup)
    return backup


def _run_step(path: pathlib.Path, connection: sqlite3.Connection, version: int, description: str, function: Step) -> None:
    try:
        connection.execute("BEGIN IMMEDIATE")
    except container.SQLITE_ERRORS as error:
        raise container.storage_error(path, f"upgrade from schema version {version}", error) from None
    try:
        # Another process may have run this step while this one waited for the lock.
        current = connection.execute("PRAGMA user_version").fetchone()[0]
        if current == version:
            function(connection)
            connection.execute(f"PRAGMA user_version = {version + 1}")
        connection.execute("COMMIT")
    except container.SQLITE_ERRORS as error:
        _rollback(connection)
        raise container.storage_error(path, f"upgrade from schema version {version} ({description})", error) from None
    except BaseException:
        _rollback(connection)
        raise
    log.info("vault %s: upgraded schema version %d to %d: %s", path, version, version + 1, description)


def _rollback(connection: sqlite3.Connection) -> None:
    try:
        connection.execute("ROLLBACK")
    except container.SQLITE_ERRORS:
        log.warning("rollback after a failed upgrade step also failed; SQLite rolls back on the next open")
