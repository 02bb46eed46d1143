"""Vault behaviour a user meets: create, unlock, edit, recover, refuse bad files."""

import os
import shutil

import pytest
from vault_helpers import PASSWORD, add_sample_entries, create_vault, execute

from qvault.errors import (
    CorruptVault,
    EntryNotFound,
    IntegrityError,
    RevisionConflict,
    UnsupportedFormat,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongPassword,
)
from qvault.vault import Vault, format, keyslots


@pytest.fixture
def vault_path(tmp_path):
    vault, _ = create_vault(tmp_path / "test.qvault")
    vault.close()
    return tmp_path / "test.qvault"


def test_create_open_roundtrip(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    expected = add_sample_entries(vault)
    vault.close()

    reopened = Vault.open(path)
    reopened.unlock(PASSWORD)
    assert {entry.id for entry in reopened.entries()} == set(expected)
    for entry_id, (metadata, secret) in expected.items():
        assert reopened.entry(entry_id).metadata == metadata
        assert reopened.get_secret(entry_id) == secret
    assert reopened.counter == 4


def test_create_file_mode_0600(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    vault.close()
    assert os.stat(tmp_path / "v.qvault").st_mode & 0o777 == 0o600


def test_create_existing_raises(vault_path):
    with pytest.raises(VaultExists, match="already exists"):
        create_vault(vault_path)


def test_container_ids(vault_path):
    assert execute(vault_path, "PRAGMA application_id") == [(0x51564C54,)]
    assert execute(vault_path, "PRAGMA user_version") == [(format.SCHEMA_VERSION,)]
    assert execute(vault_path, "PRAGMA journal_mode") == [("delete",)]


def test_open_missing_raises(tmp_path):
    with pytest.raises(VaultNotFound, match="no vault here"):
        Vault.open(tmp_path / "absent.qvault")


def test_open_folder_raises(tmp_path):
    with pytest.raises(VaultNotFound, match="is a folder, not a vault file; pass the vault file"):
        Vault.open(tmp_path)


def test_open_wrong_password(vault_path):
    vault = Vault.open(vault_path)
    with pytest.raises(WrongPassword, match="wrong master password"):
        vault.unlock("not the password")
    assert not vault.unlocked


def test_open_not_sqlite(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"just some text, certainly not a database\n" * 200)
    with pytest.raises(CorruptVault, match="not a Qvault vault"):
        Vault.open(path)


def test_open_other_sqlite(tmp_path):
    path = tmp_path / "other.db"
    execute(path, "CREATE TABLE t (x)")
    with pytest.raises(CorruptVault, match="application_id 0x0"):
        Vault.open(path)


def test_open_empty_file(tmp_path):
    path = tmp_path / "empty.qvault"
    path.write_bytes(b"")
    with pytest.raises(CorruptVault, match="not a Qvault vault"):
        Vault.open(path)


def test_open_newer_schema(vault_path):
    execute(vault_path, f"PRAGMA user_version = {format.SCHEMA_VERSION + 1}")
    with pytest.raises(UnsupportedFormat, match="upgrade Qvault"):
        Vault.open(vault_path)


def test_open_newer_format(vault_path):
    execute(vault_path, "UPDATE vault SET format_version = ?", (format.FORMAT_VERSION + 1,))
    with pytest.raises(UnsupportedFormat, match="upgrade Qvault"):
        Vault.open(vault_path)


def test_locked_vault_refuses_reads(vault_path):
    vault = Vault.open(vault_path)
    with pytest.raises(VaultError, match="locked"):
        vault.entries()


def test_secret_key_required(tmp_path):
    secret_key = os.urandom(keyslots.SECRET_KEY_BYTES)
    vault, _ = create_vault(tmp_path / "v.qvault", secret_key=secret_key)
    entry = vault.add_entry({"title": "x"}, {"password": "y"})
    vault.close()

    reopened = Vault.open(tmp_path / "v.qvault")
    assert reopened.needs_secret_key
    with pytest.raises(WrongPassword, match="secret key"):
        reopened.unlock(PASSWORD)
    with pytest.raises(WrongPassword, match="or secret key"):
        reopened.unlock(PASSWORD, os.urandom(keyslots.SECRET_KEY_BYTES))
    reopened.unlock(PASSWORD, secret_key)
    assert reopened.get_secret(entry.id) == {"password": "y"}


def test_recovery_code_unlocks(tmp_path):
    vault, recovery_code = create_vault(tmp_path / "v.qvault")
    entry = vault.add_entry({"title": "x"}, {"password": "y"})
    vault.close()
    printed = keyslots.encode_code(recovery_code)

    reopened = Vault.open(tmp_path / "v.qvault")
    reopened.unlock_with_recovery_code(keyslots.decode_code(printed.lower().replace("-", " "), keyslots.RECOVERY_CODE_BYTES, "recovery code"))
    assert reopened.get_secret(entry.id) == {"password": "y"}
    with pytest.raises(WrongPassword, match="wrong recovery code"):
        reopened.unlock_with_recovery_code(os.urandom(keyslots.RECOVERY_CODE_BYTES))


def test_recovery_resets_password(tmp_path):
    vault, recovery_code = create_vault(tmp_path / "v.qvault")
    vault.close()
    reopened = Vault.open(tmp_path / "v.qvault")
    reopened.unlock_with_recovery_code(recovery_code)
    reopened.change_password("a new password")
    reopened.close()

    again = Vault.open(tmp_path / "v.qvault")
    with pytest.raises(WrongPassword):
        again.unlock(PASSWORD)
    again.unlock("a new password")


def test_change_password_rewraps_only(tmp_path):
    path = tmp_path / "v.qvault"
    vault, recovery_code = create_vault(path)
    add_sample_entries(vault)
    entries_before = execute(path, "SELECT * FROM entries ORDER BY id")
    manifest_before = execute(path, "SELECT * FROM manifest")
    recovery_before = execute(path, "SELECT * FROM key_slots WHERE kind = 2")
    password_before = execute(path, "SELECT * FROM key_slots WHERE kind = 1")

    vault.change_password("another password")

    assert execute(path, "SELECT * FROM entries ORDER BY id") == entries_before
    assert execute(path, "SELECT * FROM manifest") == manifest_before
    assert execute(path, "SELECT * FROM key_slots WHERE kind = 2") == recovery_before
    assert execute(path, "SELECT * FROM key_slots WHERE kind = 1") != password_before
    vault.close()
    reopened = Vault.open(path)
    reopened.unlock("another password")
    reopened.lock()
    reopened.unlock_with_recovery_code(recovery_code)


def test_change_password_adds_secret_key(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    secret_key = os.urandom(keyslots.SECRET_KEY_BYTES)
    vault.change_password(PASSWORD, secret_key=secret_key)
    vault.close()
    reopened = Vault.open(tmp_path / "v.qvault")
    with pytest.raises(WrongPassword, match="secret key"):
        reopened.unlock(PASSWORD)
    reopened.unlock(PASSWORD, secret_key)


def test_update_stale_revision_conflicts(vault_path):
    first = Vault.open(vault_path)
    first.unlock(PASSWORD)
    entry = first.add_entry({"title": "shared"}, {"password": "1"})
    second = Vault.open(vault_path)
    second.unlock(PASSWORD)

    second.update_entry(entry.id, entry.revision, {"title": "shared"}, {"password": "2"})
    with pytest.raises(RevisionConflict, match="changed since it was read"):
        first.update_entry(entry.id, entry.revision, {"title": "shared"}, {"password": "3"})
    assert first.get_secret(entry.id) == {"password": "2"}


def test_refresh_sees_other_writer(vault_path):
    reader = Vault.open(vault_path)
    reader.unlock(PASSWORD)
    writer = Vault.open(vault_path)
    writer.unlock(PASSWORD)
    entry = writer.add_entry({"title": "new"}, {"password": "p"})

    assert reader.refresh()
    assert reader.entry(entry.id).title == "new"
    assert not reader.refresh()
    assert reader.counter == writer.counter


def test_delete_then_missing(vault_path):
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    entry = vault.add_entry({"title": "x"}, {"password": "y"})
    vault.delete_entry(entry.id, entry.revision)
    with pytest.raises(EntryNotFound, match="no entry"):
        vault.get_secret(entry.id)
    with pytest.raises(EntryNotFound, match="no entry"):
        vault.delete_entry(entry.id, entry.revision + 1)
    assert execute(vault_path, "SELECT deleted, revision FROM entries WHERE id = ?", (entry.id,)) == [(1, 2)]


def test_batch_all_or_nothing(vault_path):
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    kept = vault.add_entry({"title": "kept"}, {"password": "1"})
    counter = vault.counter
    with pytest.raises(RevisionConflict):
        with vault.batch() as batch:
            batch.put("00000000-0000-4000-8000-000000000001", None, {"title": "new"}, {})
            batch.put(kept.id, kept.revision + 5, {"title": "bad"}, {})
    assert vault.counter == counter
    assert [entry.id for entry in vault.entries()] == [kept.id]


def test_batch_same_entry_twice(vault_path):
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    entry_id = "00000000-0000-4000-8000-000000000002"
    with vault.batch() as batch:
        batch.put(entry_id, None, {"title": "a"}, {"v": 1})
        batch.put(entry_id, 1, {"title": "b"}, {"v": 2})
    assert vault.entry(entry_id).revision == 2
    assert vault.get_secret(entry_id) == {"v": 2}
    vault.close()
    reopened = Vault.open(vault_path)
    reopened.unlock(PASSWORD)
    assert reopened.get_secret(entry_id) == {"v": 2}


def test_put_bad_id_raises(vault_path):
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    with pytest.raises(ValueError, match="not a lowercase hyphenated UUID"):
        with vault.batch() as batch:
            batch.put("ABCDEF00-0000-4000-8000-000000000002", None, {}, {})


def test_put_nan_raises(vault_path):
    vault = Vault.open(vault_path)
    vault.unlock(PASSWORD)
    with pytest.raises(ValueError, match="NaN or infinity"):
        vault.add_entry({"title": "x"}, {"amount": float("nan")})
    with pytest.raises(TypeError, match="JSON cannot encode"):
        vault.add_entry({"title": "x"}, {"raw": b"bytes"})
    assert vault.entries() == []


def test_row_deleted_detected(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    expected = add_sample_entries(vault)
    vault.close()
    execute(path, "DELETE FROM entries WHERE id = ?", (next(iter(expected)),))

    reopened = Vault.open(path)
    with pytest.raises(IntegrityError, match="do not match the manifest"):
        reopened.unlock(PASSWORD)
    assert not reopened.unlocked


def test_row_modified_detected(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    expected = add_sample_entries(vault)
    vault.close()
    execute(path, "UPDATE entries SET updated_at = updated_at + 1 WHERE id = ?", (next(iter(expected)),))

    reopened = Vault.open(path)
    with pytest.raises(IntegrityError, match="failed the integrity check; an entry was modified, damaged"):
        reopened.unlock(PASSWORD)


def test_row_replay_detected(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    entry = vault.add_entry({"title": "x"}, {"password": "old"})
    old_row = execute(path, "SELECT * FROM entries WHERE id = ?", (entry.id,))[0]
    vault.update_entry(entry.id, entry.revision, {"title": "x"}, {"password": "new"})

    execute(path, f"INSERT OR REPLACE INTO entries VALUES ({', '.join('?' * len(old_row))})", old_row)

    # The open vault keeps the verified newer revision and rejects the replayed row.
    with pytest.raises(IntegrityError):
        vault.get_secret(entry.id)
    vault.close()
    reopened = Vault.open(path)
    with pytest.raises(IntegrityError, match="do not match the manifest"):
        reopened.unlock(PASSWORD)


def test_rollback_in_place_detected(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    vault.add_entry({"title": "first"}, {"password": "1"})
    old_copy = path.read_bytes()
    vault.add_entry({"title": "second"}, {"password": "2"})

    # Overwrite the file's bytes with the older copy, as a sync tool writing in place would.
    with open(path, "r+b") as handle:
        handle.write(old_copy)
        handle.truncate()

    with pytest.raises(IntegrityError, match="counter went back from 2 to 1"):
        vault.refresh()


def test_rollback_by_rename_detected(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    vault.add_entry({"title": "first"}, {"password": "1"})
    shutil.copyfile(path, tmp_path / "older.qvault")
    vault.add_entry({"title": "second"}, {"password": "2"})

    os.replace(tmp_path / "older.qvault", path)

    with pytest.raises(IntegrityError, match="counter went back"):
        vault.entries()


def test_replaced_by_other_vault(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    other, _ = create_vault(tmp_path / "other.qvault")
    other.close()
    os.replace(tmp_path / "other.qvault", path)
    with pytest.raises(IntegrityError, match="different vault"):
        vault.refresh()


def test_forked_history_detected(tmp_path):
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    shutil.copyfile(path, tmp_path / "fork.qvault")
    vault.add_entry({"title": "mine"}, {"password": "1"})

    fork = Vault.open(tmp_path / "fork.qvault")
    fork.unlock(PASSWORD)
    fork.add_entry({"title": "theirs"}, {"password": "2"})
    fork.close()
    os.replace(tmp_path / "fork.qvault", path)

    with pytest.raises(IntegrityError, match="different history"):
        vault.refresh()


def test_reprs_hold_no_secret(tmp_path):
    vault, recovery_code = create_vault(tmp_path / "v.qvault")
    entry = vault.add_entry({"title": "visible"}, {"password": "hunter2-secret"})
    text = repr(vault) + repr(entry) + repr(vault.key_slots())
    assert "hunter2-secret" not in text
    assert PASSWORD not in text
    assert recovery_code.hex() not in text
