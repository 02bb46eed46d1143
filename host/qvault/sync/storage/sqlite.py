"""SQLite storage for the sync server: one database file, the default backend.

WAL mode lets readers run beside the single writer. Every write transaction starts
with BEGIN IMMEDIATE, so it takes the write lock before it reads. Two
read-modify-write transactions (two pushes) therefore never interleave. Several server
processes may share the file on one machine, not over a network filesystem.
"""

import contextlib
import os
import sqlite3
import threading
from typing import Iterator

from qvault import limits
from qvault.sync.storage.base import SyncStorageError
from qvault.sync.storage.sql import SqlStorage


class SqliteStorage(SqlStorage):
    """Storage in one SQLite file, with one connection per thread."""

    dialect = "sqlite"
    unique_violation = sqlite3.IntegrityError

    def __init__(self, path: str, busy_timeout_ms: int = limits.SQLITE_BUSY_TIMEOUT_MS):
        super().__init__()
        if path in ("", ":memory:") or path.startswith("file:"):
            raise ValueError(f"SQLite storage path {path!r} is invalid; give a file path such as /var/lib/qvault/sync.db")
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Writers of this process queue here instead of in SQLite's busy handler,
        # which polls with sleeps and gave pushes a p99 above a second under load.
        self._write_lock = threading.Lock()
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        if self._closed:
            raise SyncStorageError(f"SQLite storage {self.path} is closed")
        try:
            # The database contains auth-key hashes, token hashes and the server secret:
            # create it private. SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            # isolation_level=None: transactions are only the ones started explicitly below.
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=self._busy_timeout_ms / 1000
            )
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            connection.execute("PRAGMA journal_mode = WAL")
            # FULL: a push the server acknowledged survives a power cut. Clients would
            # otherwise see the lost revision as a rollback.
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
        except OSError as error:
            raise SyncStorageError(f"cannot open SQLite storage {self.path}: {error.strerror}") from error
        except sqlite3.Error as error:
            raise SyncStorageError(f"cannot open SQLite storage {self.path}: {error}") from error
        with self._lock:
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Cursor]:
        connection = self._connection()
        cursor = connection.cursor()
        cursor.execute(begin)
        try:
            yield cursor
        except BaseException:
            connection.rollback()
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        # Other processes sharing the file still wait in SQLite's busy handler.
        with self._write_lock, self._transaction("BEGIN IMMEDIATE") as cursor:
            yield cursor

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Cursor]:
        # A deferred transaction reads one WAL snapshot from its first SELECT on.
        return self._transaction("BEGIN")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
