"""Benchmark the vault core: unlock, fetch one secret, save one edit, file size, memory.

Usage:
    .venv/bin/python bench/vault.py                       # 1k, 10k and 100k entries
    .venv/bin/python bench/vault.py --sizes 1000,10000
    .venv/bin/python bench/vault.py --tiny                # seconds; used by a smoke test

Every vault uses the KDF floor (Argon2id m=64 MiB, t=3, p=4), so the KDF column is
the cheapest unlock a vault allows; calibrated vaults spend about 0.5-1 s there.
"Unlock rest" is everything else in open + unlock: reading and verifying every row
against the manifest and decrypting all metadata. Its CPU column is process time,
which other load on the machine inflates less than wall time. p99 over a handful
of runs is close to the maximum; the run counts are printed. Memory is the
tracemalloc peak of one unlock, and the peak RSS (VmHWM on Linux) of a fresh
process that only opens and unlocks, Argon2id's 64 MiB included.
"""

import argparse
import json
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid

from qvault.vault import Vault, keyslots, metadata_cache
from qvault.vault.kdf import FLOOR

PASSWORD = "benchmark password"
BATCH_ENTRIES = 10_000


def make_vault(path: pathlib.Path, size: int) -> list[str]:
    """Create a vault with size login entries; return their ids."""
    vault, _ = Vault.create(path, PASSWORD, params=FLOOR)
    ids = []
    for start in range(0, size, BATCH_ENTRIES):
        with vault.batch() as batch:
            for index in range(start, min(size, start + BATCH_ENTRIES)):
                entry_id = str(uuid.uuid4())
                batch.put(
                    entry_id,
                    None,
                    {
                        "type": "login",
                        "title": f"Example site {index}",
                        "urls": [f"https://login.site{index}.example/"],
                        "username": f"user{index}@example.com",
                        "tags": ["bench"],
                    },
                    {"password": f"correct-horse-{index:08d}", "notes": "", "totp": "JBSWY3DPEHPK3PXP"},
                )
                ids.append(entry_id)
    vault.close()
    return ids


class KdfTimer:
    """Wrap keyslots.derive to record how long each Argon2id run takes."""

    def __init__(self):
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self._derive = keyslots.derive

    def __call__(self, *arguments):
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return self._derive(*arguments)
        finally:
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.process_time() - started_cpu

    def __enter__(self):
        keyslots.derive = self
        return self

    def __exit__(self, *unused):
        keyslots.derive = self._derive


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_unlocks(path: pathlib.Path, ids: list[str], runs: int, cold: bool) -> dict:
    """Time open + unlock + one secret. cold removes the metadata cache before each run,
    as on a new device or after many changes; warm keeps the cache the last close wrote."""
    kdf_times, rest_times, rest_cpu_times, fetch_times = [], [], [], []
    for run in range(runs):
        if cold:
            metadata_cache.cache_path(path).unlink(missing_ok=True)
        with KdfTimer() as timer:
            started, started_cpu = time.perf_counter(), time.process_time()
            vault = Vault.open(path)
            vault.unlock(PASSWORD)
            unlocked, unlocked_cpu = time.perf_counter(), time.process_time()
            vault.get_secret(ids[(run * 7919) % len(ids)])
            fetched = time.perf_counter()
        kdf_times.append(timer.seconds)
        rest_times.append(unlocked - started - timer.seconds)
        rest_cpu_times.append(unlocked_cpu - started_cpu - timer.cpu_seconds)
        fetch_times.append(fetched - unlocked)
        vault.close()
    combined = [rest + fetch for rest, fetch in zip(rest_times, fetch_times)]
    prefix = "cold_" if cold else ""
    return {
        "runs": runs,
        "kdf_median": statistics.median(kdf_times),
        f"{prefix}rest_median": statistics.median(rest_times),
        f"{prefix}rest_p99": percentile(rest_times, 0.99),
        f"{prefix}rest_cpu_median": statistics.median(rest_cpu_times),
        f"{prefix}unlock_fetch_median": statistics.median(combined),
        f"{prefix}unlock_fetch_p99": percentile(combined, 0.99),
    }


def measure_warm(path: pathlib.Path, ids: list[str], fetches: int, saves: int) -> dict:
    vault = Vault.open(path)
    vault.unlock(PASSWORD)
    fetch_times = []
    for index in range(fetches):
        entry_id = ids[(index * 104729) % len(ids)]
        started = time.perf_counter()
        vault.get_secret(entry_id)
        fetch_times.append(time.perf_counter() - started)
    save_times = []
    for index in range(saves):
        entry = vault.entry(ids[(index * 15485863) % len(ids)])
        started = time.perf_counter()
        vault.update_entry(entry.id, entry.revision, entry.metadata, {"password": f"edited-{index}"})
        save_times.append(time.perf_counter() - started)
    vault.close()
    return {
        "fetch_median": statistics.median(fetch_times),
        "fetch_p99": percentile(fetch_times, 0.99),
        "save_median": statistics.median(save_times),
        "save_p99": percentile(save_times, 0.99),
        "saves": saves,
    }


def measure_memory(path: pathlib.Path) -> dict:
    """Python allocations during one unlock (tracemalloc) and a fresh process's peak RSS."""
    vault = Vault.open(path)
    tracemalloc.start()
    vault.unlock(PASSWORD)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    vault.close()
    child = subprocess.run(
        [sys.executable, __file__, "--rss-of-unlock", str(path)], capture_output=True, text=True, check=True
    )
    return {"tracemalloc_peak_mib": peak / 2**20, "child_max_rss_mib": float(child.stdout.strip())}


def rss_of_unlock(path: str) -> None:
    """Child mode: open and unlock, then print the process's peak RSS in MiB."""
    vault = Vault.open(path)
    vault.unlock(PASSWORD)
    vault.close()
    # Linux carries ru_maxrss over from the forking parent, so prefer the peak of this
    # process's own memory map (VmHWM, in KiB).
    status = pathlib.Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]) / 1024)
                return
    # ru_maxrss is KiB on Linux and bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20)


def run_size(folder: pathlib.Path, size: int, tiny: bool) -> dict:
    path = folder / f"bench-{size}.qvault"
    started = time.perf_counter()
    ids = make_vault(path, size)
    generation = time.perf_counter() - started
    if tiny:
        runs = 2
    elif size <= 10_000:
        runs = 7
    else:
        runs = 5
    result = {"size": size, "generation_seconds": generation, "file_mib": path.stat().st_size / 2**20}
    result.update(measure_unlocks(path, ids, runs, cold=True))
    # The last cold run's close wrote the metadata cache that the warm runs use.
    result.update(measure_unlocks(path, ids, runs, cold=False))
    result.update(measure_warm(path, ids, fetches=20 if tiny else 200, saves=5 if tiny else 30))
    result.update(measure_memory(path))
    path.unlink()
    return result


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_table(results: list[dict]) -> None:
    header = (
        "| entries | KDF ms (median) | cold: unlock rest + first secret ms (median / p99) "
        "| unlock rest ms (median / p99) | unlock rest CPU ms (median) | unlock rest + first secret ms (median / p99) "
        "| fetch one secret ms (median / p99) | save one edit ms (median / p99) | file MiB "
        "| tracemalloc peak MiB | child max RSS MiB | runs |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for item in results:
        print(
            f"| {item['size']:,} | {milliseconds(item['kdf_median'])} "
            f"| {milliseconds(item['cold_unlock_fetch_median'])} / {milliseconds(item['cold_unlock_fetch_p99'])} "
            f"| {milliseconds(item['rest_median'])} / {milliseconds(item['rest_p99'])} "
            f"| {milliseconds(item['rest_cpu_median'])} "
            f"| {milliseconds(item['unlock_fetch_median'])} / {milliseconds(item['unlock_fetch_p99'])} "
            f"| {milliseconds(item['fetch_median'])} / {milliseconds(item['fetch_p99'])} "
            f"| {milliseconds(item['save_median'])} / {milliseconds(item['save_p99'])} "
            f"| {item['file_mib']:.1f} | {item['tracemalloc_peak_mib']:.1f} | {item['child_max_rss_mib']:.0f} "
            f"| {item['runs']} unlocks, {item['saves']} saves |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the vault core.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated entry counts (default: %(default)s)")
    parser.add_argument("--tiny", action="store_true", help="one 50-entry vault and few runs, to check the script works")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--rss-of-unlock", metavar="PATH", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.rss_of_unlock:
        rss_of_unlock(arguments.rss_of_unlock)
        return 0

    try:
        sizes = [50] if arguments.tiny else [int(text) for text in arguments.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes {arguments.sizes!r} is invalid; pass whole numbers separated by commas, e.g. 1000,10000")
    if any(size < 1 for size in sizes):
        parser.error(f"--sizes {arguments.sizes!r} is invalid; every size must be at least 1")

    results = []
    with tempfile.TemporaryDirectory(prefix="qvault-bench-") as folder:
        for size in sizes:
            results.append(run_size(pathlib.Path(folder), size, arguments.tiny))
            print(f"measured {size:,} entries", file=sys.stderr)
    if arguments.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"Python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
