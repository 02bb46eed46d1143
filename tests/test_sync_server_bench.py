"""bench/sync.py still runs: its --tiny mode drives a real server on each backend."""

import json
import pathlib
import subprocess
import sys

from conftest import skip_or_fail

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench" / "sync.py"


def test_sync_bench_tiny():
    result = subprocess.run([sys.executable, str(BENCH), "--tiny", "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    measured = {(row["backend"], row["operation"]): row for row in figures["results"]}
    for operation in ("pull", "push"):
        row = measured[("SQLite", operation)]
        assert row["requests"] > 0, operation
        assert row["errors"] == 0, operation
        assert row["p99_ms"] >= row["p50_ms"] > 0, operation
    if ("PostgreSQL", "pull") not in measured:
        skip_or_fail(" ".join(figures["notes"]) or "PostgreSQL rows are missing")
    for operation in ("pull", "push"):
        assert measured[("PostgreSQL", operation)]["errors"] == 0, operation
    assert figures["pgbench_tps"] > 0


def test_sync_bench_bad_arguments():
    result = subprocess.run([sys.executable, str(BENCH), "--clients", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--clients 0" in result.stderr
