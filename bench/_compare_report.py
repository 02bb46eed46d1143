"""Turn bench/compare.py's samples into rows, a text table, a plot and a docs section.

A ratio is Qvault's median divided by the other tool's median in the same
scenario: above 1 means Qvault is slower. "Without KDF" columns subtract each
tool's measured key-derivation time from its median, which compares everything
but the KDF when the two KDFs are not tuned to exactly the same cost.
"""

import math
import os
import pathlib
import platform
import re
import subprocess
import sys

from _measure import Samples

SECTION_HEADING = "## Compared with other tools"
PAGE_TITLE = "# Benchmarks"
# How many entries a person keeps is the variable these scenarios scale with.
SCENARIO_TITLES = {
    "browser_fetch": "Browser: fetch one login ({count:,} entries)",
    "cli_fetch": "Command line: print one password ({count:,} entries)",
    "list": "Open and list {count:,} entries",
}
TOOL_LABELS = {
    ("browser_fetch", "qvault"): "Qvault host, open pipe",
    ("browser_fetch", "browserpass"): "browserpass-native",
    ("browser_fetch", "passff"): "passff host",
    ("cli_fetch", "qvault"): "qvault get password",
    ("cli_fetch", "qvault_start"): "python + qvault imports only",
    ("cli_fetch", "pass"): "pass show",
    ("cli_fetch", "keepassxc"): "keepassxc-cli show",
    ("list", "qvault"): "qvault list",
    ("list", "pass"): "pass ls",
    ("list", "keepassxc"): "keepassxc-cli ls",
}
# Rows that explain a cost rather than compete; they get no ratio.
REFERENCE_TOOLS = {"qvault_start"}


def add_rows(results: dict, scenario: str, count: int, samples: dict[str, Samples],
             kdf_by_tool: dict[str, float]) -> None:
    """Append one row per tool, with ratios against Qvault's row of the same scenario."""
    qvault = samples["qvault"]
    qvault_kdf = kdf_by_tool.get("qvault")
    for tool, tool_samples in samples.items():
        kdf = kdf_by_tool.get(tool)
        row = {
            "scenario": scenario,
            "entries": count,
            "tool": tool,
            "runs": len(tool_samples.seconds),
            "median_ms": tool_samples.median * 1000,
            "p99_ms": tool_samples.p99 * 1000,
            "kdf_ms": None if kdf is None else kdf * 1000,
            "ratio": None,
            "ratio_without_kdf": None,
        }
        if tool != "qvault" and tool not in REFERENCE_TOOLS:
            row["ratio"] = qvault.median / tool_samples.median
            if kdf is not None and qvault_kdf is not None:
                row["ratio_without_kdf"] = _positive_ratio(qvault.median - qvault_kdf, tool_samples.median - kdf)
        results["rows"].append(row)


def _positive_ratio(numerator: float, denominator: float) -> float | None:
    if numerator <= 0 or denominator <= 0:
        return None  # The KDF estimate exceeded the median: noise, so no ratio is given.
    return numerator / denominator


def tool_label(row: dict, qvault_cli: str) -> str:
    label = TOOL_LABELS.get((row["scenario"], row["tool"]), row["tool"])
    if row["tool"] == "qvault" and row["scenario"] != "browser_fetch" and qvault_cli != "qvault CLI":
        label += " (Vault API through python -c)"
    return label


def scenario_title(row: dict) -> str:
    return SCENARIO_TITLES[row["scenario"]].format(count=row["entries"])


def _milliseconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def table_rows(results: dict) -> list[list[str]]:
    """Return the header and one list of cells per row."""
    header = ["Scenario", "Tool", "Runs", "Median ms", "p99 ms", "KDF ms", "Median without KDF ms",
              "Qvault / tool", "Qvault / tool without KDF"]
    lines = [header]
    for row in results["rows"]:
        without_kdf = None if row["kdf_ms"] is None else row["median_ms"] - row["kdf_ms"]
        if without_kdf is not None and without_kdf <= 0:
            without_kdf = None  # The KDF estimate exceeded the median: noise, so nothing is shown.
        lines.append([
            scenario_title(row), tool_label(row, results.get("qvault_cli", "qvault CLI")), str(row["runs"]),
            _milliseconds(row["median_ms"]), _milliseconds(row["p99_ms"]), _milliseconds(row["kdf_ms"]),
            _milliseconds(without_kdf), _ratio(row["ratio"]), _ratio(row["ratio_without_kdf"]),
        ])
    return lines


def text_table(results: dict) -> str:
    """Format the rows as an aligned plain-text table."""
    lines = table_rows(results)
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    text = []
    for number, line in enumerate(lines):
        text.append("  ".join(cell.ljust(width) if column < 2 else cell.rjust(width)
                              for column, (cell, width) in enumerate(zip(line, widths))))
        if number == 0:
            text.append("  ".join("-" * width for width in widths))
    return "\n".join(text)


def markdown_table(results: dict) -> str:
    lines = table_rows(results)
    text = ["| " + " | ".join(lines[0]) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(lines[0]) - 2)) + "|"]
    text += ["| " + " | ".join(line) + " |" for line in lines[1:]]
    return "\n".join(text)


def machine_description() -> dict:
    """Return the CPU model (from lscpu), core count, RAM, OS and kernel of this machine."""
    description = {"cpu": "unknown", "cores": os.cpu_count(), "ram_gib": None,
                   "os": platform.platform(), "kernel": platform.release()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        found = re.search(r"^Model name:\s*(.+)$", lscpu, re.MULTILINE)
        if found:
            description["cpu"] = found.group(1).strip()
    except OSError:
        pass
    try:
        meminfo = pathlib.Path("/proc/meminfo").read_text()
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        if found:
            description["ram_gib"] = round(int(found.group(1)) / 1024 / 1024, 1)
        release = pathlib.Path("/etc/os-release").read_text()
        found = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', release, re.MULTILINE)
        if found:
            description["os"] = found.group(1)
    except OSError:
        pass
    return description


def filesystem_of(path: pathlib.Path) -> str:
    """Return the type and mount options of the file system holding path (from findmnt), or "unknown"."""
    try:
        completed = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,OPTIONS", "-T", str(path)],
                                   capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    # findmnt prints one line per mount stacked on that point; the first is the one in use.
    lines = completed.stdout.strip().splitlines()
    return " ".join(lines[0].split()) if lines else "unknown"


def write_plot(results: dict, path: pathlib.Path) -> bool:
    """Draw medians with p99 whiskers per scenario on a log scale; return False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
        from matplotlib import ticker
    except ImportError:
        print("matplotlib is not installed: no plot written (pip install matplotlib)", file=sys.stderr)
        return False

    groups: dict[str, list[dict]] = {}
    for row in results["rows"]:
        groups.setdefault(scenario_title(row), []).append(row)
    figure, axes = pyplot.subplots(len(groups), 1, figsize=(9, 1.0 + 0.55 * len(results["rows"]) + 0.5 * len(groups)),
                                   squeeze=False, sharex=True,
                                   gridspec_kw={"height_ratios": [len(rows) for rows in groups.values()]})
    # One x range for every panel, starting at a power of ten, so bar lengths compare across panels.
    smallest = min(row["median_ms"] for row in results["rows"])
    largest = max(row["p99_ms"] for row in results["rows"])
    left = 10 ** math.floor(math.log10(smallest / 2))
    for axis, (title, rows) in zip(axes[:, 0], groups.items()):
        labels = [tool_label(row, results.get("qvault_cli", "qvault CLI")) for row in rows]
        medians = [row["median_ms"] for row in rows]
        whiskers = [[0] * len(rows), [row["p99_ms"] - row["median_ms"] for row in rows]]
        colours = ["#2a6f97" if row["tool"] == "qvault" else "#b0b0b0" if row["tool"] in REFERENCE_TOOLS
                   else "#e07a1f" for row in rows]
        positions = range(len(rows))
        axis.barh(positions, [median - left for median in medians], left=left, xerr=whiskers, color=colours, capsize=3)
        axis.set_yticks(list(positions), labels)
        axis.invert_yaxis()
        axis.set_xscale("log")
        axis.set_xlim(left, largest * 4)
        axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _position: f"{value:g}"))
        axis.xaxis.set_minor_formatter(ticker.NullFormatter())
        axis.set_title(title, fontsize=10, loc="left")
        for position, row in zip(positions, rows):
            # The label sits right of the p99 whisker, so the two never overlap.
            axis.text(row["p99_ms"] * 1.08, position, f"{_milliseconds(row['median_ms'])} ms", va="center", fontsize=8)
    axes[-1, 0].set_xlabel("milliseconds, log scale (bar: median, whisker: p99)")
    figure.suptitle(f"Qvault and other tools, {results.get('date', '')}", fontsize=11)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    print(f"wrote {path}", file=sys.stderr)
    return True


def record_docs(results: dict, page: pathlib.Path, plot: pathlib.Path | None) -> None:
    """Replace this benchmark's section of the docs page, leaving every other section as it is.

    The page is read right before writing, because other benchmark scripts own
    other sections of the same file.
    """
    from _compare_docs import section_text

    section = section_text(results, os.path.relpath(plot, page.parent) if plot else None)
    text = page.read_text(encoding="utf-8") if page.exists() else f"{PAGE_TITLE}\n"
    lines = text.splitlines(keepends=True)
    start = next((number for number, line in enumerate(lines) if line.rstrip() == SECTION_HEADING), None)
    if start is None:
        new_text = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((number for number in range(start + 1, len(lines)) if lines[number].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        new_text = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(new_text, encoding="utf-8")
