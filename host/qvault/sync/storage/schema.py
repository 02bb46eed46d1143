"""The sync server's schema as numbered migrations, shared by SQLite and PostgreSQL.

Each migration is a list of SQL statements written once, with a few type names
filled in per dialect ({blob}, {bigint}, {bool}, {real}). Migrations only ever get
appended; an applied one is never edited, because servers already ran it. The
runner records each applied version in schema_migrations in the same transaction
as its statements.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


DIALECT_TYPES = {
    "sqlite": {"blob": "BLOB", "bigint": "INTEGER", "bool": "INTEGER", "real": "REAL"},
    "postgresql": {"blob": "BYTEA", "bigint": "BIGINT", "bool": "BOOLEAN", "real": "DOUBLE PRECISION"},
}

CREATE_SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at {bigint} NOT NULL)"
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts, entries, tokens, settings",
        (
            "CREATE TABLE server_settings ("
            " name TEXT PRIMARY KEY,"
            " value {blob} NOT NULL)",
            # key_slots contains a JSON array of base64 strings: opaque blobs the server
            # only stores and returns in order.
            "CREATE TABLE accounts ("
            " account_id TEXT PRIMARY KEY,"
            " email TEXT NOT NULL UNIQUE,"
            " auth_hash TEXT NOT NULL,"
            " vault_id {blob} NOT NULL,"
            " kdf_memory_kib INTEGER NOT NULL,"
            " kdf_iterations INTEGER NOT NULL,"
            " kdf_parallelism INTEGER NOT NULL,"
            " salt {blob} NOT NULL,"
            " key_slots TEXT NOT NULL,"
            " manifest {blob},"
            " server_revision {bigint} NOT NULL DEFAULT 0,"
            " created_at {bigint} NOT NULL)",
            "CREATE TABLE entries ("
            " account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,"
            " entry_id TEXT NOT NULL,"
            " revision {bigint} NOT NULL,"
            " updated_at {bigint} NOT NULL,"
            " deleted {bool} NOT NULL,"
            " meta_nonce {blob} NOT NULL,"
            " meta_ct {blob} NOT NULL,"
            " secret_nonce {blob} NOT NULL,"
            " secret_ct {blob} NOT NULL,"
            " server_revision {bigint} NOT NULL,"
            " PRIMARY KEY (account_id, entry_id))",
            "CREATE INDEX entries_by_server_revision ON entries (account_id, server_revision)",
            "CREATE TABLE tokens ("
            " token_hash {blob} PRIMARY KEY,"
            " account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,"
            " expires_at {bigint} NOT NULL,"
            " created_at {bigint} NOT NULL)",
            "CREATE INDEX tokens_by_account ON tokens (account_id)",
        ),
    ),
    Migration(
        2,
        "token expiry index, login failures for rate limiting",
        (
            # Expired tokens are purged at each login; the index keeps that cheap.
            "CREATE INDEX tokens_by_expiry ON tokens (expires_at)",
            # key is 'email:' + SHA-256 of the email, or 'ip:' + address (an IPv6 /64),
            # so attempts on unknown emails do not leave those emails in the database.
            "CREATE TABLE login_failures ("
            " key TEXT PRIMARY KEY,"
            " failures INTEGER NOT NULL,"
            " blocked_until {real} NOT NULL,"
            " last_failure {real} NOT NULL)",
        ),
    ),
    Migration(
        3,
        "index login failures by time, for purging old ones",
        ("CREATE INDEX login_failures_by_last_failure ON login_failures (last_failure)",),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def statements(migration: Migration, dialect: str) -> list[str]:
    """Return the migration's SQL with the dialect's type names filled in."""
    types = DIALECT_TYPES[dialect]
    return [statement.format(**types) for statement in migration.statements]


def pending(applied: set[int], target: int | None) -> list[Migration]:
    """Return the migrations after the applied ones, up to target, in order."""
    target = LATEST_VERSION if target is None else target
    return [migration for migration in MIGRATIONS if migration.version not in applied and migration.version <= target]
