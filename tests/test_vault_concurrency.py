"""Two processes writing one vault: no update is lost, stale writes raise RevisionConflict."""

import os
import random
import time

import pytest
from vault_helpers import PASSWORD, create_vault

from qvault.errors import RevisionConflict
from qvault.vault import Vault

SHARED_ID = "22222222-0000-4000-8000-000000000000"
ENTRIES_PER_WRITER = 25
INCREMENTS_PER_WRITER = 25


def run_child(body):
    """Fork; run body(write_fd) in the child; return (pid, read_fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            body(write_fd)
        except BaseException as error:
            os.write(write_fd, f"\nFAILED {type(error).__name__}: {error}".encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def collect(pid, read_fd):
    output = b""
    while chunk := os.read(read_fd, 4096):
        output += chunk
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode()
    return output.decode()


def writer(path, recovery_code, name):
    def body(report_fd):
        vault = Vault.open(path)
        vault.unlock_with_recovery_code(recovery_code)
        rng = random.Random(name)
        conflicts = 0
        added = 0
        increments = 0
        while added < ENTRIES_PER_WRITER or increments < INCREMENTS_PER_WRITER:
            if added < ENTRIES_PER_WRITER:
                vault.add_entry({"title": f"{name}-{added}", "writer": name}, {"index": added})
                added += 1
            if increments < INCREMENTS_PER_WRITER:
                entry = vault.entry(SHARED_ID)
                value = vault.get_secret(SHARED_ID)["value"]
                # Widen the window between read and write so the writers collide.
                time.sleep(rng.uniform(0, 0.003))
                try:
                    vault.update_entry(SHARED_ID, entry.revision, entry.metadata, {"value": value + 1})
                    increments += 1
                except RevisionConflict:
                    conflicts += 1
        os.write(report_fd, str(conflicts).encode())

    return body


def test_two_writers_lose_nothing(tmp_path):
    path = tmp_path / "shared.qvault"
    vault, recovery_code = create_vault(path)
    with vault.batch() as batch:
        batch.put(SHARED_ID, None, {"title": "shared counter"}, {"value": 0})
    vault.close()

    children = [run_child(writer(path, recovery_code, name)) for name in ("alpha", "beta")]
    conflicts = [int(collect(*child)) for child in children]

    final = Vault.open(path)
    final.unlock(PASSWORD)
    assert final.get_secret(SHARED_ID) == {"value": 2 * INCREMENTS_PER_WRITER}
    entries = [entry for entry in final.entries() if entry.id != SHARED_ID]
    assert len(entries) == 2 * ENTRIES_PER_WRITER
    for name in ("alpha", "beta"):
        indexes = sorted(final.get_secret(entry.id)["index"] for entry in entries if entry.metadata["writer"] == name)
        assert indexes == list(range(ENTRIES_PER_WRITER))
    # Every commit, including each conflict's retry, moved the counter by exactly one.
    assert final.counter == 1 + 2 * ENTRIES_PER_WRITER + 2 * INCREMENTS_PER_WRITER
    assert all(count >= 0 for count in conflicts)


def test_stale_write_across_processes(tmp_path):
    """Process A reads, process B writes, then A's write with the old revision conflicts."""
    path = tmp_path / "shared.qvault"
    vault, recovery_code = create_vault(path)
    with vault.batch() as batch:
        batch.put(SHARED_ID, None, {"title": "shared"}, {"value": "original"})
    entry = vault.entry(SHARED_ID)

    def other_process(report_fd):
        other = Vault.open(path)
        other.unlock_with_recovery_code(recovery_code)
        current = other.entry(SHARED_ID)
        other.update_entry(SHARED_ID, current.revision, current.metadata, {"value": "from the other process"})
        os.write(report_fd, b"done")

    assert collect(*run_child(other_process)) == "done"

    with pytest.raises(RevisionConflict, match=r"changed since it was read \(revision 2, expected 1\)"):
        vault.update_entry(SHARED_ID, entry.revision, entry.metadata, {"value": "stale edit"})
    assert vault.get_secret(SHARED_ID) == {"value": "from the other process"}


def test_reader_during_writes(tmp_path):
    """A reader refreshing while another process commits never reads a torn snapshot."""
    path = tmp_path / "shared.qvault"
    vault, recovery_code = create_vault(path)
    with vault.batch() as batch:
        batch.put(SHARED_ID, None, {"title": "shared", "n": 0}, {"n": 0})

    def busy_writer(report_fd):
        other = Vault.open(path)
        other.unlock_with_recovery_code(recovery_code)
        for number in range(1, 151):
            entry = other.entry(SHARED_ID)
            with other.batch() as batch:
                batch.put(SHARED_ID, entry.revision, {"title": "shared", "n": number}, {"n": number})
                batch.put(f"33333333-0000-4000-8000-{number:012d}", None, {"title": "filler"}, {"n": number})
        os.write(report_fd, b"done")

    pid, read_fd = run_child(busy_writer)
    reads = 0
    last = 0
    while True:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        # Each call reads a commit at least as new as the one before.
        before = vault.entry(SHARED_ID).metadata["n"]
        secret = vault.get_secret(SHARED_ID)["n"]
        after = vault.entry(SHARED_ID).metadata["n"]
        assert last <= before <= secret <= after
        last = after
        reads += 1
        if finished:
            break
    output = b""
    while chunk := os.read(read_fd, 4096):
        output += chunk
    os.close(read_fd)
    assert output == b"done"
    assert vault.get_secret(SHARED_ID) == {"n": 150}
    assert reads > 1
