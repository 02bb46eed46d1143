"""SIGKILL during writes: the vault always opens to the old or the new state.

A forked child unlocks the vault and saves batches in a loop; the parent kills it
after a random delay, then opens, unlocks and checks every entry and secret. Each
batch writes the same number into three entries, so a torn batch would show as
entries that disagree.
"""

import os
import random
import signal
import time

from vault_helpers import PASSWORD, create_vault

from qvault.vault import Vault

ENTRY_IDS = [f"00000000-0000-4000-8000-00000000000{index}" for index in range(3)]
TIME_BUDGET_SECONDS = 15
MAX_ROUNDS = 200


def write_forever(path, recovery_code, ready_fd):
    """Child body: save numbered batches until killed."""
    vault = Vault.open(path)
    vault.unlock_with_recovery_code(recovery_code)
    os.write(ready_fd, b"r")
    rng = random.Random(os.getpid())
    while True:
        number = vault.entry(ENTRY_IDS[0]).metadata["n"] + 1
        with vault.batch() as batch:
            for entry_id in ENTRY_IDS:
                entry = vault.entry(entry_id)
                # Varying sizes move rows between pages, so kills land in different spots.
                padding = "x" * rng.randrange(0, 3000)
                batch.put(entry_id, entry.revision, {"title": entry_id, "n": number}, {"n": number, "padding": padding})
            if number % 4 == 0:
                extra = f"11111111-0000-4000-8000-{number:012d}"
                batch.put(extra, None, {"title": "extra", "n": number}, {"n": number})
            if number % 4 == 2:
                previous = f"11111111-0000-4000-8000-{number - 2:012d}"
                if previous in {entry.id for entry in vault.entries()}:
                    batch.delete(previous, vault.entry(previous).revision)


def check_consistent(path, recovery_code, last_number, last_counter):
    """Open after a kill; return (number, counter) of the state found."""
    vault = Vault.open(path)
    vault.unlock_with_recovery_code(recovery_code)
    numbers = set()
    for entry in vault.entries():
        secret = vault.get_secret(entry.id)
        assert secret["n"] == entry.metadata["n"], f"entry {entry.id}: metadata and secret from different saves"
        if entry.id in ENTRY_IDS:
            numbers.add(entry.metadata["n"])
    assert len(numbers) == 1, f"a batch was torn: the three entries hold {sorted(numbers)}"
    number = numbers.pop()
    assert number >= last_number, "a committed save was lost"
    assert vault.counter >= last_counter
    counter = vault.counter
    vault.close()
    return number, counter


def kill_one_writer(path, recovery_code, delay):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            write_forever(path, recovery_code, write_fd)
        finally:
            os._exit(3)
    os.close(write_fd)
    ready = os.read(read_fd, 1)
    os.close(read_fd)
    assert ready == b"r", "the writer failed before unlocking"
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    # Killed by our signal, not exited on an error of its own.
    assert os.WIFSIGNALED(status), f"the writer exited with status {os.waitstatus_to_exitcode(status)}"


def test_sigkill_during_writes(tmp_path):
    path = tmp_path / "crash.qvault"
    vault, recovery_code = create_vault(path)
    with vault.batch() as batch:
        for entry_id in ENTRY_IDS:
            batch.put(entry_id, None, {"title": entry_id, "n": 0}, {"n": 0})
    vault.close()

    rng = random.Random(20240601)
    number, counter = 0, 0
    rounds = 0
    started = time.monotonic()
    while time.monotonic() - started < TIME_BUDGET_SECONDS and rounds < MAX_ROUNDS:
        kill_one_writer(path, recovery_code, rng.uniform(0.0, 0.08))
        number, counter = check_consistent(path, recovery_code, number, counter)
        rounds += 1

    assert rounds >= 10
    assert number > 0, "no save ever committed; the kills came too early to test anything"
    # The password path opens the final state too.
    final = Vault.open(path)
    final.unlock(PASSWORD)
    assert {final.entry(entry_id).metadata["n"] for entry_id in ENTRY_IDS} == {number}
