"""Tests for bench/compare.py and its helpers: a real --tiny run plus the pure parts.

The tiny run uses whichever of pass, keepassxc-cli and browserpass-native are
installed; test_bench_tools_present fails under CI=true when one is missing.
No test asserts a duration.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import skip_or_fail

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
BENCH = REPOSITORY / "bench"
sys.path.insert(0, str(BENCH))

import _compare_report as report  # noqa: E402
import _compare_setup as setup  # noqa: E402
from _measure import BenchError, Task, decode_frame, encode_frame, percentile, round_robin  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_compare(*arguments: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH / "compare.py"), *arguments], capture_output=True, text=True,
                          timeout=timeout, cwd=REPOSITORY, check=False)


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory) -> tuple[dict, pathlib.Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("bench")
    plot = folder / "compare.png"
    completed = run_compare("--tiny", "--json", str(folder / "results.json"), "--plot", str(plot))
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads((folder / "results.json").read_text()), plot, completed


def scenarios_of(results: dict, tool: str) -> set[str]:
    return {row["scenario"] for row in results["rows"] if row["tool"] == tool}


def test_tiny_run_measures_qvault(tiny_results):
    results, _, _ = tiny_results
    assert scenarios_of(results, "qvault") == {"browser_fetch", "cli_fetch", "list"}
    assert results["entries"] == 100
    assert results["large_entries"] is None
    assert all(row["runs"] == 1 for row in results["rows"])


def test_tiny_run_measures_present_tools(tiny_results):
    results, _, _ = tiny_results
    tools = setup.find_tools(None)
    if tools.pass_program and tools.gpg:
        assert scenarios_of(results, "pass") == {"cli_fetch", "list"}
    if tools.keepassxc_cli:
        assert scenarios_of(results, "keepassxc") == {"cli_fetch", "list"}
    if tools.browserpass and tools.gpg:
        assert scenarios_of(results, "browserpass") == {"browser_fetch"}


def test_tiny_run_ratios(tiny_results):
    results, _, _ = tiny_results
    for row in results["rows"]:
        if row["tool"] in ("qvault", "qvault_start"):
            assert row["ratio"] is None
        else:
            assert row["ratio"] > 0


def test_tiny_run_prints_table(tiny_results):
    _, _, completed = tiny_results
    assert "Qvault / tool" in completed.stdout
    assert "qvault get password" in completed.stdout


def test_tiny_run_plot(tiny_results):
    _, plot, completed = tiny_results
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in completed.stderr
        assert not plot.exists()
        return
    assert plot.read_bytes().startswith(PNG_SIGNATURE)


def test_bench_tools_present():
    tools = setup.find_tools(None)
    missing = [line for line in tools.missing() if not line.startswith("passff")]
    if missing:
        skip_or_fail("benchmark tools missing: " + "; ".join(missing))


def test_entries_out_of_range():
    completed = run_compare("--entries", "0")
    assert completed.returncode == 2
    assert "--entries 0 is out of range" in completed.stderr


def test_passff_host_not_executable(tmp_path):
    completed = run_compare("--tiny", "--passff-host", str(tmp_path / "missing.py"))
    assert completed.returncode == 2
    assert "is not an executable file" in completed.stderr


def test_percentile_nearest_rank():
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0, 1.0, 2.0], 0.99) == 3.0


def test_percentile_empty():
    with pytest.raises(ValueError, match="empty"):
        percentile([], 0.99)


def test_round_robin_rotates_order():
    calls = []
    tasks = {name: Task(lambda index, name=name: calls.append((name, index))) for name in ("a", "b", "c")}
    samples = round_robin(tasks, runs=3, warmup=1)
    assert calls[:3] == [("a", 3), ("b", 3), ("c", 3)]
    assert [name for name, _ in calls[3:]] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(samples[name].seconds) == 3 for name in tasks)


def test_round_robin_check_names_task():
    def reject(index, output):
        raise BenchError("wrong output")

    with pytest.raises(BenchError, match="b, run 1: wrong output"):
        round_robin({"a": Task(lambda index: None), "b": Task(lambda index: None, reject)}, runs=2, warmup=0)


def test_frame_round_trip():
    assert decode_frame(encode_frame({"action": "fetch", "file": "é.gpg"}), "test") == {"action": "fetch", "file": "é.gpg"}


def test_frame_cut_short():
    with pytest.raises(BenchError, match="cut short"):
        decode_frame(encode_frame({"status": "ok"})[:-2], "test")


def sample_results() -> dict:
    return {
        "rows": [
            {"scenario": "cli_fetch", "entries": 10, "tool": "qvault", "runs": 3, "median_ms": 300.0, "p99_ms": 320.0,
             "kdf_ms": 100.0, "ratio": None, "ratio_without_kdf": None},
            {"scenario": "cli_fetch", "entries": 10, "tool": "pass", "runs": 3, "median_ms": 15.0, "p99_ms": 16.0,
             "kdf_ms": 0.0, "ratio": 20.0, "ratio_without_kdf": 13.3},
        ],
        "kdf": {"qvault_seconds": 0.1},
        "qvault_host_unlock_seconds": 0.2,
        "date": "2025-01-01 00:00 UTC",
        "command": "python bench/compare.py",
        "machine": {"cpu": "Test CPU", "cores": 2, "ram_gib": 4.0, "os": "Test OS", "kernel": "1.0"},
        "load_average": [0.5, 0.7],
        "temp_filesystem": "tmpfs rw",
        "versions": {"qvault": "0.1.0"},
        "missing": [],
        "qvault_cli": "qvault CLI",
        "entries": 10,
    }


def test_record_docs_keeps_other_sections(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\n## Vault\n\nvault text\n\n## Compared with other tools\n\nold\n\n## Later\n\nlater text\n")
    report.record_docs(sample_results(), page, tmp_path / "plot.png")
    report.record_docs(sample_results(), page, tmp_path / "plot.png")
    text = page.read_text()
    assert text.count("## Compared with other tools") == 1
    assert "vault text" in text
    assert "later text" in text
    assert "\nold\n" not in text
    assert "![Medians with p99 whiskers, log scale](plot.png)" in text
    assert text.index("## Vault") < text.index("## Compared with other tools") < text.index("## Later")


def test_record_docs_creates_page(tmp_path):
    page = tmp_path / "docs" / "benchmarks.md"
    report.record_docs(sample_results(), page, None)
    text = page.read_text()
    assert text.startswith("# Benchmarks\n\n## Compared with other tools\n")
    assert "`pass show` starts a shell script" in text


def test_workspace_env_stays_in_temp(tmp_path):
    workspace = setup.Workspace.create(tmp_path)
    environment = workspace.env(PASSWORD_STORE_DIR=str(tmp_path / "store"))
    for name in ("HOME", "GNUPGHOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "PASSWORD_STORE_DIR"):
        assert environment[name].startswith(str(tmp_path)), name
    assert oct(workspace.gnupghome.stat().st_mode & 0o777) == "0o700"


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is needed to locate browserpass-native")
def test_find_browserpass_path():
    path = setup.find_browserpass()
    if path is None:
        skip_or_fail("browserpass-native missing: install the Debian package webext-browserpass")
    assert os.access(path, os.X_OK)
    assert path.endswith("/browserpass-native")


@pytest.mark.parametrize("command", ["get", "list"])
def test_api_fallback_commands(tmp_path, command):
    import _compare_runs as runs

    workspace = setup.Workspace.create(tmp_path)
    data = setup.DataSet.generate(3)
    vault_path = tmp_path / "vault.qvault"
    setup.build_qvault(workspace, data, vault_path)
    tools = setup.Tools(None, None, None, None, None, None, qvault_cli=None)

    argv = runs.qvault_command(tools, command, vault_path, "password", data.title(1))
    completed = subprocess.run(argv, input=workspace.master_password + "\n", capture_output=True, text=True,
                               check=False, env=workspace.env())

    assert completed.returncode == 0, completed.stderr
    assert argv[:2] == [sys.executable, "-c"]
    if command == "get":
        assert completed.stdout.splitlines() == [data.passwords[1]]
    else:
        assert [line.split()[-1] for line in completed.stdout.splitlines()] == [data.title(index) for index in range(3)]
