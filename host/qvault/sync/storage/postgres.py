"""PostgreSQL storage for the sync server (psycopg 3 with a connection pool).

Writes run at READ COMMITTED and lock the account row (SELECT ... FOR UPDATE) before
reading anything they decide on, so pushes to one account from several server
processes queue on that lock. Reads of a changes page run at REPEATABLE READ, so the
rows and the manifest come from one snapshot. Migrations hold a transaction-level
advisory lock, so servers starting together migrate once.
"""

import contextlib
import urllib.parse
from typing import Iterator, Sequence

import psycopg
import psycopg.errors
import psycopg_pool

from qvault.sync.storage.base import SyncStorageError
from qvault.sync.storage.sql import SqlStorage

# Connections per server process. uvicorn runs blocking storage calls in up to
# 40 threads; the rest wait for a free connection.
POOL_MAX_SIZE_DEFAULT = 10
POOL_TIMEOUT_SECONDS = 30.0
# Arbitrary constant naming the advisory lock that serialises migrations.
MIGRATION_LOCK_ID = 0x71766175_6C740001


def redact(url: str) -> str:
    """Return the URL without its password, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class _Cursor:
    """A psycopg cursor that accepts the `?` placeholders of the shared SQL."""

    def __init__(self, cursor: psycopg.Cursor):
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self._cursor.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, params: Sequence[Sequence]) -> None:
        self._cursor.executemany(sql.replace("?", "%s"), params)

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class PostgresStorage(SqlStorage):
    """Storage in a PostgreSQL database named by a postgresql:// URL."""

    dialect = "postgresql"
    for_update = " FOR UPDATE"
    unique_violation = psycopg.errors.UniqueViolation

    def __init__(self, url: str, pool_max_size: int = POOL_MAX_SIZE_DEFAULT):
        super().__init__()
        self.url = url
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_max_size,
            kwargs={"autocommit": True},
            timeout=POOL_TIMEOUT_SECONDS,
            open=False,
            name="qvault-sync",
        )
        try:
            self._pool.open(wait=True, timeout=POOL_TIMEOUT_SECONDS)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as error:
            self._pool.close()
            raise SyncStorageError(
                f"cannot connect to PostgreSQL at {redact(url)}: {type(error).__name__}; "
                "check the URL and that the server is running"
            ) from error

    @contextlib.contextmanager
    def _transaction(self, isolation: str | None) -> Iterator[_Cursor]:
        with self._pool.connection() as connection:
            with connection.transaction():
                with connection.cursor() as cursor:
                    if isolation is not None:
                        cursor.execute(f"SET TRANSACTION {isolation}")
                    yield _Cursor(cursor)

    def _write(self) -> contextlib.AbstractContextManager[_Cursor]:
        return self._transaction(None)

    def _read(self) -> contextlib.AbstractContextManager[_Cursor]:
        return self._transaction("ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def _lock_migrations(self, cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_ID,))

    def close(self) -> None:
        self._pool.close()
