"""Writes grouped into one transaction: encrypt, replace rows, update the accumulator.

A Batch lives inside Vault.batch(), which holds SQLite's write lock (BEGIN
IMMEDIATE) and has just brought the vault's verified row states up to date. The
batch checks expected revisions against those verified states, never against
unverified rows, and updates the manifest accumulator by XOR-ing out each old leaf
and XOR-ing in the new one, so a save costs O(changed entries).
"""

from typing import TYPE_CHECKING

from qvault.errors import EntryNotFound, RevisionConflict
from qvault.vault import crypto, format

if TYPE_CHECKING:
    from qvault.vault.store import RowState, Vault, _Keys

EMPTY_HASH = crypto.sha256(b"")


class Batch:
    """Writes collected inside one Vault.batch() transaction."""

    def __init__(self, vault: "Vault", keys: "_Keys", counter: int, accumulator: int, rows: dict[str, "RowState"]):
        self._vault = vault
        self._keys = keys
        self._rows = rows
        # States written by this batch, checked before the vault's, so a second put of
        # the same entry in one batch finds the first.
        self._pending: dict[str, "RowState"] = {}
        self.counter = counter
        self.accumulator = accumulator
        self.writes = 0

    def put(self, entry_id: str, expected_revision: int | None, metadata: dict, secret: dict) -> None:
        """Insert (expected_revision None) or update an entry.

        Raises RevisionConflict when the entry exists on insert or changed since
        expected_revision, EntryNotFound when an update names no entry, and
        TypeError or ValueError for an invalid id or a part JSON cannot hold.
        """
        id_bytes = format.entry_id_bytes(entry_id)
        previous = self._previous(entry_id, expected_revision)
        revision = previous[0] + 1 if previous else 1
        vault_id = self._vault.vault_id

        metadata_plaintext = format.encode_plaintext(metadata)
        secret_plaintext = format.encode_plaintext(secret)
        meta_nonce, meta_ct = crypto.aead_encrypt(
            self._keys.metadata,
            metadata_plaintext,
            format.entry_associated_data_raw(vault_id, id_bytes, revision, format.PART_METADATA),
        )
        secret_nonce, secret_ct = crypto.aead_encrypt(
            self._keys.secret,
            secret_plaintext,
            format.entry_associated_data_raw(vault_id, id_bytes, revision, format.PART_SECRET),
        )
        self._write(entry_id, id_bytes, previous, revision, False, meta_nonce, meta_ct, secret_nonce, secret_ct)

    def delete(self, entry_id: str, expected_revision: int) -> None:
        """Replace a live entry with a tombstone; raise EntryNotFound or RevisionConflict."""
        id_bytes = format.entry_id_bytes(entry_id)
        previous = self._previous(entry_id, expected_revision)
        if previous is None or previous[1]:
            raise EntryNotFound(f"no entry with id {entry_id}")
        self._write(entry_id, id_bytes, previous, previous[0] + 1, True, b"", b"", b"", b"")

    def _previous(self, entry_id: str, expected_revision: int | None) -> "RowState | None":
        previous = self._pending.get(entry_id) or self._rows.get(entry_id)
        if expected_revision is None:
            if previous is not None:
                raise RevisionConflict(f"entry {entry_id} already exists")
            return None
        if previous is None:
            raise EntryNotFound(f"no entry with id {entry_id}")
        if previous[0] != expected_revision:
            raise RevisionConflict(
                f"entry {entry_id} changed since it was read (revision {previous[0]}, expected {expected_revision}); "
                "reload it and apply the edit again"
            )
        return previous

    def _write(
        self,
        entry_id: str,
        id_bytes: bytes,
        previous: "RowState | None",
        revision: int,
        deleted: bool,
        meta_nonce: bytes,
        meta_ct: bytes,
        secret_nonce: bytes,
        secret_ct: bytes,
    ) -> None:
        updated_at = max(0, int(self._vault._clock() * 1000))
        secret_hash = crypto.sha256(secret_nonce + secret_ct)
        leaf = crypto.hmac_sha256(
            self._keys.manifest,
            format.leaf_input_raw(id_bytes, revision, updated_at, deleted, crypto.sha256(meta_nonce + meta_ct), secret_hash),
        )
        leaf_value = int.from_bytes(leaf, "big")

        old_leaf_value = previous[2] if previous else 0
        self.accumulator ^= old_leaf_value ^ leaf_value
        self._vault._db.execute(
            "INSERT OR REPLACE INTO entries "
            "(id, revision, updated_at, deleted, meta_nonce, meta_ct, secret_nonce, secret_ct, secret_hash, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry_id, revision, updated_at, int(deleted), meta_nonce, meta_ct, secret_nonce, secret_ct, secret_hash, self.counter),
        )
        self._pending[entry_id] = (revision, deleted, leaf_value)
        self.writes += 1
