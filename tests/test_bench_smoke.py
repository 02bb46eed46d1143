"""bench/vault.py still runs: its --tiny mode measures one small vault end to end."""

import json
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench" / "vault.py"


def test_vault_bench_tiny():
    result = subprocess.run([sys.executable, str(BENCH), "--tiny", "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (figures,) = json.loads(result.stdout)
    assert figures["size"] == 50
    for key in ("kdf_median", "rest_median", "unlock_fetch_p99", "fetch_median", "save_median", "file_mib", "child_max_rss_mib"):
        assert figures[key] > 0, key


def test_vault_bench_bad_sizes():
    result = subprocess.run([sys.executable, str(BENCH), "--sizes", "10,lots"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--sizes '10,lots' is invalid" in result.stderr
