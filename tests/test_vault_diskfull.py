"""A full disk during a save raises StorageError and leaves the previous state intact.

The disk is a 1 MiB tmpfs mounted for the test, which needs root (CI runs as
root). Without root the test falls back to RLIMIT_FSIZE in a forked child, where
an oversized write fails with EFBIG instead of ENOSPC.
"""

import os
import resource
import shutil
import signal
import subprocess

import pytest
from vault_helpers import PASSWORD, create_vault

from qvault.errors import StorageError
from qvault.vault import Vault
from qvault.vault.kdf import FLOOR

BIG_SECRET = {"notes": "n" * 600_000}


def mount_tmpfs(folder):
    """Mount a 1 MiB tmpfs at folder; return an error text, or None on success."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "the mount command is missing"
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(folder)], capture_output=True, text=True
    )
    return None if result.returncode == 0 else f"mount failed: {result.stderr.strip()}"


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "disk"
    folder.mkdir()
    problem = mount_tmpfs(folder)
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"a tmpfs is required under CI=true: {problem}")
        pytest.skip(problem)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder, leave_bytes):
    """Fill the file system at folder until about leave_bytes stay free; return the filler path."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave_bytes))
    return filler


def test_save_on_full_disk(small_disk):
    path = small_disk / "v.qvault"
    vault, _ = create_vault(path)
    kept = vault.add_entry({"title": "kept"}, {"password": "still here"})
    counter = vault.counter
    filler = fill(small_disk, 64 * 1024)

    with pytest.raises(StorageError, match="disk is full; free some space and retry.*nothing was saved"):
        vault.add_entry({"title": "too big"}, BIG_SECRET)

    assert vault.counter == counter
    assert [entry.title for entry in vault.entries()] == ["kept"]
    assert not os.path.exists(f"{path}-journal")
    vault.close()

    reopened = Vault.open(path)
    reopened.unlock(PASSWORD)
    assert reopened.get_secret(kept.id) == {"password": "still here"}
    assert reopened.counter == counter

    # With space freed the same save succeeds.
    filler.unlink()
    big = reopened.add_entry({"title": "big"}, BIG_SECRET)
    assert reopened.get_secret(big.id) == BIG_SECRET


def test_create_on_full_disk(small_disk):
    fill(small_disk, 0)
    with pytest.raises(StorageError, match="disk is full|could not create"):
        Vault.create(small_disk / "v.qvault", PASSWORD, params=FLOOR)
    assert sorted(path.name for path in small_disk.iterdir()) == ["filler"]


def test_save_over_file_size_limit(tmp_path):
    """Without a tmpfs: a child whose RLIMIT_FSIZE stops the file growing."""
    path = tmp_path / "v.qvault"
    vault, _ = create_vault(path)
    kept = vault.add_entry({"title": "kept"}, {"password": "still here"})
    vault.close()

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            child = Vault.open(path)
            child.unlock(PASSWORD)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            limit = os.path.getsize(path) + 16 * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            try:
                child.add_entry({"title": "too big"}, BIG_SECRET)
                os.write(write_fd, b"no error")
            except Exception as error:
                os.write(write_fd, f"{type(error).__name__}: {error}".encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    report = b""
    while chunk := os.read(read_fd, 4096):
        report += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)

    assert report.decode().startswith("StorageError: ")
    assert "nothing was saved" in report.decode()
    reopened = Vault.open(path)
    reopened.unlock(PASSWORD)
    assert [entry.id for entry in reopened.entries()] == [kept.id]
