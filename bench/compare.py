"""Compare Qvault with pass, browserpass, passff and KeePassXC, measured side by side.

Usage (from the repository root, in the virtualenv where qvault is installed):

    python bench/compare.py                 # 10k entries, 30 runs, plus a 100k listing
    python bench/compare.py --tiny          # 100 entries, one run: a smoke test
    python bench/compare.py --record-docs   # also rewrite the comparison section of docs/benchmarks.md

The script installs nothing. It measures whichever of Debian's pass + gnupg,
keepassxc (keepassxc-cli) and webext-browserpass (browserpass-native) are
installed, and passff's host when --passff-host names its script. It prints the
missing ones and goes on without them. Every data set is built in a temporary
folder (HOME and GNUPGHOME included) that is removed at the end.
"""

import argparse
import datetime
import json
import os
import pathlib
import random
import shlex
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _compare_report as report  # noqa: E402
import _compare_runs as runs  # noqa: E402
import _compare_setup as setup  # noqa: E402
from _measure import BenchError, round_robin  # noqa: E402

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_PLOT = REPOSITORY / "docs" / "benchmark-compare.png"
DOCS_PAGE = REPOSITORY / "docs" / "benchmarks.md"
ENTRIES_MAX = 1_000_000
TINY_ENTRIES = 100
SHARED_MEMORY = pathlib.Path("/dev/shm")
# Real gpg ciphertexts in a listing-only pass store; the other files copy them.
LISTING_DISTINCT_CIPHERTEXTS = 1000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries per data set (default 10000)")
    parser.add_argument("--large-entries", type=int, default=100_000,
                        help="entries of the data set for the large listing step (default 100000)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per tool for fetches and listing (default 30)")
    parser.add_argument("--large-runs", type=int, default=3,
                        help="timed runs per tool for the large listing, without a warm-up run (default 3)")
    parser.add_argument("--no-large", action="store_true", help="skip the large listing step")
    parser.add_argument("--tiny", action="store_true",
                        help=f"smoke test: {TINY_ENTRIES} entries, one run each, no large listing")
    parser.add_argument("--passff-host", metavar="PATH", help="passff's host script (passff.py) to measure too")
    parser.add_argument("--plot", metavar="PNG", type=pathlib.Path, default=DEFAULT_PLOT,
                        help="where to write the plot (default docs/benchmark-compare.png)")
    parser.add_argument("--no-plot", action="store_true", help="write no plot")
    parser.add_argument("--json", metavar="PATH", type=pathlib.Path, help="also write the results as JSON")
    parser.add_argument("--record-docs", action="store_true",
                        help="rewrite the section 'Compared with other tools' of the docs page")
    parser.add_argument("--docs-page", metavar="PATH", type=pathlib.Path, default=DOCS_PAGE,
                        help="the page --record-docs edits (default docs/benchmarks.md)")
    parser.add_argument("--temp-dir", metavar="DIR", type=pathlib.Path,
                        help="folder for the temporary data sets (default: /dev/shm where it is a writable "
                             "folder, else the system's temporary folder). Removing 200k small files takes "
                             "minutes on a disk mounted with 'discard'; a RAM file system avoids that")
    parser.add_argument("--seed", type=int, default=1, help="seed for which entries are fetched (default 1)")
    args = parser.parse_args(argv)

    if args.tiny:
        args.entries, args.runs, args.no_large = TINY_ENTRIES, 1, True
    if not 1 <= args.entries <= ENTRIES_MAX:
        parser.error(f"--entries {args.entries} is out of range; use 1 to {ENTRIES_MAX}")
    if not args.no_large and not args.entries < args.large_entries <= ENTRIES_MAX:
        parser.error(f"--large-entries {args.large_entries} must be above --entries and at most {ENTRIES_MAX}; "
                     "or pass --no-large")
    for name in ("runs", "large_runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} {getattr(args, name)} must be at least 1")
    return args


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Timer:
    """Print a step's name, then its duration when the step ends."""

    def __init__(self, step: str):
        self.step = step

    def __enter__(self) -> "Timer":
        progress(f"{self.step} ...")
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> None:
        progress(f"{self.step}: {time.perf_counter() - self.started:.1f} s")


class Stores:
    """The data stores of one size, one per tool present (None where a tool is missing).

    For a listing-only store (listing_only=True), KeePassXC imports in the background
    while the other stores are built, and pass's files reuse a few real ciphertexts.
    The main store is built one tool at a time, because keepassxc-cli picks its
    AES-KDF rounds by timing the machine, and other work would skew that timing.
    """

    def __init__(self, workspace, tools, data: setup.DataSet, keepassxc_ms: int, label: str, listing_only: bool):
        self.count = data.count
        base = workspace.root / label
        base.mkdir()
        self.vault = base / "vault.qvault"
        # browserpass-native reads the pass store with gpg alone, without the pass script.
        needs_pass_store = tools.gpg and (tools.pass_program or tools.browserpass)
        self.pass_store = base / "pass-store" if needs_pass_store else None
        self.keepassxc_db = base / "bench.kdbx" if tools.keepassxc_cli else None
        self.keepassxc_rounds = None

        keepassxc_import = None
        if self.keepassxc_db and listing_only:
            progress(f"KeePassXC: importing {data.count} entries in the background")
            keepassxc_import = setup.KeepassxcImport(workspace, tools, data, self.keepassxc_db, keepassxc_ms)
        try:
            self._build_qvault_and_pass(workspace, tools, data, listing_only)
        except BaseException:
            if keepassxc_import is not None:
                keepassxc_import.abort()
            raise
        if self.keepassxc_db:
            with Timer(f"KeePassXC: importing {data.count} entries"):
                if keepassxc_import is None:
                    keepassxc_import = setup.KeepassxcImport(workspace, tools, data, self.keepassxc_db, keepassxc_ms)
                self.keepassxc_rounds = keepassxc_import.finish()

    def _build_qvault_and_pass(self, workspace, tools, data: setup.DataSet, listing_only: bool) -> None:
        with Timer(f"Qvault: creating a vault of {data.count} entries"):
            self.entry_ids = setup.build_qvault(workspace, data, self.vault)
        if self.pass_store:
            with Timer(f"pass: writing {data.count} gpg files"):
                distinct = LISTING_DISTINCT_CIPHERTEXTS if listing_only else None
                setup.build_pass_store(workspace, tools, data, self.pass_store, distinct)


def measure_kdfs(workspace, tools, runs_count: int) -> dict:
    """Measure Qvault's Argon2id at the floor, then KeePassXC's AES-KDF set to about the same time."""
    kdf = {}
    with Timer("Qvault: timing Argon2id at the KDF floor"):
        kdf["qvault_seconds"] = round_robin({"qvault": runs.qvault_kdf_task()}, max(runs_count, 5))["qvault"].median
    if tools.keepassxc_cli:
        target_ms = round(kdf["qvault_seconds"] * 1000)
        kdf["keepassxc_decryption_ms"] = min(max(target_ms, setup.KEEPASSXC_DECRYPTION_MS_MIN),
                                             setup.KEEPASSXC_DECRYPTION_MS_MAX)
        empty_db = workspace.root / "empty.kdbx"
        with Timer("KeePassXC: timing the KDF on an empty database"):
            kdf["keepassxc_empty_rounds"] = setup.build_keepassxc(workspace, tools, None, empty_db,
                                                                  kdf["keepassxc_decryption_ms"])
            samples = round_robin(runs.keepassxc_kdf_tasks(workspace, tools, empty_db), max(runs_count, 5))
        kdf["keepassxc_empty_seconds"] = max(samples["keepassxc_empty_open"].median - samples["keepassxc_start"].median, 0.0)
    return kdf


def keepassxc_kdf_seconds(kdf: dict, rounds: int | None) -> float:
    """Scale the empty database's KDF time to another database's rounds: AES-KDF time is linear in rounds."""
    if rounds is None or "keepassxc_empty_seconds" not in kdf:
        return 0.0
    return kdf["keepassxc_empty_seconds"] * rounds / kdf["keepassxc_empty_rounds"]


def run_benchmark(args, tools: setup.Tools, workspace: setup.Workspace) -> dict:
    """Build the data sets, run every scenario and return the results document."""
    results = {"rows": []}
    kdf = measure_kdfs(workspace, tools, args.runs)
    results["kdf"] = kdf

    if tools.gpg and (tools.pass_program or tools.browserpass):
        with Timer("gpg: generating an RSA 3072 key without passphrase"):
            setup.create_gpg_key(workspace, tools)
    data = setup.DataSet.generate(args.entries)
    stores = Stores(workspace, tools, data, kdf.get("keepassxc_decryption_ms", 0), "main", listing_only=False)
    rng = random.Random(args.seed)
    picks = [rng.randrange(data.count) for _ in range(args.runs + 1)]

    def pick(run: int) -> int:
        return picks[run]

    kdf_by_tool = {"qvault": kdf["qvault_seconds"], "pass": 0.0,
                   "keepassxc": keepassxc_kdf_seconds(kdf, stores.keepassxc_rounds)}

    host = runs.QvaultHost(workspace, stores.vault, setup.write_pinentry(workspace))
    try:
        results["qvault_host_unlock_seconds"] = host.start_session()
        with Timer(f"Fetching one login as a browser extension does, {args.runs} runs"):
            samples = round_robin(runs.browser_tasks(workspace, tools, data, pick, host, stores.entry_ids,
                                                     stores.pass_store), args.runs)
    finally:
        host.close()
    report.add_rows(results, "browser_fetch", data.count, samples, {})

    with Timer(f"Fetching one password from the command line, {args.runs} runs"):
        samples = round_robin(runs.cli_fetch_tasks(workspace, tools, data, pick, stores.vault, stores.pass_store,
                                                   stores.keepassxc_db), args.runs)
    report.add_rows(results, "cli_fetch", data.count, samples, kdf_by_tool)

    with Timer(f"Opening and listing {data.count} entries, {args.runs} runs"):
        samples = round_robin(runs.list_tasks(workspace, tools, data.count, stores.vault, stores.pass_store,
                                              stores.keepassxc_db), args.runs)
    report.add_rows(results, "list", data.count, samples, kdf_by_tool)

    if not args.no_large:
        del data, stores
        large = setup.DataSet.generate(args.large_entries)
        large_stores = Stores(workspace, tools, large, kdf.get("keepassxc_decryption_ms", 0), "large",
                              listing_only=True)
        kdf_by_tool["keepassxc"] = keepassxc_kdf_seconds(kdf, large_stores.keepassxc_rounds)
        with Timer(f"Opening and listing {large.count} entries, {args.large_runs} runs"):
            samples = round_robin(runs.list_tasks(workspace, tools, large.count, large_stores.vault,
                                                  large_stores.pass_store, large_stores.keepassxc_db),
                                  args.large_runs, warmup=0)
        report.add_rows(results, "list", large.count, samples, kdf_by_tool)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        tools = setup.find_tools(args.passff_host)
    except BenchError as error:
        print(f"compare.py: {error}", file=sys.stderr)
        return 2
    missing = tools.missing()
    for line in missing:
        progress(f"missing: {line}")
    if not tools.qvault_cli:
        progress("the qvault CLI has no 'get' or 'list': timing the same Vault API calls through python -c")

    started = datetime.datetime.now(datetime.timezone.utc)
    load_at_start = os.getloadavg()[0]
    if args.temp_dir is None and SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK):
        args.temp_dir = SHARED_MEMORY
    if args.temp_dir is not None and not args.temp_dir.is_dir():
        print(f"compare.py: --temp-dir {args.temp_dir} is not a folder; create it or choose another", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="qvault-bench-", dir=args.temp_dir) as folder:
        temp_filesystem = report.filesystem_of(pathlib.Path(folder))
        workspace = setup.Workspace.create(pathlib.Path(folder))
        try:
            results = run_benchmark(args, tools, workspace)
        except BenchError as error:
            print(f"compare.py: {error}", file=sys.stderr)
            return 1
        finally:
            workspace.stop_gpg_agent(tools)

    results.update({
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(["python", "bench/compare.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": report.machine_description(),
        "temp_filesystem": temp_filesystem,
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "versions": setup.tool_versions(tools),
        "missing": missing,
        "qvault_cli": "qvault CLI" if tools.qvault_cli else "Vault API through python -c",
        "entries": args.entries,
        "runs": args.runs,
        "large_entries": None if args.no_large else args.large_entries,
        "large_runs": None if args.no_large else args.large_runs,
        "listing_distinct_ciphertexts": LISTING_DISTINCT_CIPHERTEXTS,
    })
    print(report.text_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.no_plot:
        report.write_plot(results, args.plot)
    if args.record_docs:
        report.record_docs(results, args.docs_page, args.plot if not args.no_plot else None)
        progress(f"updated {args.docs_page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
