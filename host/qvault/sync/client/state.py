"""The sync sidecar: a small SQLite file next to the vault (VAULT.sync) with the remote state.

It contains the server URL and email, the pinned KDF parameters and salt, the last
server revision pulled, the last verified server manifest, the local vault counter
the last sync exported up to, and the base copy of every entry as the server held
it at the last sync (ciphertext rows, never plaintext).

The sidecar is authenticated with keys only the vault key gives: the settings row
carries an HMAC under a subkey of the vault key, and the base rows must XOR to the
accumulator of the stored manifest, whose MAC uses the manifest key. A sidecar
edited or replaced by another program is detected when the next sync loads it.
"""

import json
import logging
import os
import pathlib
import sqlite3

from qvault.errors import IntegrityError
from qvault.sync.client.errors import SyncError
from qvault.vault import crypto
from qvault.vault.kdf import KdfParams
from qvault.vault.replica import Manifest, RawRow, decode_manifest, derive_subkey, row_leaf
from qvault.vault.store import Vault

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".sync"
SIDECAR_SCHEMA_VERSION = 1
# HKDF label of the key that authenticates the settings row.
LABEL_SYNC_STATE = b"qvault v1 sync state"
_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE remote (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    settings TEXT NOT NULL,
    tag BLOB NOT NULL
);
CREATE TABLE base_rows (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    meta_nonce BLOB NOT NULL,
    meta_ct BLOB NOT NULL,
    secret_nonce BLOB NOT NULL,
    secret_ct BLOB NOT NULL
);
"""


def sidecar_path(vault_path: os.PathLike) -> pathlib.Path:
    vault_path = pathlib.Path(vault_path)
    return vault_path.with_name(vault_path.name + SIDECAR_SUFFIX)


class SyncState:
    """The loaded, verified sidecar. Mutate through save(), which commits atomically."""

    def __init__(self, path: pathlib.Path, connection: sqlite3.Connection, settings: dict, base: dict[str, RawRow]):
        self.path = path
        self._db = connection
        self._settings = settings
        self.base = base
        self.manifest: Manifest | None = None
        self.base_accumulator = 0

    # Settings

    @property
    def server_url(self) -> str:
        return self._settings["server_url"]

    @property
    def email(self) -> str:
        return self._settings["email"]

    @property
    def vault_id(self) -> bytes:
        return bytes.fromhex(self._settings["vault_id"])

    @property
    def kdf(self) -> KdfParams:
        return KdfParams(**self._settings["kdf"])

    @property
    def salt(self) -> bytes:
        return bytes.fromhex(self._settings["salt"])

    @property
    def server_revision(self) -> int:
        return self._settings["server_revision"]

    @property
    def manifest_blob(self) -> bytes | None:
        value = self._settings["manifest"]
        return None if value is None else bytes.fromhex(value)

    @property
    def local_seq(self) -> int:
        return self._settings["local_seq"]

    # Files

    @classmethod
    def create(
        cls, vault: Vault, server_url: str, email: str, kdf: KdfParams, salt: bytes, overwrite: bool = False
    ) -> "SyncState":
        """Write a new sidecar for an unlocked vault, with no base rows and no manifest yet."""
        path = sidecar_path(vault.path)
        if path.exists():
            if not overwrite:
                raise SyncError(f"{path}: sync is already set up for this vault; see 'qvault sync status'")
            path.unlink()
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as error:
            raise SyncError(f"{path}: could not create the sync state file ({error.strerror})") from None
        connection = _connect(path)
        connection.execute(f"PRAGMA user_version = {SIDECAR_SCHEMA_VERSION}")
        connection.executescript(_SCHEMA)
        settings = {
            "server_url": server_url,
            "email": email,
            "vault_id": vault.vault_id.hex(),
            "kdf": {"memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "parallelism": kdf.parallelism},
            "salt": salt.hex(),
            "server_revision": 0,
            "manifest": None,
            "local_seq": -1,
        }
        connection.execute("INSERT INTO remote VALUES (1, ?, ?)", (_encode(settings), _tag(vault, settings)))
        return cls(path, connection, settings, {})

    @classmethod
    def load(cls, vault: Vault) -> "SyncState":
        """Open and verify the sidecar of an unlocked vault; raise SyncError or IntegrityError."""
        path = sidecar_path(vault.path)
        if not path.is_file():
            raise SyncError(f"{vault.path}: sync is not set up; run 'qvault sync setup --server URL --email EMAIL'")
        connection = _connect(path)
        try:
            state = cls._read(path, connection, vault)
        except BaseException:
            connection.close()
            raise
        return state

    @classmethod
    def _read(cls, path: pathlib.Path, connection: sqlite3.Connection, vault: Vault) -> "SyncState":
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            rows = connection.execute("SELECT settings, tag FROM remote WHERE singleton = 1").fetchall()
            base_rows = connection.execute(
                "SELECT id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct FROM base_rows"
            ).fetchall()
        except sqlite3.Error as error:
            raise SyncError(f"{path}: the sync state file is damaged ({error}); remove it and run 'qvault sync setup' again") from None
        if version != SIDECAR_SCHEMA_VERSION:
            raise SyncError(f"{path}: sync state version {version} is not supported; upgrade Qvault")
        if not rows or not isinstance(rows[0][0], str) or not isinstance(rows[0][1], bytes):
            raise SyncError(f"{path}: the sync settings row is missing; remove the file and run 'qvault sync setup' again")
        settings_text, tag = rows[0]
        try:
            settings = json.loads(settings_text)
        except ValueError:
            raise SyncError(f"{path}: the sync settings row is not valid JSON; remove the file and run 'qvault sync setup' again") from None
        if not crypto.constant_time_equal(_tag(vault, settings), tag):
            raise IntegrityError(f"{path}: the sync settings MAC is invalid; the file was modified or belongs to another vault")
        base = {}
        for values in base_rows:
            entry_id, revision, updated_at, deleted, *parts = values
            base[entry_id] = RawRow(entry_id, revision, updated_at, bool(deleted), *parts)
        state = cls(path, connection, settings, base)
        state._verify_base(vault)
        return state

    def _verify_base(self, vault: Vault) -> None:
        """Check the base rows against the stored manifest: the sidecar's second MAC."""
        accumulator = 0
        for row in self.base.values():
            accumulator ^= row_leaf(vault, row)
        blob = self.manifest_blob
        if blob is None:
            if self.base:
                raise IntegrityError(f"{self.path}: base rows are present without a manifest; the file was modified")
        else:
            manifest = decode_manifest(vault, blob)
            if manifest.accumulator != accumulator:
                raise IntegrityError(f"{self.path}: the base rows do not match the stored manifest; the file was modified")
            self.manifest = manifest
        self.base_accumulator = accumulator

    def close(self) -> None:
        self._db.close()

    def pin_kdf(self, vault: Vault, kdf: KdfParams, salt: bytes) -> None:
        """Pin new KDF parameters and salt (after a password change) and renew the settings MAC."""
        settings = dict(self._settings)
        settings["kdf"] = {"memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "parallelism": kdf.parallelism}
        settings["salt"] = salt.hex()
        try:
            self._db.execute("UPDATE remote SET settings = ?, tag = ? WHERE singleton = 1", (_encode(settings), _tag(vault, settings)))
        except sqlite3.Error as error:
            raise SyncError(f"{self.path}: could not save the new KDF settings ({error}); the next sync saves them") from None
        self._settings = settings

    # Saving

    def save(
        self,
        vault: Vault,
        rows: list[RawRow],
        server_revision: int,
        manifest_blob: bytes | None,
        local_seq: int,
    ) -> None:
        """Replace base copies with rows and store the new remote position, in one transaction."""
        settings = dict(self._settings)
        settings["server_revision"] = server_revision
        settings["manifest"] = None if manifest_blob is None else manifest_blob.hex()
        settings["local_seq"] = local_seq
        manifest = None if manifest_blob is None else decode_manifest(vault, manifest_blob)
        accumulator = self.base_accumulator
        for row in rows:
            old = self.base.get(row.id)
            if old is not None:
                accumulator ^= row_leaf(vault, old)
            accumulator ^= row_leaf(vault, row)
        if manifest is not None and manifest.accumulator != accumulator:
            raise IntegrityError("sync state: the base rows would not match the manifest; nothing was saved")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO base_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (row.id, row.revision, row.updated_at, int(row.deleted), row.meta_nonce, row.meta_ct, row.secret_nonce, row.secret_ct)
                    for row in rows
                ],
            )
            self._db.execute("UPDATE remote SET settings = ?, tag = ? WHERE singleton = 1", (_encode(settings), _tag(vault, settings)))
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise SyncError(f"{self.path}: could not save the sync state ({error}); the next sync repeats this one") from None
        for row in rows:
            self.base[row.id] = row
        self._settings = settings
        self.base_accumulator = accumulator
        self.manifest = manifest


def _connect(path: pathlib.Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as error:
        raise SyncError(f"{path}: could not open the sync state file ({error})") from None
    return connection


def _encode(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True, separators=(",", ":"))


def _tag(vault: Vault, settings: dict) -> bytes:
    key = derive_subkey(vault, LABEL_SYNC_STATE)
    try:
        return crypto.hmac_sha256(key, _encode(settings).encode("utf-8"))
    finally:
        crypto.wipe(key)
