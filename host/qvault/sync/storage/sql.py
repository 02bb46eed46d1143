"""Storage written once in SQL that both SQLite and PostgreSQL run.

Subclasses supply connections and transactions (`_write`, `_read`), the dialect
name, the row-lock suffix and the unique-violation exception. Queries use `?`
placeholders; the PostgreSQL backend rewrites them to `%s`.

Every write runs in one transaction that first locks what it reads: SQLite
serialises writers with BEGIN IMMEDIATE, PostgreSQL locks the account row with
SELECT ... FOR UPDATE. So two pushes to one account, from any number of server
processes, run one after the other and the second reads the first's rows.
"""

import base64
import contextlib
import json
import logging
import secrets
import time
import uuid
from typing import Any, Iterator, Protocol, Sequence

from qvault.sync.storage import schema
from qvault.sync.storage.base import (
    Account,
    AccountNotFound,
    BackoffPolicy,
    ChangesPage,
    Conflict,
    EmailTaken,
    EntryRow,
    Kdf,
    KeySlots,
    LoginFailures,
    NewAccount,
    PushRow,
    SchemaTooNew,
    StalePush,
)

log = logging.getLogger(__name__)

SERVER_SECRET_NAME = "prelogin_secret"
SERVER_SECRET_BYTES = 32
# Rows per IN (...) list; SQLite before 3.32 allows at most 999 parameters.
IN_LIST_CHUNK = 500
# Conflicts listed in one 409 response; the client pulls every changed row anyway.
CONFLICTS_MAX = 1000

_ENTRY_COLUMNS = "entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct, server_revision"


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


def encode_key_slots(key_slots: Sequence[bytes]) -> str:
    return json.dumps([base64.b64encode(slot).decode("ascii") for slot in key_slots])


def decode_key_slots(text: str) -> list[bytes]:
    return [base64.b64decode(slot) for slot in json.loads(text)]


def _entry_from_row(row: Sequence[Any]) -> EntryRow:
    entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct, server_revision = row
    return EntryRow(
        entry_id, revision, updated_at, bool(deleted), bytes(meta_nonce), bytes(meta_ct),
        bytes(secret_nonce), bytes(secret_ct), server_revision,
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SqlStorage:
    """The Storage protocol over a DB-API cursor; see the module docstring."""

    dialect: str
    for_update: str = ""
    unique_violation: type[Exception] = Exception

    def __init__(self) -> None:
        self._secret: bytes | None = None

    def _write(self) -> contextlib.AbstractContextManager[Cursor]:
        """Return a context that runs one serialised read-write transaction."""
        raise NotImplementedError

    def _read(self) -> contextlib.AbstractContextManager[Cursor]:
        """Return a context that runs one read-only transaction over a consistent snapshot."""
        raise NotImplementedError

    def _lock_migrations(self, cursor: Cursor) -> None:
        """Keep other server processes out of the migration until this transaction ends."""

    def close(self) -> None:
        raise NotImplementedError

    # Migrations

    def migrate(self, target: int | None = None) -> list[int]:
        applied_now = []
        with self._write() as cursor:
            self._lock_migrations(cursor)
            cursor.execute(schema.CREATE_SCHEMA_MIGRATIONS.format(**schema.DIALECT_TYPES[self.dialect]))
            cursor.execute("SELECT version FROM schema_migrations")
            applied = {row[0] for row in cursor.fetchall()}
            newest = max(applied, default=0)
            if newest > schema.LATEST_VERSION:
                raise SchemaTooNew(
                    f"database schema version {newest} is newer than this server's {schema.LATEST_VERSION}; "
                    "upgrade qvault before starting this server"
                )
            for migration in schema.pending(applied, target):
                for statement in schema.statements(migration, self.dialect):
                    cursor.execute(statement)
                cursor.execute(
                    "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.description, int(time.time())),
                )
                applied_now.append(migration.version)
        for version in applied_now:
            log.info("applied sync schema migration %d", version)
        return applied_now

    def schema_version(self) -> int:
        # A write transaction, because it may have to create schema_migrations.
        with self._write() as cursor:
            cursor.execute(schema.CREATE_SCHEMA_MIGRATIONS.format(**schema.DIALECT_TYPES[self.dialect]))
            cursor.execute("SELECT MAX(version) FROM schema_migrations")
            row = cursor.fetchone()
        return row[0] or 0

    # Settings

    def server_secret(self) -> bytes:
        if self._secret is not None:
            return self._secret
        with self._write() as cursor:
            # Several processes may start at once: the first insert wins, all read it back.
            cursor.execute(
                "INSERT INTO server_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (SERVER_SECRET_NAME, secrets.token_bytes(SERVER_SECRET_BYTES)),
            )
            cursor.execute("SELECT value FROM server_settings WHERE name = ?", (SERVER_SECRET_NAME,))
            self._secret = bytes(cursor.fetchone()[0])
        return self._secret

    # Accounts

    def create_account(self, account: NewAccount, now: int) -> str:
        account_id = str(uuid.uuid4())
        try:
            with self._write() as cursor:
                cursor.execute(
                    "INSERT INTO accounts (account_id, email, auth_hash, vault_id, kdf_memory_kib, kdf_iterations,"
                    " kdf_parallelism, salt, key_slots, manifest, server_revision, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                    (
                        account_id, account.email, account.auth_hash, account.vault_id, account.kdf.memory_kib,
                        account.kdf.iterations, account.kdf.parallelism, account.salt,
                        encode_key_slots(account.key_slots), account.manifest, now,
                    ),
                )
        except self.unique_violation as error:
            raise EmailTaken("an account with this email already exists") from error
        return account_id

    def find_account(self, email: str) -> Account | None:
        return self._account("email", email)

    def get_account(self, account_id: str) -> Account | None:
        return self._account("account_id", account_id)

    def _account(self, column: str, value: str) -> Account | None:
        with self._read() as cursor:
            cursor.execute(
                "SELECT account_id, email, auth_hash, vault_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt"
                f" FROM accounts WHERE {column} = ?",
                (value,),
            )
            row = cursor.fetchone()
        if row is None:
            return None
        account_id, stored_email, auth_hash, vault_id, memory, iterations, parallelism, salt = row
        return Account(account_id, stored_email, auth_hash, bytes(vault_id), Kdf(memory, iterations, parallelism), bytes(salt))

    def key_slots(self, account_id: str) -> KeySlots:
        with self._read() as cursor:
            cursor.execute(
                "SELECT vault_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, key_slots"
                " FROM accounts WHERE account_id = ?",
                (account_id,),
            )
            row = cursor.fetchone()
        if row is None:
            raise AccountNotFound(f"account {account_id} was deleted")
        vault_id, memory, iterations, parallelism, salt, key_slots = row
        return KeySlots(bytes(vault_id), Kdf(memory, iterations, parallelism), bytes(salt), decode_key_slots(key_slots))

    def update_auth_hash(self, account_id: str, old_hash: str, new_hash: str) -> None:
        with self._write() as cursor:
            cursor.execute(
                "UPDATE accounts SET auth_hash = ? WHERE account_id = ? AND auth_hash = ?",
                (new_hash, account_id, old_hash),
            )

    def change_password(self, account_id: str, auth_hash: str, kdf: Kdf, salt: bytes, key_slots: Sequence[bytes]) -> int:
        with self._write() as cursor:
            self._lock_account(cursor, account_id)
            cursor.execute(
                "UPDATE accounts SET auth_hash = ?, kdf_memory_kib = ?, kdf_iterations = ?, kdf_parallelism = ?,"
                " salt = ?, key_slots = ? WHERE account_id = ?",
                (auth_hash, kdf.memory_kib, kdf.iterations, kdf.parallelism, salt, encode_key_slots(key_slots), account_id),
            )
            cursor.execute("DELETE FROM tokens WHERE account_id = ?", (account_id,))
            return cursor.rowcount

    def delete_account(self, account_id: str) -> None:
        with self._write() as cursor:
            self._lock_account(cursor, account_id)
            for table in ("entries", "tokens", "accounts"):
                cursor.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))

    def _lock_account(self, cursor: Cursor, account_id: str) -> int:
        """Lock the account row for this transaction and return its server revision.

        Push, password change and account deletion lock the account first, so they
        queue on one lock instead of taking row locks in different orders.
        """
        cursor.execute(f"SELECT server_revision FROM accounts WHERE account_id = ?{self.for_update}", (account_id,))
        row = cursor.fetchone()
        if row is None:
            raise AccountNotFound(f"account {account_id} was deleted")
        return row[0]

    # Tokens

    def add_token(self, token_hash: bytes, account_id: str, expires_at: int, now: int) -> None:
        # The purge commits on its own: holding its row locks while the insert checks
        # the account's foreign key could deadlock with an account deletion.
        with self._write() as cursor:
            cursor.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
        with self._write() as cursor:
            cursor.execute(
                "INSERT INTO tokens (token_hash, account_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
                (token_hash, account_id, expires_at, now),
            )

    def token_account(self, token_hash: bytes, now: int) -> str | None:
        with self._read() as cursor:
            cursor.execute("SELECT token_hash, account_id, expires_at FROM tokens WHERE token_hash = ?", (token_hash,))
            row = cursor.fetchone()
        if row is None:
            return None
        stored_hash, account_id, expires_at = row
        # The lookup is by hash, so timing reveals nothing about the token itself;
        # the constant-time comparison guards against a collation that matches loosely.
        if not secrets.compare_digest(bytes(stored_hash), token_hash) or expires_at <= now:
            return None
        return account_id

    def delete_token(self, token_hash: bytes) -> None:
        with self._write() as cursor:
            cursor.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))

    # Entries

    def changes(self, account_id: str, since: int, limit: int, byte_budget: int) -> ChangesPage:
        with self._read() as cursor:
            cursor.execute("SELECT server_revision, manifest FROM accounts WHERE account_id = ?", (account_id,))
            account = cursor.fetchone()
            if account is None:
                raise AccountNotFound(f"account {account_id} was deleted")
            newest, manifest = account
            cursor.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE account_id = ? AND server_revision > ?"
                " ORDER BY server_revision LIMIT ?",
                (account_id, since, limit + 1),
            )
            fetched = cursor.fetchall()
        rows: list[EntryRow] = []
        used = 0
        for raw in fetched[:limit]:
            row = _entry_from_row(raw)
            if rows and used + row.size() > byte_budget:
                break
            rows.append(row)
            used += row.size()
        more = len(rows) < len(fetched)
        server_revision = rows[-1].server_revision if more else newest
        return ChangesPage(rows, server_revision, more, None if manifest is None else bytes(manifest))

    def push(self, account_id: str, base_server_revision: int, rows: Sequence[PushRow], manifest: bytes) -> int:
        with self._write() as cursor:
            current = self._lock_account(cursor, account_id)
            conflicts = self._conflicts(cursor, account_id, base_server_revision, current, rows)
            # A base revision with no changed rows behind it is one this server never
            # had (it was restored from a backup): stale too, with no conflicts listed.
            if conflicts or base_server_revision != current:
                raise StalePush(conflicts)

            values = []
            for offset, push_row in enumerate(rows, start=1):
                row = push_row.row
                values.append((
                    account_id, row.entry_id, row.revision, row.updated_at, row.deleted, row.meta_nonce,
                    row.meta_ct, row.secret_nonce, row.secret_ct, current + offset,
                ))
            if values:
                cursor.executemany(
                    f"INSERT INTO entries (account_id, {_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (account_id, entry_id) DO UPDATE SET revision = excluded.revision,"
                    " updated_at = excluded.updated_at, deleted = excluded.deleted,"
                    " meta_nonce = excluded.meta_nonce, meta_ct = excluded.meta_ct,"
                    " secret_nonce = excluded.secret_nonce, secret_ct = excluded.secret_ct,"
                    " server_revision = excluded.server_revision",
                    values,
                )
            newest = current + len(rows)
            cursor.execute(
                "UPDATE accounts SET server_revision = ?, manifest = ? WHERE account_id = ?",
                (newest, manifest, account_id),
            )
        return newest

    def _conflicts(
        self, cursor: Cursor, account_id: str, base: int, current: int, rows: Sequence[PushRow]
    ) -> list[Conflict]:
        """Return the rows that make a push stale, in the order the client should see them.

        A push based on an older server revision is stale even when its own rows
        match, because the manifest it carries covers only the rows that client knew.
        """
        conflicts: dict[str, Conflict] = {}
        if base != current:
            cursor.execute(
                "SELECT entry_id, revision FROM entries WHERE account_id = ? AND server_revision > ?"
                " ORDER BY server_revision LIMIT ?",
                (account_id, base, CONFLICTS_MAX),
            )
            for entry_id, revision in cursor.fetchall():
                conflicts[entry_id] = Conflict(entry_id, revision)

        stored: dict[str, int] = {}
        ids = [push_row.row.entry_id for push_row in rows]
        for chunk in _chunks(ids, IN_LIST_CHUNK):
            placeholders = ", ".join("?" for _ in chunk)
            cursor.execute(
                f"SELECT entry_id, revision FROM entries WHERE account_id = ? AND entry_id IN ({placeholders})",
                (account_id, *chunk),
            )
            stored.update(cursor.fetchall())
        for push_row in rows:
            current_revision = stored.get(push_row.row.entry_id, 0)
            if current_revision != push_row.expected_revision:
                conflicts[push_row.row.entry_id] = Conflict(push_row.row.entry_id, current_revision)

        return list(conflicts.values())[:CONFLICTS_MAX]

    # Rate limiting

    def login_failures(self, keys: Sequence[str]) -> dict[str, LoginFailures]:
        if not keys:
            return {}
        placeholders = ", ".join("?" for _ in keys)
        with self._read() as cursor:
            cursor.execute(
                f"SELECT key, failures, blocked_until, last_failure FROM login_failures WHERE key IN ({placeholders})",
                tuple(keys),
            )
            rows = cursor.fetchall()
        return {key: LoginFailures(failures, blocked_until, last_failure) for key, failures, blocked_until, last_failure in rows}

    def record_login_failure(self, key: str, now: float, policy: BackoffPolicy) -> LoginFailures:
        with self._write() as cursor:
            # Insert first so the row exists to lock: two first failures at once both count.
            cursor.execute(
                "INSERT INTO login_failures (key, failures, blocked_until, last_failure) VALUES (?, 0, 0, 0)"
                " ON CONFLICT (key) DO NOTHING",
                (key,),
            )
            cursor.execute(
                f"SELECT failures, blocked_until, last_failure FROM login_failures WHERE key = ?{self.for_update}",
                (key,),
            )
            failures, blocked_until, last_failure = cursor.fetchone()
            previous = LoginFailures(failures, blocked_until, last_failure) if failures else None
            state = policy.next_state(previous, now)
            cursor.execute(
                "UPDATE login_failures SET failures = ?, blocked_until = ?, last_failure = ? WHERE key = ?",
                (state.failures, state.blocked_until, state.last_failure, key),
            )
        return state

    def clear_login_failures(self, key: str) -> None:
        with self._write() as cursor:
            cursor.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def purge_login_failures(self, before: float) -> int:
        with self._write() as cursor:
            cursor.execute("DELETE FROM login_failures WHERE last_failure < ?", (before,))
            return cursor.rowcount
