"""The metadata cache: used only for rows whose verified leaf it contains, ignored when invalid."""

import pathlib
import stat

import pytest

from qvault.errors import IntegrityError
from qvault.vault import Vault, metadata_cache
from vault_helpers import PASSWORD, create_vault, execute

ENTRIES = metadata_cache.REWRITE_AFTER_MISSES + 20


@pytest.fixture
def vault_path(tmp_path) -> pathlib.Path:
    path = tmp_path / "vault.qvault"
    vault, _ = create_vault(path)
    with vault.batch() as batch:
        for index in range(ENTRIES):
            batch.put(
                f"00000000-0000-4000-8000-{index:012d}",
                None,
                {"type": "login", "title": f"Site {index}", "urls": [f"https://s{index}.example/"]},
                {"password": f"p{index}"},
            )
    vault.close()
    return path


def unlocked(path: pathlib.Path) -> Vault:
    vault = Vault.open(path)
    vault.unlock(PASSWORD)
    return vault


def count_decryptions(monkeypatch) -> list[int]:
    """Count metadata decryptions done by unlock, through the AEAD opener."""
    from qvault.vault import crypto

    calls = [0]
    original = crypto.AeadOpener.__call__

    def counting(self, *arguments):
        calls[0] += 1
        return original(self, *arguments)

    monkeypatch.setattr(crypto.AeadOpener, "__call__", counting)
    return calls


def test_cache_written_on_close(vault_path):
    cache = metadata_cache.cache_path(vault_path)
    assert cache.exists()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert b"Site 1" not in cache.read_bytes()


def test_warm_unlock_skips_decryption(vault_path, monkeypatch):
    calls = count_decryptions(monkeypatch)
    vault = unlocked(vault_path)
    assert calls[0] == 0
    assert len(vault.entries()) == ENTRIES
    assert vault.entry("00000000-0000-4000-8000-000000000007").title == "Site 7"
    vault.close()


def test_changed_row_is_decrypted(vault_path, monkeypatch):
    vault = unlocked(vault_path)
    entry = vault.entry("00000000-0000-4000-8000-000000000003")
    vault.update_entry(entry.id, entry.revision, dict(entry.metadata, title="Renamed"), {"password": "new"})
    vault.close()

    calls = count_decryptions(monkeypatch)
    vault = unlocked(vault_path)
    assert calls[0] == 1
    assert vault.entry(entry.id).title == "Renamed"
    vault.close()


def test_tampered_cache_ignored(vault_path, monkeypatch):
    cache = metadata_cache.cache_path(vault_path)
    data = bytearray(cache.read_bytes())
    data[len(data) // 2] ^= 0x01
    cache.write_bytes(bytes(data))

    calls = count_decryptions(monkeypatch)
    vault = unlocked(vault_path)
    assert calls[0] == ENTRIES
    assert vault.entry("00000000-0000-4000-8000-000000000005").title == "Site 5"
    vault.close()


def test_other_vaults_cache_ignored(vault_path, tmp_path):
    other_path = tmp_path / "other.qvault"
    other, _ = create_vault(other_path)
    other.close()
    metadata_cache.cache_path(other_path).write_bytes(metadata_cache.cache_path(vault_path).read_bytes())

    other = unlocked(other_path)
    assert other.entries() == []
    other.close()


def test_garbage_cache_ignored(vault_path):
    metadata_cache.cache_path(vault_path).write_bytes(b"not a cache")
    vault = unlocked(vault_path)
    assert len(vault.entries()) == ENTRIES
    vault.close()


def test_tampered_row_still_detected(vault_path):
    # The cache contains this row's old leaf. A modified row gets a new leaf, so the
    # accumulator check at unlock fails as it does without a cache.
    execute(vault_path, "UPDATE entries SET updated_at = updated_at + 1 WHERE id = ?", ("00000000-0000-4000-8000-000000000009",))
    vault = Vault.open(vault_path)
    with pytest.raises(IntegrityError, match="failed the integrity check"):
        vault.unlock(PASSWORD)
    vault.close()


def test_small_sessions_do_not_rewrite(vault_path):
    cache = metadata_cache.cache_path(vault_path)
    before = cache.stat().st_mtime_ns
    vault = unlocked(vault_path)
    entry = vault.entry("00000000-0000-4000-8000-000000000001")
    vault.update_entry(entry.id, entry.revision, entry.metadata, {"password": "x"})
    vault.close()
    assert cache.stat().st_mtime_ns == before


def test_unwritable_folder_only_logs(vault_path, monkeypatch, caplog):
    def fail(*arguments, **options):
        raise PermissionError(13, "Permission denied")

    metadata_cache.cache_path(vault_path).unlink()
    monkeypatch.setattr(metadata_cache.os, "open", fail)
    vault = unlocked(vault_path)
    vault.close()
    assert "could not write the metadata cache" in caplog.text
    assert not metadata_cache.cache_path(vault_path).exists()
