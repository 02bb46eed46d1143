"""The vault file: one SQLite database holding key slots, entries and the manifest.

A Vault is opened locked. Unlocking derives the vault key, checks the manifest MAC
over every row and decrypts the metadata of every entry, or takes it from the
per-device metadata cache for rows whose leaf the cache contains. Secrets stay
encrypted until get_secret requests one entry. Writes run in a `BEGIN IMMEDIATE`
transaction that checks the expected revision, so two processes editing the same
vault never lose an update, and a crash leaves either the old or the new state.
docs/vault-format.md specifies the file.
"""

import contextlib
import dataclasses
import gc
import hashlib
import logging
import os
import pathlib
import sqlite3
import time
import uuid
from typing import Callable, Iterable, Iterator

from qvault import limits
from qvault.errors import (
    CorruptVault,
    EntryNotFound,
    IntegrityError,
    StorageError,
    VaultError,
    VaultExists,
    VaultNotFound,
)
from qvault.vault import container, crypto, format, keyslots, metadata_cache, migrations
from qvault.vault.batch import EMPTY_HASH, Batch
from qvault.vault.kdf import KdfParams, calibrate

log = logging.getLogger(__name__)

_ZERO = bytes(limits.KEY_BYTES)
_ROW_COLUMNS = "id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_hash"
# Smallest ciphertext of a live part: one padding block of plaintext plus the tag.
_MIN_CIPHERTEXT = limits.ENTRY_PADDING_BYTES + limits.POLY1305_TAG_BYTES
_MAX_CIPHERTEXT = limits.ENTRY_PLAINTEXT_MAX_BYTES + limits.ENTRY_PADDING_BYTES + limits.POLY1305_TAG_BYTES
_MAX_COUNTER = 2**63 - 1  # SQLite integers are signed 64-bit.
_MAX_U64 = 2**64 - 1

# Verified state of one row: (revision, deleted, leaf HMAC as an int).
RowState = tuple[int, bool, int]


@dataclasses.dataclass(slots=True)
class Entry:
    """A live entry's decrypted metadata; the secret part stays encrypted in the file."""

    id: str
    revision: int
    updated_at: int
    metadata: dict

    @property
    def type(self) -> str:
        return self.metadata.get("type", "")

    @property
    def title(self) -> str:
        return self.metadata.get("title", "")


@dataclasses.dataclass
class _Keys:
    metadata: bytes
    secret: bytes
    manifest: bytes
    cache: bytes

    def wipe(self) -> None:
        for key in (self.metadata, self.secret, self.manifest, self.cache):
            crypto.wipe(key)


class Vault:
    """An open vault file. Not thread-safe; the host and the CLI use one per process."""

    def __init__(self, path: pathlib.Path, connection: sqlite3.Connection, vault_id: bytes, clock: Callable[[], float]):
        self.path = path
        self.vault_id = vault_id
        self._db = connection
        self._file_id = _file_id(path)
        self._clock = clock
        self._keys: _Keys | None = None
        self._vault_key = b""
        self._entries: dict[str, Entry] = {}
        self._rows: dict[str, RowState] = {}
        self._accumulator = 0
        self._counter = -1
        # SQLite's data_version at the last verified load; None forces a full check.
        self._verified_data_version: int | None = None
        # Metadata decrypted in earlier sessions, by manifest leaf (metadata_cache.py).
        self._metadata_cache: dict[bytes, dict] = {}
        self._cache_misses = 0

    # Opening and creating

    @classmethod
    def create(
        cls,
        path: str | os.PathLike,
        password: str,
        *,
        params: KdfParams | None = None,
        secret_key: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> tuple["Vault", bytes]:
        """Create a vault and return it unlocked, with its raw recovery code.

        The caller shows the recovery code once (keyslots.encode_code formats it);
        it is not stored anywhere. Raises VaultExists if the path exists and
        StorageError if the file cannot be written (no file is left behind).
        """
        path = pathlib.Path(path)
        if path.exists():
            raise VaultExists(f"{path}: a file already exists; choose another path or remove it first")
        params = params or calibrate()
        params.check()
        if secret_key is not None and len(secret_key) != keyslots.SECRET_KEY_BYTES:
            raise ValueError(f"a secret key is {keyslots.SECRET_KEY_BYTES} bytes, not {len(secret_key)}")
        vault_id = os.urandom(limits.VAULT_ID_BYTES)
        vault_key = os.urandom(limits.KEY_BYTES)
        recovery_code = os.urandom(keyslots.RECOVERY_CODE_BYTES)
        password_slot = keyslots.make_password_slot(vault_id, vault_key, password, params, secret_key)
        recovery_slot = keyslots.make_recovery_slot(vault_id, vault_key, recovery_code)

        with container.new_file(path) as connection:
            _write_new_vault(connection, vault_id, vault_key, (password_slot, recovery_slot), int(clock() * 1000))
        vault = cls.open(path, clock=clock)
        vault._set_key(vault_key)
        return vault, recovery_code

    @classmethod
    def open(cls, path: str | os.PathLike, *, clock: Callable[[], float] = time.time) -> "Vault":
        """Open a vault file locked: check its container and versions, read nothing secret.

        A file with an older schema is upgraded first (migrations.py, after a backup).
        Raises VaultNotFound, CorruptVault (not a vault, damaged), UnsupportedFormat
        (a newer version: upgrade Qvault) or StorageError.
        """
        path = pathlib.Path(path)
        if path.is_dir():
            raise VaultNotFound(f"{path}: is a folder, not a vault file; pass the vault file itself with --vault PATH")
        if not path.is_file():
            raise VaultNotFound(f"{path}: no vault here; create one with 'qvault init' or pass --vault PATH")
        connection = container.connect(path, create=False)
        try:
            schema_version = container.read_schema_version(connection, path)
            if schema_version < format.SCHEMA_VERSION:
                migrations.upgrade(path, connection, schema_version)
            header = container.read_header(connection, path)
        except BaseException:
            connection.close()
            raise
        return cls(path, connection, header.vault_id, clock)

    def close(self) -> None:
        """Save the metadata cache if this session decrypted many rows, then lock."""
        if self.unlocked and self._counter >= 0 and self._cache_misses >= metadata_cache.REWRITE_AFTER_MISSES:
            self._save_metadata_cache()
        self.lock()
        self._db.close()

    def _save_metadata_cache(self) -> None:
        keys = self._require_keys()
        cached = {
            self._rows[entry_id][2].to_bytes(limits.KEY_BYTES, "big"): entry.metadata
            for entry_id, entry in self._entries.items()
        }
        metadata_cache.save(self.path, keys.cache, self.vault_id, cached)

    def __enter__(self) -> "Vault":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "unlocked" if self.unlocked else "locked"
        return f"<Vault {str(self.path)!r} {state}>"

    # Key slots

    def key_slots(self) -> list[keyslots.KeySlot]:
        """Read and validate every key slot: known kind and flags, exact lengths, one of each kind."""
        rows = self._query(
            "SELECT slot_id, kind, memory_kib, iterations, parallelism, flags, salt, nonce, wrapped_key "
            "FROM key_slots ORDER BY slot_id"
        )
        slots = []
        for slot_id, kind, memory, iterations, parallelism, flags, salt, nonce, wrapped in rows:
            what = f"{self.path}: key slot {slot_id}"
            if kind not in (format.SLOT_PASSWORD, format.SLOT_RECOVERY):
                raise CorruptVault(f"{what} has unknown kind {kind!r}")
            if not isinstance(flags, int) or flags & ~format.SLOT_FLAG_SECRET_KEY:
                raise CorruptVault(f"{what} has unknown flags {flags!r}")
            if kind == format.SLOT_PASSWORD:
                params = KdfParams(memory, iterations, parallelism)
            elif (memory, iterations, parallelism, flags) == (0, 0, 0, 0):
                params = None
            else:
                raise CorruptVault(f"{what}: a recovery slot must have zero KDF parameters and flags")
            try:
                format.check_length(salt, limits.SALT_BYTES, "salt")
                format.check_length(nonce, limits.XCHACHA_NONCE_BYTES, "nonce")
                format.check_length(wrapped, limits.KEY_BYTES + limits.POLY1305_TAG_BYTES, "wrapped key")
            except IntegrityError as error:
                raise CorruptVault(f"{what} {error}") from None
            slots.append(keyslots.KeySlot(slot_id, kind, params, flags, salt, nonce, wrapped))
        for kind, name in ((format.SLOT_PASSWORD, "password"), (format.SLOT_RECOVERY, "recovery")):
            count = sum(1 for slot in slots if slot.kind == kind)
            if count != 1:
                raise CorruptVault(f"{self.path}: expected one {name} key slot, found {count}")
        return slots

    def _slot(self, kind: int) -> keyslots.KeySlot:
        return next(slot for slot in self.key_slots() if slot.kind == kind)

    @property
    def needs_secret_key(self) -> bool:
        return self._slot(format.SLOT_PASSWORD).needs_secret_key

    def unlock(self, password: str, secret_key: bytes | None = None) -> None:
        """Unlock with the master password (and secret key, if the slot needs one).

        Raises KdfParametersRejected before deriving when the slot's parameters are
        out of bounds, WrongPassword when the slot does not open, and IntegrityError
        when the rows do not match the manifest.
        """
        slot = self._slot(format.SLOT_PASSWORD)
        self._set_key(keyslots.open_password_slot(self.vault_id, slot, password, secret_key))

    def unlock_with_recovery_code(self, recovery_code: bytes) -> None:
        """Unlock with the raw recovery code (keyslots.decode_code parses the printed form)."""
        slot = self._slot(format.SLOT_RECOVERY)
        self._set_key(keyslots.open_recovery_slot(self.vault_id, slot, recovery_code))

    def change_password(self, new_password: str, params: KdfParams | None = None, secret_key: bytes | None = None) -> None:
        """Rewrap the vault key under a new password; entries are not re-encrypted.

        The new slot requires secret_key when one is given, and none otherwise.
        params defaults to the current slot's parameters.
        """
        self.replace_password_slot(self.new_password_slot(new_password, params, secret_key))

    def new_password_slot(self, new_password: str, params: KdfParams | None = None, secret_key: bytes | None = None) -> keyslots.KeySlot:
        """Wrap the vault key under a new password without saving it; see change_password for the arguments.

        Sync uses this to send the slot to the server before replace_password_slot saves it here.
        """
        vault_key = self._require_vault_key()
        old = self._slot(format.SLOT_PASSWORD)
        return keyslots.make_password_slot(self.vault_id, vault_key, new_password, params or old.params, secret_key)

    def replace_password_slot(self, slot: keyslots.KeySlot) -> None:
        """Save slot in place of the password slot, in one transaction.

        The caller guarantees that slot wraps this vault's key: it comes from
        new_password_slot, or was opened and compared with the vault key.
        """
        self._require_vault_key()
        if slot.kind != format.SLOT_PASSWORD or slot.params is None:
            raise VaultError("replace_password_slot needs a password key slot")
        self._check_same_file()
        with self._transaction("change password"):
            self._db.execute("DELETE FROM key_slots WHERE kind = ?", (format.SLOT_PASSWORD,))
            _insert_slot(self._db, slot)

    def _set_key(self, vault_key: bytes) -> None:
        self.lock()
        self._vault_key = vault_key
        self._keys = _derive_keys(vault_key, self.vault_id)
        self._metadata_cache = metadata_cache.load(self.path, self._keys.cache, self.vault_id)
        self._cache_misses = 0
        try:
            with self._read_transaction():
                self._load_all()
        except BaseException:
            self.lock()
            raise
        # Rows loaded later by refresh are new, so the cache could not serve them.
        self._metadata_cache = {}

    def _require_vault_key(self) -> bytes:
        if self._keys is None:
            raise VaultError("the vault is locked")
        return self._vault_key

    @property
    def unlocked(self) -> bool:
        return self._keys is not None

    def lock(self) -> None:
        """Drop the keys and every decrypted value held by this object."""
        if self._keys is not None:
            self._keys.wipe()
            crypto.wipe(self._vault_key)
        self._keys = None
        self._vault_key = b""
        self._entries = {}
        self._rows = {}
        self._accumulator = 0
        self._counter = -1
        self._verified_data_version = None
        self._metadata_cache = {}
        self._cache_misses = 0

    # Reading

    @property
    def counter(self) -> int:
        """The manifest counter seen at the last load; it grows by one per commit."""
        return self._counter

    def entries(self) -> list[Entry]:
        """Live entries, after picking up commits made by other processes."""
        self.refresh()
        return list(self._entries.values())

    def entry(self, entry_id: str, *, refresh: bool = True) -> Entry:
        """Return one live entry; refresh=False skips picking up other commits first,
        for a caller that has just called refresh()."""
        if refresh:
            self.refresh()
        try:
            return self._entries[entry_id]
        except KeyError:
            raise EntryNotFound(f"no entry with id {entry_id}") from None

    def get_secret(self, entry_id: str) -> dict:
        """Decrypt and return one entry's secret part.

        The row read now is checked against the leaf verified at the last load, so a
        row changed behind the manifest raises IntegrityError.
        """
        self._check_same_file()
        with self._read_transaction():
            return self._get_secret(entry_id)

    def _get_secret(self, entry_id: str) -> dict:
        self._refresh()
        try:
            entry = self._entries[entry_id]
        except KeyError:
            raise EntryNotFound(f"no entry with id {entry_id}") from None
        keys = self._require_keys()
        what = f"entry {entry_id}"

        rows = self._query(
            "SELECT revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct FROM entries WHERE id = ?",
            (entry_id,),
        )
        if not rows:
            raise IntegrityError(f"{what}: the row disappeared under a verified manifest")
        revision, updated_at, deleted, meta_nonce, meta_ct, nonce, ciphertext = rows[0]
        if type(revision) is not int or revision != entry.revision or type(deleted) is not int or deleted != 0:
            raise IntegrityError(f"{what}: the row changed under a verified manifest")
        format.check_u64(updated_at, 0, f"{what} updated_at")
        for value, name in ((meta_nonce, "metadata nonce"), (meta_ct, "metadata"), (nonce, "secret nonce"), (ciphertext, "secret")):
            if not isinstance(value, bytes):
                raise IntegrityError(f"{what}: {name} is not a BLOB")

        # The secret hash is recomputed, not read, so a replaced secret ciphertext fails here.
        leaf = crypto.hmac_sha256(
            keys.manifest,
            format.leaf_input(
                entry_id, revision, updated_at, False, crypto.sha256(meta_nonce + meta_ct), crypto.sha256(nonce + ciphertext)
            ),
        )
        if int.from_bytes(leaf, "big") != self._rows[entry_id][2]:
            raise IntegrityError(f"{what}: the row does not match the manifest; the vault was modified or damaged")

        associated = format.entry_associated_data(self.vault_id, entry_id, entry.revision, format.PART_SECRET)
        plaintext = crypto.aead_decrypt(keys.secret, nonce, ciphertext, associated, f"{what} secret")
        return format.decode_plaintext(plaintext, f"{what} secret")

    def refresh(self) -> bool:
        """Load commits made since the last load; return whether anything changed.

        Costs one small query when nothing changed, and O(changed rows) otherwise.
        Raises IntegrityError when the counter went back (an older copy of the file)
        or the history forked (same counter, different contents).
        """
        self._check_same_file()
        with self._read_transaction():
            return self._refresh()

    def _refresh(self) -> bool:
        self._require_keys()
        # PRAGMA data_version changes whenever another connection commits, so an
        # unchanged value means the verified state is still current and the manifest
        # need not be read and MAC-checked again: the host's per-request fast path.
        data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if data_version == self._verified_data_version:
            return False

        counter, accumulator = self._read_manifest()
        if counter == self._counter and accumulator == self._accumulator:
            self._verified_data_version = data_version
            return False
        if counter < self._counter:
            raise IntegrityError(
                f"{self.path}: the vault counter went back from {self._counter} to {counter}; "
                "the file was replaced by an older copy"
            )
        if counter == self._counter:
            raise IntegrityError(
                f"{self.path}: the vault changed without its counter moving past {counter}; "
                "the file was replaced by a copy with a different history"
            )

        rows = self._query(f"SELECT {_ROW_COLUMNS} FROM entries WHERE seq > ?", (self._counter,))
        self._accumulator = self._apply_rows(rows, self._accumulator)
        if self._accumulator != accumulator:
            # seq is not authenticated: a row changed without a newer seq, so verify everything.
            log.warning("vault %s: incremental reload did not match the manifest; reloading all rows", self.path)
            self._load_all()
            return True
        self._counter = counter
        self._verified_data_version = data_version
        return True

    # Writing

    def add_entry(self, metadata: dict, secret: dict) -> Entry:
        entry_id = _new_entry_id()
        with self.batch() as batch:
            batch.put(entry_id, None, metadata, secret)
        return self._entries[entry_id]

    def update_entry(self, entry_id: str, expected_revision: int, metadata: dict, secret: dict) -> Entry:
        """Write a new revision; raise RevisionConflict if the entry changed since read."""
        with self.batch() as batch:
            batch.put(entry_id, expected_revision, metadata, secret)
        return self._entries[entry_id]

    def delete_entry(self, entry_id: str, expected_revision: int) -> None:
        """Replace the entry with a tombstone, so sync can propagate the deletion."""
        with self.batch() as batch:
            batch.delete(entry_id, expected_revision)

    @contextlib.contextmanager
    def batch(self) -> Iterator[Batch]:
        """Group writes into one transaction and one counter step: all or nothing.

        Holds SQLite's write lock from the start, so revisions checked inside the
        batch stay valid until the commit.
        """
        keys = self._require_keys()
        self._check_same_file()
        with self._transaction("save"):
            # Verified state as of the lock; revisions and old leaves come from here.
            self._refresh()
            if self._counter >= _MAX_COUNTER:
                raise StorageError(f"{self.path}: the vault counter reached its maximum {_MAX_COUNTER}")
            batch = Batch(self, keys, self._counter + 1, self._accumulator, self._rows)
            yield batch
            if batch.writes:
                accumulator = batch.accumulator.to_bytes(limits.KEY_BYTES, "big")
                tag = crypto.hmac_sha256(keys.manifest, format.manifest_input(self.vault_id, batch.counter, accumulator))
                self._db.execute(
                    "UPDATE manifest SET counter = ?, accumulator = ?, tag = ? WHERE singleton = 1",
                    (batch.counter, accumulator, tag),
                )
        with self._read_transaction():
            self._refresh()

    # Internals

    def _require_keys(self) -> _Keys:
        if self._keys is None:
            raise VaultError("the vault is locked; unlock it first")
        return self._keys

    def _check_same_file(self) -> None:
        """Reconnect when the path now names another file (a restore or a sync tool).

        SQLite keeps reading the old inode otherwise, so a rollback by rename would
        go unseen. The new file must hold the same vault.
        """
        current = _file_id(self.path)
        if current == self._file_id:
            return
        if current is None:
            raise StorageError(f"{self.path}: the vault file was moved or deleted while open; open it again")
        connection = container.connect(self.path, create=False)
        try:
            header = container.read_header(connection, self.path)
        except BaseException:
            connection.close()
            raise
        if header.vault_id != self.vault_id:
            connection.close()
            raise IntegrityError(f"{self.path}: the file was replaced by a different vault; open it again")
        log.info("vault %s: the file was replaced; reconnecting", self.path)
        self._db.close()
        self._db = connection
        self._file_id = current
        self._verified_data_version = None

    @contextlib.contextmanager
    def _transaction(self, step: str) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except container.SQLITE_ERRORS as error:
            raise container.storage_error(self.path, step, error) from None
        try:
            yield
            # data_version does not change for this connection's own commits.
            self._verified_data_version = None
            self._db.execute("COMMIT")
        except container.SQLITE_ERRORS as error:
            self._rollback()
            failure = container.storage_error(self.path, step, error)
            raise type(failure)(f"{failure}; nothing was saved") from None
        except BaseException:
            self._rollback()
            raise

    @contextlib.contextmanager
    def _read_transaction(self) -> Iterator[None]:
        """Make a sequence of reads see one snapshot: the manifest and the rows it covers.

        Without it another process could commit between reading the manifest and
        reading the rows, and the two would not match. Inside a write transaction
        the snapshot already holds.
        """
        if self._db.in_transaction:
            yield
            return
        try:
            self._db.execute("BEGIN")
        except container.SQLITE_ERRORS as error:
            raise container.storage_error(self.path, "read", error) from None
        try:
            yield
        finally:
            # A read-only transaction has nothing to roll back; this releases the lock.
            self._rollback()

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except container.SQLITE_ERRORS as error:
            # SQLite rolls back on its own after some errors; the journal covers the rest.
            log.debug("vault %s: rollback reported %s", self.path, error)

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except container.SQLITE_ERRORS as error:
            raise container.storage_error(self.path, "read", error) from None

    def _read_manifest(self) -> tuple[int, int]:
        """Return the MAC-verified (counter, accumulator as an int)."""
        keys = self._require_keys()
        rows = self._query("SELECT counter, accumulator, tag FROM manifest WHERE singleton = 1")
        if not rows:
            raise IntegrityError(f"{self.path}: the manifest row is missing")
        counter, accumulator, tag = rows[0]
        if not isinstance(counter, int) or not 0 <= counter <= _MAX_COUNTER:
            raise IntegrityError(f"{self.path}: the manifest counter is invalid")
        format.check_length(accumulator, limits.KEY_BYTES, "manifest accumulator")
        format.check_length(tag, limits.KEY_BYTES, "manifest tag")
        expected = crypto.hmac_sha256(keys.manifest, format.manifest_input(self.vault_id, counter, accumulator))
        if not crypto.constant_time_equal(expected, tag):
            raise IntegrityError(f"{self.path}: the manifest MAC is invalid; the vault was modified or damaged")
        return counter, int.from_bytes(accumulator, "big")

    def _load_all(self) -> None:
        counter, accumulator = self._read_manifest()
        self._entries = {}
        self._rows = {}
        try:
            # Iterate the cursor rather than fetchall(), so every ciphertext is not in memory at once.
            cursor = self._db.execute(f"SELECT {_ROW_COLUMNS} FROM entries")
            self._accumulator = self._apply_rows(cursor, 0)
        except container.SQLITE_ERRORS as error:
            self.lock()
            raise container.storage_error(self.path, "read", error) from None
        if self._accumulator != accumulator:
            self.lock()
            raise IntegrityError(
                f"{self.path}: the entries do not match the manifest, so they failed the integrity check; "
                "an entry was modified, damaged, added, removed or replayed"
            )
        self._counter = counter

    def _apply_rows(self, rows: Iterable[tuple], accumulator: int) -> int:
        """Verify rows into the accumulator, cache their states and decrypt live metadata.

        Returns the new accumulator. This loop is the unlock cost per entry, so it
        binds hot names to locals, converts each id once and checks each row inline
        (the checks of docs/vault-format.md, section 7.2, step 5).
        """
        keys = self._require_keys()
        states, entries = self._rows, self._entries
        leaf_mac, sha256 = crypto.hmac_sha256_with(keys.manifest), hashlib.sha256
        leaf_prefix, leaf_fields = format.LEAF_PREFIX, format.LEAF_FIELDS.pack
        ad_prefix, ad_fields = format.entry_associated_data_prefix(self.vault_id), format.ENTRY_AD_FIELDS.pack
        decrypt, decode = crypto.AeadOpener(keys.metadata), format.decode_plaintext
        canonical_id, metadata_part = format.CANONICAL_UUID.fullmatch, format.PART_METADATA
        hash_bytes, nonce_bytes = limits.KEY_BYTES, limits.XCHACHA_NONCE_BYTES
        cached_metadata = self._metadata_cache.get
        misses = 0
        # Each entry allocates a few dicts, which would run the cyclic garbage collector
        # over the growing cache again and again (a third of the unlock time at 100k
        # entries). Nothing here creates reference cycles.
        collect_garbage = gc.isenabled()
        gc.disable()
        try:
            for entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_hash in rows:
                # Unverified values: check types and ranges before they reach struct or a hash.
                if (
                    type(entry_id) is not str
                    or canonical_id(entry_id) is None
                    or type(revision) is not int
                    or type(updated_at) is not int
                    or not 1 <= revision <= _MAX_U64
                    or not 0 <= updated_at <= _MAX_U64
                    or type(deleted) is not int
                    or deleted not in (0, 1)
                    or type(meta_nonce) is not bytes
                    or type(meta_ct) is not bytes
                    or type(secret_hash) is not bytes
                    or len(secret_hash) != hash_bytes
                ):
                    _reject_row(entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_hash)
                if deleted:
                    if meta_nonce or meta_ct or secret_hash != EMPTY_HASH:
                        raise IntegrityError(f"entry {entry_id}: a tombstone must have empty ciphertexts")
                elif len(meta_nonce) != nonce_bytes or not _MIN_CIPHERTEXT <= len(meta_ct) <= _MAX_CIPHERTEXT:
                    raise IntegrityError(f"entry {entry_id}: metadata nonce or ciphertext length is invalid")
                id_bytes = bytes.fromhex(entry_id.replace("-", ""))

                # format.leaf_input_raw, inlined.
                leaf_input = leaf_prefix + id_bytes + leaf_fields(revision, updated_at, deleted)
                leaf_bytes = leaf_mac(leaf_input + sha256(meta_nonce + meta_ct).digest() + secret_hash)
                leaf = int.from_bytes(leaf_bytes, "big")
                previous = states.get(entry_id)
                if previous is not None:
                    accumulator ^= previous[2]
                accumulator ^= leaf
                states[entry_id] = (revision, deleted == 1, leaf)
                if deleted:
                    entries.pop(entry_id, None)
                    continue

                # An equal leaf means an identical metadata ciphertext, so its cached
                # plaintext is this row's: see metadata_cache.py.
                metadata = cached_metadata(leaf_bytes)
                if metadata is None:
                    # format.entry_associated_data_raw, inlined.
                    associated = ad_prefix + id_bytes + ad_fields(revision, metadata_part)
                    try:
                        metadata = decode(decrypt(meta_nonce, meta_ct, associated, "metadata"), "metadata")
                    except (IntegrityError, CorruptVault) as error:
                        raise type(error)(f"entry {entry_id} {error}") from None
                    misses += 1
                entries[entry_id] = Entry(entry_id, revision, updated_at, metadata)
        finally:
            decrypt.wipe()
            self._cache_misses += misses
            if collect_garbage:
                gc.enable()
        return accumulator


def _reject_row(entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_hash) -> None:
    """Raise IntegrityError naming the first invalid column of an unverified row."""
    try:
        format.entry_id_bytes(entry_id)
    except ValueError:
        shown = entry_id if isinstance(entry_id, str) else type(entry_id).__name__
        raise IntegrityError(f"entry id {shown!r} is not a canonical UUID") from None
    what = f"entry {entry_id}"
    format.check_u64(revision, 1, f"{what} revision")
    format.check_u64(updated_at, 0, f"{what} updated_at")
    if type(deleted) is not int or deleted not in (0, 1):
        shown = deleted if isinstance(deleted, int) else type(deleted).__name__
        raise IntegrityError(f"{what}: deleted flag {shown} is invalid; expected 0 or 1")
    if not isinstance(meta_nonce, bytes) or not isinstance(meta_ct, bytes):
        raise IntegrityError(f"{what}: metadata nonce or ciphertext is not a BLOB")
    format.check_length(secret_hash, limits.KEY_BYTES, f"{what} secret hash")
    raise IntegrityError(f"{what}: the row is invalid")


def _new_entry_id() -> str:
    return str(uuid.uuid4())


def _file_id(path: pathlib.Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _derive_keys(vault_key: bytes, vault_id: bytes) -> _Keys:
    return _Keys(
        metadata=crypto.hkdf_sha256(vault_key, vault_id, format.LABEL_METADATA_KEY),
        secret=crypto.hkdf_sha256(vault_key, vault_id, format.LABEL_SECRET_KEY),
        manifest=crypto.hkdf_sha256(vault_key, vault_id, format.LABEL_MANIFEST_KEY),
        cache=metadata_cache.derive_key(vault_key, vault_id),
    )


def _write_new_vault(
    connection: sqlite3.Connection, vault_id: bytes, vault_key: bytes, slots: tuple[keyslots.KeySlot, ...], created_at: int
) -> None:
    keys = _derive_keys(vault_key, vault_id)
    connection.execute(f"PRAGMA application_id = {format.APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {format.SCHEMA_VERSION}")
    connection.executescript(container.SCHEMA)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO vault VALUES (1, ?, ?, ?)", (format.FORMAT_VERSION, vault_id, created_at))
    for slot in slots:
        _insert_slot(connection, slot)
    tag = crypto.hmac_sha256(keys.manifest, format.manifest_input(vault_id, 0, _ZERO))
    connection.execute("INSERT INTO manifest VALUES (1, 0, ?, ?)", (_ZERO, tag))
    connection.execute("COMMIT")
    keys.wipe()


def _insert_slot(connection: sqlite3.Connection, slot: keyslots.KeySlot) -> None:
    params = slot.params or KdfParams(0, 0, 0)
    connection.execute(
        "INSERT INTO key_slots (kind, memory_kib, iterations, parallelism, flags, salt, nonce, wrapped_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (slot.kind, params.memory_kib, params.iterations, params.parallelism, slot.flags, slot.salt, slot.nonce, slot.wrapped_key),
    )
