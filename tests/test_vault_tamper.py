"""Every byte of every authenticated field, changed on disk, is detected as a QvaultError.

Each case edits one value in a copy of a small vault, then opens it, unlocks it and
reads every entry and secret. The outcome must be one of the vault's own errors,
or (for the few columns that are not authenticated) exactly the original data:
never different plaintext and never another exception type.
"""

import functools
import random
import shutil

import pytest
from vault_helpers import PASSWORD, add_sample_entries, create_vault, execute

from qvault.errors import (
    CorruptVault,
    IntegrityError,
    KdfParametersRejected,
    UnsupportedFormat,
    WrongPassword,
)
from qvault.vault import Vault, kdf, keyslots

DETECTED = (IntegrityError, WrongPassword, CorruptVault, KdfParametersRejected, UnsupportedFormat)
ROW_BLOBS = ("meta_nonce", "meta_ct", "secret_nonce", "secret_ct", "secret_hash")
INTEGER_BITS = list(range(8)) + [20, 40, 62]


@pytest.fixture(scope="module")
def cached_kdf():
    """Memoise the real Argon2id, so the hundreds of unlocks here cost one run per input."""
    cached = functools.lru_cache(maxsize=None)(kdf.derive)

    def derive(secret, salt, params):
        # A fresh copy each time, because keyslots wipes the output after use.
        return bytes(bytearray(cached(secret, salt, params)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyslots, "derive", derive)
        yield


@pytest.fixture(scope="module")
def sample(tmp_path_factory, cached_kdf):
    folder = tmp_path_factory.mktemp("tamper")
    vault, recovery_code = create_vault(folder / "pristine.qvault")
    expected = add_sample_entries(vault)
    vault.close()
    return folder / "pristine.qvault", expected, recovery_code


@pytest.fixture
def vault_copy(sample, tmp_path):
    pristine, expected, recovery_code = sample
    path = tmp_path / "copy.qvault"
    shutil.copyfile(pristine, path)
    return path, expected, recovery_code


def read_everything(path, expected, recovery_code=None):
    """Return the error class raised while opening and reading, or None if all data matched."""
    try:
        vault = Vault.open(path)
    except DETECTED as error:
        return type(error)
    try:
        if recovery_code is None:
            vault.unlock(PASSWORD)
        else:
            vault.unlock_with_recovery_code(recovery_code)
        live = {entry.id: entry.metadata for entry in vault.entries()}
        assert set(live) == set(expected), "the set of live entries changed without an error"
        for entry_id, (metadata, secret) in expected.items():
            assert live[entry_id] == metadata, "metadata changed without an error"
            assert vault.get_secret(entry_id) == secret, "a secret changed without an error"
        return None
    except DETECTED as error:
        return type(error)
    finally:
        vault.close()


def flipped_bytes(value):
    for index in range(len(value)):
        changed = bytearray(value)
        changed[index] ^= 0x01
        yield index, bytes(changed)


def check_blob_column(path, expected, table, column, where, parameters, recovery_code=None):
    """Flip each byte of one BLOB in turn; every flip must be detected."""
    (original,) = execute(path, f"SELECT {column} FROM {table} WHERE {where}", parameters)[0]
    assert isinstance(original, bytes)
    for index, changed in flipped_bytes(original):
        execute(path, f"UPDATE {table} SET {column} = ? WHERE {where}", (changed, *parameters))
        outcome = read_everything(path, expected, recovery_code)
        assert outcome is not None, f"{table}.{column} byte {index} flipped went unnoticed"
    execute(path, f"UPDATE {table} SET {column} = ? WHERE {where}", (original, *parameters))
    assert read_everything(path, expected, recovery_code) is None


def check_integer_column(path, expected, table, column, where, parameters, authenticated=True):
    (original,) = execute(path, f"SELECT {column} FROM {table} WHERE {where}", parameters)[0]
    for bit in INTEGER_BITS:
        execute(path, f"UPDATE {table} SET {column} = ? WHERE {where}", (original ^ (1 << bit), *parameters))
        outcome = read_everything(path, expected)
        if authenticated:
            assert outcome is not None, f"{table}.{column} bit {bit} flipped went unnoticed"
        else:
            assert outcome is None, f"{table}.{column} is not authenticated but bit {bit} broke reading"
    execute(path, f"UPDATE {table} SET {column} = ? WHERE {where}", (original, *parameters))


def entry_ids(path):
    live = [row[0] for row in execute(path, "SELECT id FROM entries WHERE deleted = 0 ORDER BY id")]
    dead = [row[0] for row in execute(path, "SELECT id FROM entries WHERE deleted = 1")]
    return live, dead


def test_pristine_reads(vault_copy):
    path, expected, recovery_code = vault_copy
    assert read_everything(path, expected) is None
    assert read_everything(path, expected, recovery_code) is None


@pytest.mark.parametrize("column", ["salt", "nonce", "wrapped_key"])
def test_password_slot_blob(vault_copy, column):
    path, expected, _ = vault_copy
    check_blob_column(path, expected, "key_slots", column, "kind = ?", (1,))


@pytest.mark.parametrize("column", ["kind", "memory_kib", "iterations", "parallelism", "flags"])
def test_password_slot_integer(vault_copy, column):
    path, expected, _ = vault_copy
    check_integer_column(path, expected, "key_slots", column, "kind = 1", ())


@pytest.mark.parametrize("column", ["salt", "nonce", "wrapped_key"])
def test_recovery_slot_blob(vault_copy, column):
    path, expected, recovery_code = vault_copy
    check_blob_column(path, expected, "key_slots", column, "kind = ?", (2,), recovery_code)


def test_recovery_slot_unused_by_password(vault_copy):
    # A damaged recovery slot does not stop password unlocks; it fails when it is used.
    path, expected, recovery_code = vault_copy
    execute(path, "UPDATE key_slots SET wrapped_key = zeroblob(48) WHERE kind = 2")
    assert read_everything(path, expected) is None
    assert read_everything(path, expected, recovery_code) is WrongPassword


@pytest.mark.parametrize("column", ["kind", "memory_kib", "iterations", "parallelism", "flags"])
def test_recovery_slot_integer(vault_copy, column):
    path, expected, _ = vault_copy
    (original,) = execute(path, f"SELECT {column} FROM key_slots WHERE kind = 2")[0]
    for bit in INTEGER_BITS:
        execute(path, f"UPDATE key_slots SET {column} = ? WHERE slot_id = 2", (original ^ (1 << bit),))
        assert read_everything(path, expected) is CorruptVault, f"recovery slot {column} bit {bit}"
    execute(path, f"UPDATE key_slots SET {column} = ? WHERE slot_id = 2", (original,))


def test_slot_deleted(vault_copy):
    path, expected, _ = vault_copy
    execute(path, "DELETE FROM key_slots WHERE kind = 1")
    assert read_everything(path, expected) is CorruptVault


def test_slot_duplicated(vault_copy):
    path, expected, _ = vault_copy
    execute(
        path,
        "INSERT INTO key_slots (kind, memory_kib, iterations, parallelism, flags, salt, nonce, wrapped_key) "
        "SELECT kind, memory_kib, iterations, parallelism, flags, salt, nonce, wrapped_key FROM key_slots WHERE kind = 1",
    )
    assert read_everything(path, expected) is CorruptVault


@pytest.mark.parametrize("column", ROW_BLOBS)
def test_entry_blob(vault_copy, column):
    path, expected, _ = vault_copy
    live, _ = entry_ids(path)
    for entry_id in live:
        check_blob_column(path, expected, "entries", column, "id = ?", (entry_id,))


def test_tombstone_hash(vault_copy):
    path, expected, _ = vault_copy
    _, dead = entry_ids(path)
    check_blob_column(path, expected, "entries", "secret_hash", "id = ?", (dead[0],))


@pytest.mark.parametrize("column", ["revision", "updated_at", "deleted"])
def test_entry_integer(vault_copy, column):
    path, expected, _ = vault_copy
    live, dead = entry_ids(path)
    for entry_id in live + dead:
        check_integer_column(path, expected, "entries", column, "id = ?", (entry_id,))


def test_entry_seq_unauthenticated(vault_copy):
    # seq only selects which rows refresh rereads, so a wrong value is never trusted.
    path, expected, _ = vault_copy
    live, dead = entry_ids(path)
    for entry_id in live + dead:
        check_integer_column(path, expected, "entries", "seq", "id = ?", (entry_id,), authenticated=False)


def test_entry_id(vault_copy):
    path, expected, _ = vault_copy
    live, dead = entry_ids(path)
    for entry_id in live + dead:
        for index, changed in flipped_bytes(entry_id.encode("ascii")):
            # Stored as TEXT, even where the flip makes it invalid UTF-8.
            execute(path, "UPDATE entries SET id = CAST(? AS TEXT) WHERE id = ?", (changed, entry_id))
            assert read_everything(path, expected) is not None, f"entry id byte {index} flipped went unnoticed"
            execute(path, "UPDATE entries SET id = ? WHERE CAST(id AS BLOB) = ?", (entry_id, changed))
        assert read_everything(path, expected) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET revision = 'one'",
        "UPDATE entries SET revision = revision + 0.5",
        "UPDATE entries SET revision = -1",
        "UPDATE entries SET updated_at = -5",
        "UPDATE entries SET deleted = 2",
        "UPDATE entries SET meta_ct = CAST(meta_ct AS TEXT) WHERE deleted = 0",
        "UPDATE entries SET secret_hash = zeroblob(31)",
        "UPDATE entries SET meta_nonce = meta_nonce || x'00' WHERE deleted = 0",
        "UPDATE entries SET meta_ct = x'' WHERE deleted = 0",
        "UPDATE entries SET deleted = 0 WHERE deleted = 1",
        "UPDATE entries SET id = upper(id)",
        "UPDATE manifest SET counter = -1",
        "UPDATE manifest SET counter = 'one'",
        "UPDATE manifest SET accumulator = zeroblob(32)",
        "UPDATE manifest SET tag = x''",
        "DELETE FROM manifest",
        "DELETE FROM vault",
        "UPDATE vault SET vault_id = zeroblob(15)",
        "UPDATE vault SET format_version = 0",
        "UPDATE key_slots SET salt = 'text' WHERE kind = 1",
        "UPDATE key_slots SET memory_kib = 'lots' WHERE kind = 1",
        "DROP TABLE entries",
    ],
)
def test_odd_values(vault_copy, statement):
    path, expected, _ = vault_copy
    execute(path, statement)
    assert read_everything(path, expected) is not None


def test_row_swap_between_entries(vault_copy):
    path, expected, _ = vault_copy
    first, second = entry_ids(path)[0]
    columns = "meta_nonce, meta_ct, secret_nonce, secret_ct, secret_hash"
    row = execute(path, f"SELECT {columns} FROM entries WHERE id = ?", (first,))[0]
    execute(path, f"UPDATE entries SET ({columns}) = (?, ?, ?, ?, ?) WHERE id = ?", (*row, second))
    assert read_everything(path, expected) is IntegrityError


def test_secret_swap_between_entries(vault_copy):
    # Swap only the secret parts and recompute nothing: the manifest leaf catches it.
    path, expected, _ = vault_copy
    first, second = entry_ids(path)[0]
    columns = "secret_nonce, secret_ct, secret_hash"
    row = execute(path, f"SELECT {columns} FROM entries WHERE id = ?", (first,))[0]
    execute(path, f"UPDATE entries SET ({columns}) = (?, ?, ?) WHERE id = ?", (*row, second))
    assert read_everything(path, expected) is IntegrityError


@pytest.mark.parametrize("column", ["accumulator", "tag"])
def test_manifest_blob(vault_copy, column):
    path, expected, _ = vault_copy
    check_blob_column(path, expected, "manifest", column, "singleton = ?", (1,))


def test_manifest_counter(vault_copy):
    path, expected, _ = vault_copy
    check_integer_column(path, expected, "manifest", "counter", "singleton = 1", ())


def test_vault_id(vault_copy):
    path, expected, _ = vault_copy
    check_blob_column(path, expected, "vault", "vault_id", "singleton = ?", (1,))


def test_vault_format_version(vault_copy):
    path, expected, _ = vault_copy
    check_integer_column(path, expected, "vault", "format_version", "singleton = 1", ())


def test_vault_created_at_unauthenticated(vault_copy):
    path, expected, _ = vault_copy
    check_integer_column(path, expected, "vault", "created_at", "singleton = 1", (), authenticated=False)


def test_raw_file_bytes(vault_copy):
    """Flip sampled bytes of the file itself: SQLite-level damage stays a QvaultError."""
    path, expected, _ = vault_copy
    original = path.read_bytes()
    offsets = random.Random(1234).sample(range(len(original)), 400)
    outcomes = {}
    for offset in offsets:
        damaged = bytearray(original)
        damaged[offset] ^= 0xFF
        path.write_bytes(damaged)
        outcome = read_everything(path, expected)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    path.write_bytes(original)
    # Most of a small SQLite file is unused page space, so many flips change nothing.
    assert None in outcomes
    assert set(outcomes) - {None} <= set(DETECTED)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET secret_ct = zeroblob(length(secret_ct)) WHERE deleted = 0",
        "UPDATE entries SET secret_nonce = zeroblob(24) WHERE deleted = 0",
        "UPDATE entries SET revision = revision + 0.5",
        "UPDATE entries SET updated_at = 'later'",
        "UPDATE entries SET meta_ct = 'text' WHERE deleted = 0",
        "DELETE FROM entries",
    ],
)
def test_changed_after_unlock(vault_copy, statement):
    """Rows edited behind an unlocked vault's back: get_secret raises, never returns other data."""
    path, expected, _ = vault_copy
    vault = Vault.open(path)
    vault.unlock(PASSWORD)
    execute(path, statement)
    for entry_id in expected:
        with pytest.raises(IntegrityError):
            vault.get_secret(entry_id)
    vault.close()
