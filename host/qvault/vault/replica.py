"""Row-level access to a vault for sync: export, verify, apply and create from rows.

Sync moves entry rows between devices as ciphertext, byte for byte: the associated
data binds each ciphertext to (vault id, entry id, revision, part), so a row keeps
its meaning on every device that has the vault key. This module is the only sync
code that reaches into Vault and Batch internals (the connection, the derived keys
and the batch's pending states). Keep it next to store.py so a change there is seen
here.
"""

import dataclasses
import pathlib
import struct
import time

from qvault import limits
from qvault.errors import CorruptVault, IntegrityError, RevisionConflict, VaultExists
from qvault.vault import container, crypto, format, keyslots
from qvault.vault.batch import Batch
from qvault.vault.kdf import KdfParams
from qvault.vault.store import Vault, _insert_slot

# A serialised key slot: u8 blob version, u8 kind, u32 memory KiB, u32 iterations,
# u32 parallelism, u8 flags, then salt, nonce and wrapped key at fixed lengths.
SLOT_BLOB_VERSION = 1
_SLOT_HEADER = struct.Struct(">BBIIIB")
SLOT_BLOB_BYTES = (
    _SLOT_HEADER.size + limits.SALT_BYTES + limits.XCHACHA_NONCE_BYTES + limits.KEY_BYTES + limits.POLY1305_TAG_BYTES
)
# A serialised manifest: u64 counter, 32-byte accumulator, 32-byte HMAC tag.
MANIFEST_BLOB_BYTES = 8 + limits.KEY_BYTES + limits.KEY_BYTES
_MIN_CIPHERTEXT = limits.ENTRY_PADDING_BYTES + limits.POLY1305_TAG_BYTES
_MAX_CIPHERTEXT = limits.ENTRY_PLAINTEXT_MAX_BYTES + limits.ENTRY_PADDING_BYTES + limits.POLY1305_TAG_BYTES
_ROW_COLUMNS = "id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct"


@dataclasses.dataclass(frozen=True)
class RawRow:
    """One entry row as stored and as sent over the wire: ciphertext only.

    A tombstone has deleted=True and four empty byte strings.
    """

    id: str
    revision: int
    updated_at: int
    deleted: bool
    meta_nonce: bytes
    meta_ct: bytes
    secret_nonce: bytes
    secret_ct: bytes

    def __repr__(self) -> str:
        return f"<RawRow {self.id} r{self.revision}{' deleted' if self.deleted else ''}>"


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A MAC-verified manifest: a counter and the XOR accumulator of every row's leaf."""

    counter: int
    accumulator: int


# Rows


def check_row_shape(row: RawRow) -> None:
    """Raise IntegrityError unless the row's fields have valid types, ranges and lengths."""
    try:
        format.entry_id_bytes(row.id)
    except ValueError:
        shown = row.id if isinstance(row.id, str) else type(row.id).__name__
        raise IntegrityError(f"entry id {shown!r} is not a canonical UUID") from None
    what = f"entry {row.id}"
    format.check_u64(row.revision, 1, f"{what} revision")
    format.check_u64(row.updated_at, 0, f"{what} updated_at")
    if not isinstance(row.deleted, bool):
        raise IntegrityError(f"{what}: the deleted flag is not a boolean")
    parts = (row.meta_nonce, row.meta_ct, row.secret_nonce, row.secret_ct)
    if not all(isinstance(part, bytes) for part in parts):
        raise IntegrityError(f"{what}: a nonce or ciphertext is not bytes")
    if row.deleted:
        if any(parts):
            raise IntegrityError(f"{what}: a tombstone must have empty ciphertexts")
        return
    for nonce, ciphertext, part in ((row.meta_nonce, row.meta_ct, "metadata"), (row.secret_nonce, row.secret_ct, "secret")):
        if len(nonce) != limits.XCHACHA_NONCE_BYTES or not _MIN_CIPHERTEXT <= len(ciphertext) <= _MAX_CIPHERTEXT:
            raise IntegrityError(f"{what}: {part} nonce or ciphertext length is invalid")


def row_leaf(vault: Vault, row: RawRow) -> int:
    """Return the row's manifest leaf, HMAC-SHA256 under the manifest key, as an int."""
    keys = vault._require_keys()
    leaf = crypto.hmac_sha256(
        keys.manifest,
        format.leaf_input(
            row.id,
            row.revision,
            row.updated_at,
            row.deleted,
            crypto.sha256(row.meta_nonce + row.meta_ct),
            crypto.sha256(row.secret_nonce + row.secret_ct),
        ),
    )
    return int.from_bytes(leaf, "big")


def open_row(vault: Vault, row: RawRow) -> tuple[dict, dict] | None:
    """Check and decrypt both parts of a row; return (metadata, secret), or None for a tombstone.

    Raises IntegrityError when a ciphertext was moved from another entry, revision
    or part, or was altered.
    """
    check_row_shape(row)
    if row.deleted:
        return None
    keys = vault._require_keys()
    what = f"entry {row.id}"
    metadata_ad = format.entry_associated_data(vault.vault_id, row.id, row.revision, format.PART_METADATA)
    secret_ad = format.entry_associated_data(vault.vault_id, row.id, row.revision, format.PART_SECRET)
    metadata = crypto.aead_decrypt(keys.metadata, row.meta_nonce, row.meta_ct, metadata_ad, f"{what} metadata")
    secret = crypto.aead_decrypt(keys.secret, row.secret_nonce, row.secret_ct, secret_ad, f"{what} secret")
    return format.decode_plaintext(metadata, f"{what} metadata"), format.decode_plaintext(secret, f"{what} secret")


def export_rows(vault: Vault, since_seq: int) -> tuple[list[RawRow], int]:
    """Return the rows written after local counter since_seq, and the counter they are current at.

    Every returned row is checked against the leaf the vault verified at its last
    load, so a row changed behind the manifest is never sent anywhere.
    """
    # One read snapshot, so a commit by another process cannot land between the two reads.
    with vault._read_transaction():
        vault.refresh()
        rows = [_row(values) for values in vault._query(f"SELECT {_ROW_COLUMNS} FROM entries WHERE seq > ?", (since_seq,))]
    for row in rows:
        check_row_shape(row)
        verified = vault._rows.get(row.id)
        if verified is None or verified[2] != row_leaf(vault, row):
            raise IntegrityError(f"{vault.path}: entry {row.id} does not match the manifest; the vault was modified")
    return rows, vault.counter


def current_row(vault: Vault, entry_id: str) -> RawRow | None:
    """Return one verified row, live or tombstone, or None when the vault has no such id."""
    rows, _ = _rows_where(vault, "id = ?", (entry_id,))
    return rows[0] if rows else None


def _rows_where(vault: Vault, condition: str, parameters: tuple) -> tuple[list[RawRow], int]:
    with vault._read_transaction():
        vault.refresh()
        rows = [_row(values) for values in vault._query(f"SELECT {_ROW_COLUMNS} FROM entries WHERE {condition}", parameters)]
    for row in rows:
        verified = vault._rows.get(row.id)
        if verified is None or verified[2] != row_leaf(vault, row):
            raise IntegrityError(f"{vault.path}: entry {row.id} does not match the manifest; the vault was modified")
    return rows, vault.counter


def _row(values: tuple) -> RawRow:
    entry_id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct = values
    return RawRow(entry_id, revision, updated_at, bool(deleted), meta_nonce, meta_ct, secret_nonce, secret_ct)


def put_row(batch: Batch, row: RawRow) -> None:
    """Write a verified row verbatim inside a Vault.batch() transaction.

    The caller has checked the row with open_row. The batch's accumulator swaps the
    old leaf for the new one, exactly as Batch.put does for a row it encrypts.
    """
    vault = batch._vault
    previous = batch._pending.get(row.id) or batch._rows.get(row.id)
    leaf = row_leaf(vault, row)
    batch.accumulator ^= (previous[2] if previous else 0) ^ leaf
    secret_hash = crypto.sha256(row.secret_nonce + row.secret_ct)
    vault._db.execute(
        "INSERT OR REPLACE INTO entries "
        "(id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct, secret_hash, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.id,
            row.revision,
            row.updated_at,
            int(row.deleted),
            row.meta_nonce,
            row.meta_ct,
            row.secret_nonce,
            row.secret_ct,
            secret_hash,
            batch.counter,
        ),
    )
    batch._pending[row.id] = (row.revision, row.deleted, leaf)
    batch.writes += 1


def row_states(vault: Vault, entry_ids) -> dict:
    """Return the verified state (revision, deleted, leaf) of each id as of the last load, or None."""
    return {entry_id: vault._rows.get(entry_id) for entry_id in entry_ids}


def apply_changes(
    vault: Vault,
    expected_states: dict,
    rows: list[RawRow],
    puts: list[tuple[str, int | None, dict, dict]],
) -> None:
    """Write verified rows verbatim, then encrypt puts, in one transaction and one counter step.

    expected_states maps every id the caller merged to the state row_states returned
    then. If another process changed one of them since, RevisionConflict is raised
    and nothing is written. puts are (id, expected revision or None for a new entry,
    metadata, secret) and see the rows written before them.
    """
    with vault.batch() as batch:
        for entry_id, expected in expected_states.items():
            if batch._rows.get(entry_id) != expected:
                raise RevisionConflict(f"entry {entry_id} changed in the vault during sync; nothing was written")
        for row in rows:
            put_row(batch, row)
        for entry_id, expected_revision, metadata, secret in puts:
            batch.put(entry_id, expected_revision, metadata, secret)


# Manifests


def encode_manifest(vault: Vault, counter: int, accumulator: int) -> bytes:
    """Return a manifest blob over a row set, with the local vault's MAC construction."""
    keys = vault._require_keys()
    format.check_u64(counter, 0, "manifest counter")
    accumulator_bytes = accumulator.to_bytes(limits.KEY_BYTES, "big")
    tag = crypto.hmac_sha256(keys.manifest, format.manifest_input(vault.vault_id, counter, accumulator_bytes))
    return struct.pack(">Q", counter) + accumulator_bytes + tag


def decode_manifest(vault: Vault, unverified_blob: bytes) -> Manifest:
    """Verify a manifest blob's MAC and return it, or raise IntegrityError."""
    keys = vault._require_keys()
    if not isinstance(unverified_blob, bytes) or len(unverified_blob) != MANIFEST_BLOB_BYTES:
        raise IntegrityError(f"the manifest is {len(unverified_blob)} bytes; expected {MANIFEST_BLOB_BYTES}")
    counter = struct.unpack(">Q", unverified_blob[:8])[0]
    accumulator = unverified_blob[8 : 8 + limits.KEY_BYTES]
    tag = unverified_blob[8 + limits.KEY_BYTES :]
    expected = crypto.hmac_sha256(keys.manifest, format.manifest_input(vault.vault_id, counter, accumulator))
    if not crypto.constant_time_equal(expected, tag):
        raise IntegrityError("the manifest MAC is invalid; it was not written by a holder of the vault key")
    return Manifest(counter, int.from_bytes(accumulator, "big"))


def derive_subkey(vault: Vault, label: bytes) -> bytes:
    """Derive a 32-byte key from the vault key with HKDF-SHA256 (salt = vault id)."""
    return crypto.hkdf_sha256(vault._require_vault_key(), vault.vault_id, label)


def unlock_with_key(vault: Vault, vault_key: bytes) -> None:
    """Unlock with a vault key already unwrapped from a key slot, verifying every row."""
    vault._set_key(vault_key)


# Key slots


def encode_slot(slot: keyslots.KeySlot) -> bytes:
    """Serialise a key slot as an opaque, fixed-length blob for the server."""
    params = slot.params or KdfParams(0, 0, 0)
    header = _SLOT_HEADER.pack(SLOT_BLOB_VERSION, slot.kind, params.memory_kib, params.iterations, params.parallelism, slot.flags)
    return header + slot.salt + slot.nonce + slot.wrapped_key


def decode_slot(unverified_blob: bytes) -> keyslots.KeySlot:
    """Parse a key slot blob; raise CorruptVault for a wrong length, version, kind or flags.

    Nothing here is authenticated yet: unwrapping the slot checks the parameters,
    because they are in its associated data.
    """
    if not isinstance(unverified_blob, bytes) or len(unverified_blob) != SLOT_BLOB_BYTES:
        length = len(unverified_blob) if isinstance(unverified_blob, bytes) else type(unverified_blob).__name__
        raise CorruptVault(f"key slot blob length {length} is invalid; expected {SLOT_BLOB_BYTES} bytes")
    version, kind, memory, iterations, parallelism, flags = _SLOT_HEADER.unpack_from(unverified_blob)
    if version != SLOT_BLOB_VERSION:
        raise CorruptVault(f"key slot blob version {version} is not supported")
    if kind not in (format.SLOT_PASSWORD, format.SLOT_RECOVERY):
        raise CorruptVault(f"key slot kind {kind} is unknown")
    if flags & ~format.SLOT_FLAG_SECRET_KEY:
        raise CorruptVault(f"key slot flags {flags:#x} are unknown")
    if kind == format.SLOT_PASSWORD:
        params: KdfParams | None = KdfParams(memory, iterations, parallelism)
    elif (memory, iterations, parallelism, flags) == (0, 0, 0, 0):
        params = None
    else:
        raise CorruptVault("a recovery key slot must have zero KDF parameters and flags")
    offset = _SLOT_HEADER.size
    salt = unverified_blob[offset : offset + limits.SALT_BYTES]
    offset += limits.SALT_BYTES
    nonce = unverified_blob[offset : offset + limits.XCHACHA_NONCE_BYTES]
    offset += limits.XCHACHA_NONCE_BYTES
    wrapped = unverified_blob[offset:]
    return keyslots.KeySlot(None, kind, params, flags, salt, nonce, wrapped)


# A new vault from rows


def create_from_rows(
    path: pathlib.Path,
    vault_id: bytes,
    vault_key: bytes,
    slots: list[keyslots.KeySlot],
    rows: list[RawRow],
    created_at_ms: int | None = None,
) -> None:
    """Write a new vault file holding the given slots and verified rows.

    The caller has unwrapped vault_key from the password slot and checked every row
    with open_row. The file is built under a temporary name and renamed, as
    Vault.create does, so a crash leaves no half vault. Raises VaultExists or
    StorageError.
    """
    path = pathlib.Path(path)
    if path.exists():
        raise VaultExists(f"{path}: a file already exists; choose another path or remove it first")
    created_at_ms = int(time.time() * 1000) if created_at_ms is None else created_at_ms
    manifest_key = crypto.hkdf_sha256(vault_key, vault_id, format.LABEL_MANIFEST_KEY)
    try:
        with container.new_file(path) as connection:
            connection.execute(f"PRAGMA application_id = {format.APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {format.SCHEMA_VERSION}")
            connection.executescript(container.SCHEMA)
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO vault VALUES (1, ?, ?, ?)", (format.FORMAT_VERSION, vault_id, created_at_ms))
            for slot in slots:
                _insert_slot(connection, slot)
            accumulator = 0
            counter = 1 if rows else 0
            for row in rows:
                secret_hash = crypto.sha256(row.secret_nonce + row.secret_ct)
                leaf = crypto.hmac_sha256(
                    manifest_key,
                    format.leaf_input(
                        row.id, row.revision, row.updated_at, row.deleted, crypto.sha256(row.meta_nonce + row.meta_ct), secret_hash
                    ),
                )
                accumulator ^= int.from_bytes(leaf, "big")
                connection.execute(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (row.id, row.revision, row.updated_at, int(row.deleted), row.meta_nonce, row.meta_ct,
                     row.secret_nonce, row.secret_ct, secret_hash, counter),
                )
            accumulator_bytes = accumulator.to_bytes(limits.KEY_BYTES, "big")
            tag = crypto.hmac_sha256(manifest_key, format.manifest_input(vault_id, counter, accumulator_bytes))
            connection.execute("INSERT INTO manifest VALUES (1, ?, ?, ?)", (counter, accumulator_bytes, tag))
            connection.execute("COMMIT")
    finally:
        crypto.wipe(manifest_key)


__all__ = [
    "Manifest",
    "RawRow",
    "apply_changes",
    "row_states",
    "unlock_with_key",
    "check_row_shape",
    "create_from_rows",
    "current_row",
    "decode_manifest",
    "decode_slot",
    "derive_subkey",
    "encode_manifest",
    "encode_slot",
    "export_rows",
    "open_row",
    "put_row",
    "row_leaf",
]
