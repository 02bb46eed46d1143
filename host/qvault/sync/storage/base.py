"""The storage interface the sync server's endpoints use, and the values it passes.

Every backend (SQLite, PostgreSQL) implements Storage with the same schema and the
same migrations, so endpoints work unchanged on either. Methods are
blocking; the server calls them from worker threads.
"""

import dataclasses
from typing import Protocol, Sequence

from qvault.errors import QvaultError


class SyncStorageError(QvaultError):
    """The sync server's database failed or contains data this build cannot use."""


class SchemaTooNew(SyncStorageError):
    """The database was migrated by a newer server than this one."""


class EmailTaken(SyncStorageError):
    """An account with this email already exists."""


class AccountNotFound(SyncStorageError):
    """The account was deleted while a request for it was running."""


@dataclasses.dataclass(frozen=True)
class Conflict:
    """One entry whose stored revision differs from what a push expected."""

    entry_id: str
    current_revision: int


class StalePush(SyncStorageError):
    """A push was based on an older state than the stored one; nothing was written."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__(f"push is stale: {len(conflicts)} entries changed on the server")
        self.conflicts = conflicts


@dataclasses.dataclass(frozen=True)
class Kdf:
    """Argon2id parameters of the password slot, as the client sent them."""

    memory_kib: int
    iterations: int
    parallelism: int


@dataclasses.dataclass(frozen=True)
class Account:
    """The login record of one account (no key slots, no entries)."""

    account_id: str
    email: str
    auth_hash: str
    vault_id: bytes
    kdf: Kdf
    salt: bytes


@dataclasses.dataclass(frozen=True)
class NewAccount:
    """Everything register stores about a new account."""

    email: str
    auth_hash: str
    vault_id: bytes
    kdf: Kdf
    salt: bytes
    key_slots: list[bytes]
    manifest: bytes


@dataclasses.dataclass(frozen=True)
class KeySlots:
    """The encrypted key slots and KDF parameters a new device needs to open the vault."""

    vault_id: bytes
    kdf: Kdf
    salt: bytes
    key_slots: list[bytes]


@dataclasses.dataclass(frozen=True)
class EntryRow:
    """One encrypted entry row. server_revision is 0 until storage assigns one."""

    entry_id: str
    revision: int
    updated_at: int
    deleted: bool
    meta_nonce: bytes
    meta_ct: bytes
    secret_nonce: bytes
    secret_ct: bytes
    server_revision: int = 0

    def size(self) -> int:
        """Return the bytes of ciphertext and nonces, for page budgets."""
        return len(self.meta_nonce) + len(self.meta_ct) + len(self.secret_nonce) + len(self.secret_ct)


@dataclasses.dataclass(frozen=True)
class PushRow:
    """A row to write and the revision the client expects the stored row to have (0 = new)."""

    row: EntryRow
    expected_revision: int


@dataclasses.dataclass(frozen=True)
class ChangesPage:
    """Rows after a server revision, read from one consistent snapshot.

    server_revision is the last returned row's when more is true, else the account's
    newest, so a client can pass it as the next `since` either way.
    """

    rows: list[EntryRow]
    server_revision: int
    more: bool
    manifest: bytes | None


@dataclasses.dataclass(frozen=True)
class LoginFailures:
    """Recorded failed logins for one rate-limit key (hashed email or IP address)."""

    failures: int
    blocked_until: float
    last_failure: float


class Storage(Protocol):
    """Database operations the sync server needs. Implementations are thread-safe."""

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to target (default: all); return the versions applied."""
        ...

    def schema_version(self) -> int:
        """Return the newest applied migration, 0 for an empty database."""
        ...

    def close(self) -> None:
        """Close every connection."""
        ...

    def server_secret(self) -> bytes:
        """Return the 32-byte secret behind prelogin's fake replies for unknown emails, creating it once."""
        ...

    def create_account(self, account: NewAccount, now: int) -> str:
        """Store a new account; return its id. Raises EmailTaken."""
        ...

    def find_account(self, email: str) -> Account | None:
        """Return the account with this (normalised) email, or None."""
        ...

    def get_account(self, account_id: str) -> Account | None:
        """Return the account with this id, or None."""
        ...

    def key_slots(self, account_id: str) -> KeySlots:
        """Return the account's key slots. Raises AccountNotFound."""
        ...

    def update_auth_hash(self, account_id: str, old_hash: str, new_hash: str) -> None:
        """Replace the auth-key hash if it is still old_hash (a rehash with newer parameters)."""
        ...

    def change_password(self, account_id: str, auth_hash: str, kdf: Kdf, salt: bytes, key_slots: Sequence[bytes]) -> int:
        """Replace the login record and key slots, revoke every token; return the tokens revoked."""
        ...

    def delete_account(self, account_id: str) -> None:
        """Remove the account and every row that belongs to it."""
        ...

    def add_token(self, token_hash: bytes, account_id: str, expires_at: int, now: int) -> None:
        """Store a session token's SHA-256 and drop expired tokens."""
        ...

    def token_account(self, token_hash: bytes, now: int) -> str | None:
        """Return the account id of an unexpired token, or None."""
        ...

    def delete_token(self, token_hash: bytes) -> None:
        """Revoke one token."""
        ...

    def changes(self, account_id: str, since: int, limit: int, byte_budget: int) -> ChangesPage:
        """Return up to limit rows with server_revision > since, stopping early past byte_budget."""
        ...

    def push(self, account_id: str, base_server_revision: int, rows: Sequence[PushRow], manifest: bytes) -> int:
        """Write rows and manifest atomically; return the new server revision.

        Raises StalePush, writing nothing, when base_server_revision is not the
        account's current revision or any expected_revision differs from the
        stored row's (0 means the row must not exist yet).
        """
        ...

    def login_failures(self, keys: Sequence[str]) -> dict[str, LoginFailures]:
        """Return the recorded failures of the given rate-limit keys that have any."""
        ...

    def record_login_failure(self, key: str, now: float, policy: "BackoffPolicy") -> LoginFailures:
        """Count one failure for key atomically and return the new state."""
        ...

    def clear_login_failures(self, key: str) -> None:
        """Forget the failures of key (after a successful login)."""
        ...

    def purge_login_failures(self, before: float) -> int:
        """Delete the records whose last failure is older than before; return how many."""
        ...


class BackoffPolicy(Protocol):
    """Turns a failure count into a block time; see qvault.sync.server.ratelimit."""

    def next_state(self, previous: LoginFailures | None, now: float) -> LoginFailures:
        """Return the state after one more failure at now."""
        ...
