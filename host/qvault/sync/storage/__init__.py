"""Sync server storage backends, chosen by a storage URL.

    sqlite:///var/lib/qvault/sync.db   SQLite file /var/lib/qvault/sync.db
    sqlite://sync.db                   SQLite file sync.db, relative to the working folder
    /var/lib/qvault/sync.db            a bare path is SQLite too
    postgresql://user@host:5432/qvault PostgreSQL (psycopg 3 connection URL; postgres:// too)
"""

from qvault.sync.storage.base import Storage, SyncStorageError

SQLITE_PREFIX = "sqlite://"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def open_storage(url: str) -> Storage:
    """Open the backend the URL names. Does not migrate; call storage.migrate() next.

    Raises ValueError for a URL of another scheme and SyncStorageError when the
    database cannot be reached.
    """
    if url.startswith(POSTGRES_PREFIXES):
        # Imported here so a SQLite-only server does not need psycopg installed.
        from qvault.sync.storage.postgres import PostgresStorage

        return PostgresStorage(url)
    if url.startswith(SQLITE_PREFIX):
        from qvault.sync.storage.sqlite import SqliteStorage

        return SqliteStorage(url[len(SQLITE_PREFIX):])
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(f"storage URL scheme {scheme!r} is not supported; use sqlite:///PATH or postgresql://...")
    from qvault.sync.storage.sqlite import SqliteStorage

    return SqliteStorage(url)


__all__ = ["Storage", "SyncStorageError", "open_storage"]
