"""Benchmark the sync server: pull and push under 50 concurrent clients, SQLite and PostgreSQL.

Usage:
    .venv/bin/python bench/sync.py                # 50 clients, 10 s per run
    .venv/bin/python bench/sync.py --record       # also write docs/benchmarks.md
    .venv/bin/python bench/sync.py --tiny --json  # seconds; used by a smoke test

Each backend gets its own `qvault serve` process (one uvicorn worker) on 127.0.0.1.
Every client has its own account holding SEED_ROWS entries, so pushes never
conflict. A pull is GET /v1/changes?since=0 (all the account's rows); a push sends
one new row based on the client's last server revision. Clients are asyncio tasks
on httpx2 in this process, which competes with the server for the same CPUs.

For comparison, pgbench runs a one-row upsert on the same PostgreSQL server with as
many clients. PostgreSQL is a throwaway cluster (tests/pg.py) with default
durability settings; it is skipped with a note when PostgreSQL 15 is missing.
"""

import argparse
import asyncio
import base64
import json
import os
import pathlib
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import httpx2

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from pg import PG_BIN, PostgresCluster, PostgresMissing  # noqa: E402

BENCHMARKS_DOC = REPO / "docs" / "benchmarks.md"
SECTION_TITLE = "## Sync server"
SEED_ROWS = 20
START_TIMEOUT_SECONDS = 60
KDF = {"memory_kib": 65536, "iterations": 3, "parallelism": 4}
UPSERT_SCRIPT = (
    "\\set id random(1, 100000)\n"
    "INSERT INTO bench_kv (id, value, updated_at) VALUES (:id, 'ciphertext-sized-value-0123456789abcdef', now())"
    " ON CONFLICT (id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;\n"
)


def b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode("ascii")


def row(expected_revision: int = 0) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "expected_revision": expected_revision,
        "revision": expected_revision + 1,
        "updated_at": int(time.time() * 1000),
        "deleted": False,
        "meta_nonce": b64(24),
        "meta_ct": b64(208),
        "secret_nonce": b64(24),
        "secret_ct": b64(144),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`qvault serve` as a subprocess."""

    def __init__(self, storage_url: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qvault.cli.main", "serve", "--port", str(self.port), "--storage", storage_url],
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                httpx2.get(f"{self.base_url}/v1/health", timeout=1)
                return
            except httpx2.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    self.log_file.seek(0)
                    raise RuntimeError(f"qvault serve did not start: {self.log_file.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


async def make_account(client: httpx2.AsyncClient, index: int) -> dict:
    """Register, log in and seed one account; return its headers and server revision."""
    email = f"bench{index}-{uuid.uuid4().hex[:8]}@example.org"
    auth_key = b64(32)
    body = {"email": email, "auth_key": auth_key, "vault_id": b64(16), "kdf": KDF, "salt": b64(16),
            "key_slots": [b64(120)], "manifest": b64(80)}
    (await client.post("/v1/register", json=body)).raise_for_status()
    login = await client.post("/v1/login", json={"email": email, "auth_key": auth_key})
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    seeded = await client.post("/v1/push", headers=headers,
                               json={"base_server_revision": 0, "entries": [row() for _ in range(SEED_ROWS)], "manifest": b64(80)})
    seeded.raise_for_status()
    return {"headers": headers, "revision": seeded.json()["server_revision"]}


async def run_load(base_url: str, clients: int, seconds: float, operation: str, accounts: list[dict]) -> dict:
    """Run `clients` loops of one operation for `seconds`; return throughput and latency."""
    latencies: list[float] = []
    errors = 0
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def loop(account: dict) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if operation == "pull":
                    reply = await client.get("/v1/changes", headers=account["headers"], params={"since": 0})
                else:
                    body = {"base_server_revision": account["revision"], "entries": [row()], "manifest": b64(80)}
                    reply = await client.post("/v1/push", headers=account["headers"], json=body)
                latencies.append(time.perf_counter() - started)
                if reply.status_code != 200:
                    errors += 1
                elif operation == "push":
                    account["revision"] = reply.json()["server_revision"]

        began = time.perf_counter()
        await asyncio.gather(*(loop(account) for account in accounts[:clients]))
        elapsed = time.perf_counter() - began
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {"operation": operation, "requests": len(latencies), "errors": errors,
            "rps": len(latencies) / elapsed, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000}


async def bench_backend(storage_url: str, clients: int, seconds: float) -> list[dict]:
    server = Server(storage_url)
    try:
        async with httpx2.AsyncClient(base_url=server.base_url, timeout=120) as client:
            # A few at a time: each registration and login costs the server two Argon2id hashes.
            accounts = []
            for start in range(0, clients, 8):
                accounts.extend(await asyncio.gather(*(make_account(client, index) for index in range(start, min(clients, start + 8)))))
        results = []
        for operation in ("pull", "push"):
            results.append(await run_load(server.base_url, clients, seconds, operation, accounts))
        return results
    finally:
        server.stop()


def pgbench_tps(cluster: PostgresCluster, clients: int, seconds: int) -> float:
    database = cluster.create_database()
    import psycopg

    with psycopg.connect(cluster.url(database), autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_kv (id INTEGER PRIMARY KEY, value TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL)")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(UPSERT_SCRIPT)
    try:
        result = subprocess.run(
            [str(PG_BIN / "pgbench"), "-n", "-f", script.name, "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
             "-T", str(seconds), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", database],
            capture_output=True, text=True, timeout=seconds + 120,
        )
    finally:
        os.unlink(script.name)
        cluster.drop_database(database)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"pgbench failed: {result.stderr.strip() or result.stdout[-500:]}")
    return float(match.group(1))


def render(results: list[dict], pgbench: float | None, notes: list[str], clients: int, seconds: float, load: float) -> str:
    lines = [
        f"{clients} concurrent clients, {seconds:g} s per run, one uvicorn worker; "
        f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        f"1-minute load average {load:.1f} before the run. The clients (httpx2, asyncio) run in the "
        "benchmark process on the same CPUs as the server and PostgreSQL.",
        "",
        "| Storage | Operation | Requests | Errors | Requests/s | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| {result['backend']} | {result['operation']} | {result['requests']} | {result['errors']} | "
            f"{result['rps']:.0f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} |"
        )
    if pgbench is not None:
        lines += ["", f"pgbench, one-row upsert, same PostgreSQL server, {clients} clients: {pgbench:.0f} transactions/s."]
    lines += [f"Note: {note}" for note in notes]
    return "\n".join(lines)


def record(table: str) -> None:
    """Replace (or append) this benchmark's section of docs/benchmarks.md, leaving the others as they are."""
    command = ".venv/bin/python bench/sync.py --record"
    section = f"{SECTION_TITLE}\n\nMeasured by `{command}`.\n\n{table}\n"
    text = BENCHMARKS_DOC.read_text() if BENCHMARKS_DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    BENCHMARKS_DOC.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run in seconds (default 10)")
    parser.add_argument("--tiny", action="store_true", help="4 clients for 1 s: checks that the benchmark still runs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--record", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    if args.tiny:
        args.clients, args.seconds = 4, 1.0
    if args.clients < 1 or args.seconds <= 0:
        parser.error(f"--clients {args.clients} and --seconds {args.seconds:g} must be positive")

    # Other work on the machine skews every figure; the table states how busy it was.
    load = os.getloadavg()[0]
    results: list[dict] = []
    notes: list[str] = []
    pgbench = None
    with tempfile.TemporaryDirectory(prefix="qvault-bench-sync-") as folder:
        for result in asyncio.run(bench_backend(f"sqlite://{folder}/sync.db", args.clients, args.seconds)):
            results.append({"backend": "SQLite", **result})

    cluster = PostgresCluster(durable=True, max_connections=args.clients + 50)
    try:
        cluster.start()
    except PostgresMissing as missing:
        notes.append(f"PostgreSQL rows skipped: {missing}")
    else:
        try:
            database = cluster.create_database()
            for result in asyncio.run(bench_backend(cluster.url(database), args.clients, args.seconds)):
                results.append({"backend": "PostgreSQL", **result})
            pgbench = pgbench_tps(cluster, args.clients, max(1, round(args.seconds)))
        finally:
            cluster.stop()

    if args.json:
        print(json.dumps({"results": results, "pgbench_tps": pgbench, "notes": notes, "load_average": load}))
    else:
        print(render(results, pgbench, notes, args.clients, args.seconds, load))
    if args.record:
        record(render(results, pgbench, notes, args.clients, args.seconds, load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
