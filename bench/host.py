"""Benchmark the native host as the browser uses it.

Prints, for a vault of N entries (default 10,000):
- spawn-to-first-reply: start the host as install.py's launcher does, send `hello`,
  read the reply (what the browser waits for when it opens a port);
- per-request latency over one open pipe for `hello` (no vault work: the floor set by
  the pipe, JSON and two processes), `match` and `get_login`, median and p99;
- the host's peak resident memory (VmHWM) after the run.

Usage: python bench/host.py [--entries 10000] [--runs 2000] [--spawns 40] [--tiny]
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "tests"))

from qvault import extension_ids  # noqa: E402
from qvault.vault import Vault  # noqa: E402
from qvault.vault.kdf import FLOOR  # noqa: E402

ORIGIN = f"chrome-extension://{extension_ids.CHROMIUM_EXTENSION_IDS[0]}/"
PASSWORD = "benchmark password"
PINENTRY = REPOSITORY / "tests" / "tools" / "scripted_pinentry.py"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def build_vault(path: pathlib.Path, count: int) -> list[str]:
    vault, _ = Vault.create(path, PASSWORD, params=FLOOR)
    ids = []
    with vault.batch() as batch:
        for index in range(count):
            entry_id = str(uuid.UUID(int=index + 1, version=4))
            batch.put(
                entry_id,
                None,
                {"type": "login", "title": f"Site {index}", "urls": [f"https://site{index}.example/login"], "username": f"user{index}"},
                {"password": f"password-{index}-{'x' * 12}"},
            )
            ids.append(entry_id)
    vault.close()
    return ids


class Host:
    def __init__(self, environment: dict):
        self.process = subprocess.Popen(
            # The same start as the launcher install.py writes: no runpy, no PATH lookup.
            [sys.executable, "-I", "-c", "import sys; from qvault.native.main import main; sys.exit(main())", ORIGIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
        )

    def request(self, message: dict) -> dict:
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(struct.pack("=I", len(body)) + body)
        self.process.stdin.flush()
        (length,) = struct.unpack("=I", self.process.stdout.read(4))
        return json.loads(self.process.stdout.read(length))

    def peak_memory_kib(self) -> int:
        status = pathlib.Path(f"/proc/{self.process.pid}/status")
        if not status.exists():
            return -1
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return -1

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def describe(name: str, samples: list[float]) -> str:
    milliseconds = [sample * 1000 for sample in samples]
    return f"{name:<28} median {statistics.median(milliseconds):8.3f} ms   p99 {percentile(milliseconds, 0.99):8.3f} ms   (n={len(samples)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries in the vault (default 10000)")
    parser.add_argument("--runs", type=int, default=2000, help="requests per verb over the open pipe (default 2000)")
    parser.add_argument("--spawns", type=int, default=40, help="host starts to time (default 40)")
    parser.add_argument("--tiny", action="store_true", help="100 entries, a few runs: a smoke test")
    options = parser.parse_args()
    if options.tiny:
        options.entries, options.runs, options.spawns = 100, 20, 3

    with tempfile.TemporaryDirectory(prefix="qvault-bench-host-") as directory:
        root = pathlib.Path(directory)
        vault_path = root / "vault.qvault"
        password_file = root / "password"
        password_file.write_text(PASSWORD)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_STATE_HOME": str(root / "state"),
            "QVAULT_VAULT": str(vault_path),
            "QVAULT_PINENTRY": str(PINENTRY),
            "SCRIPTED_PINENTRY_PASSWORD_FILE": str(password_file),
        }
        started = time.perf_counter()
        ids = build_vault(vault_path, options.entries)
        print(f"built a {options.entries}-entry vault in {time.perf_counter() - started:.1f} s")

        spawn = []
        for _ in range(options.spawns):
            started = time.perf_counter()
            host = Host(environment)
            reply = host.request({"id": 1, "type": "hello", "protocol": 1})
            spawn.append(time.perf_counter() - started)
            assert reply["ok"], reply
            host.close()

        host = Host(environment)
        assert host.request({"id": 0, "type": "unlock"})["ok"]
        match_times, get_times, hello_times = [], [], []
        for run in range(options.runs):
            # hello does no vault work: its latency is the pipe and JSON floor.
            started = time.perf_counter()
            host.request({"id": run, "type": "hello", "protocol": 1})
            hello_times.append(time.perf_counter() - started)
            index = (run * 7919) % len(ids)
            url = f"https://site{index}.example/login"
            started = time.perf_counter()
            reply = host.request({"id": run, "type": "match", "url": url})
            match_times.append(time.perf_counter() - started)
            assert reply["entries"][0]["id"] == ids[index], reply
            started = time.perf_counter()
            reply = host.request({"id": run, "type": "get_login", "entry_id": ids[index], "url": url})
            get_times.append(time.perf_counter() - started)
            assert reply["password"].startswith(f"password-{index}-"), reply
        peak = host.peak_memory_kib()
        host.close()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(describe("spawn to hello reply", spawn))
    print(describe("hello over the open pipe", hello_times))
    print(describe(f"match ({options.entries} entries)", match_times))
    print(describe(f"get_login ({options.entries} entries)", get_times))
    print(f"{'host peak memory (VmHWM)':<28} {peak / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
