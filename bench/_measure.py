"""Timing helpers shared by the benchmark scripts.

Every figure is wall-clock time from time.perf_counter around the whole operation
a user waits for (process start included where the tool starts a process).
Alternating tools run by run spreads slow phases of the machine (other load,
frequency changes) over every tool instead of biasing whichever ran then.
"""

import dataclasses
import json
import math
import statistics
import struct
import subprocess
import time
from typing import Any, BinaryIO, Callable

_FRAME_HEADER = struct.Struct("=I")  # Native messaging: 4-byte native-endian length.
# Maximum run time of one measured command. The slowest, keepassxc-cli listing 100k
# entries, took about 25 s on a busy 2-core machine.
PROCESS_TIMEOUT_SECONDS = 600


class BenchError(Exception):
    """A step of the benchmark failed; the message names the step and the tool."""


@dataclasses.dataclass
class Samples:
    """Wall-clock durations of one operation, in seconds, in the order they ran."""

    seconds: list[float] = dataclasses.field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p99(self) -> float:
        return percentile(self.seconds, 0.99)


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile: the smallest value with `fraction` of values at or below it.

    With fewer than 100 values, p99 is the maximum.
    """
    if not values:
        raise ValueError("percentile of an empty list")
    if not 0 < fraction <= 1:
        raise ValueError(f"percentile fraction {fraction} is not in (0, 1]")
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[rank - 1]


@dataclasses.dataclass
class Task:
    """One timed operation: `run(index)` does the work, `check(index, output)` verifies it untimed.

    `index` is the run number, so a task can pick a different entry each run.
    """

    run: Callable[[int], Any]
    check: Callable[[int, Any], None] = lambda index, output: None


def round_robin(tasks: dict[str, Task], runs: int, warmup: int = 1) -> dict[str, Samples]:
    """Time every task `runs` times, alternating tasks within each run.

    The starting task rotates from run to run, so no tool always runs right after
    the same other tool (a warm page cache or a busy CPU would favour one of them).
    `warmup` untimed rounds come first, with run indexes runs .. runs + warmup - 1,
    so caches and gpg-agent are warm for every tool alike.
    Raises BenchError from a task's check, naming the task and the run.
    """
    names = list(tasks)
    for index in range(runs, runs + warmup):
        for name in names:
            _timed_run(name, tasks[name], index, "warm-up run")
    samples = {name: Samples() for name in names}
    for index in range(runs):
        shift = index % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            samples[name].seconds.append(_timed_run(name, tasks[name], index, f"run {index + 1}"))
    return samples


def _timed_run(name: str, task: Task, index: int, label: str) -> float:
    """Run and check one task once; return the run's duration, excluding the check."""
    try:
        started = time.perf_counter()
        output = task.run(index)
        elapsed = time.perf_counter() - started
        task.check(index, output)
    except BenchError as error:
        raise BenchError(f"{name}, {label}: {error}") from None
    return elapsed


def run_process(argv: list[str], *, env: dict[str, str], input_bytes: bytes | None = None,
                what: str, cwd: str | None = None) -> bytes:
    """Run a program to completion and return its stdout; raise BenchError if it fails.

    The error names `what` and the first line of the program's stderr, so a broken
    set-up (missing key, wrong password) stops the run instead of timing an error path.
    """
    try:
        completed = subprocess.run(argv, input=input_bytes, capture_output=True, env=env, cwd=cwd, check=False,
                                   timeout=PROCESS_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: {argv[0]} timed out after {PROCESS_TIMEOUT_SECONDS} s") from None
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise BenchError(f"{what}: {argv[0]} exited with status {completed.returncode}: "
                         f"{detail[-1] if detail else 'no error output'}")
    return completed.stdout


def encode_frame(message: Any) -> bytes:
    """Return one native-messaging frame: length header, then UTF-8 JSON."""
    body = json.dumps(message).encode("utf-8")
    return _FRAME_HEADER.pack(len(body)) + body


def read_frame(stream: BinaryIO, what: str) -> Any:
    """Read one native-messaging frame from `stream`; raise BenchError on a short read."""
    header = stream.read(_FRAME_HEADER.size)
    if len(header) != _FRAME_HEADER.size:
        raise BenchError(f"{what}: the host closed its output before replying")
    (length,) = _FRAME_HEADER.unpack(header)
    body = stream.read(length)
    if len(body) != length:
        raise BenchError(f"{what}: the reply frame was cut short ({len(body)} of {length} bytes)")
    return json.loads(body)


def decode_frame(data: bytes, what: str) -> Any:
    """Decode the first frame of a finished host's whole stdout."""
    if len(data) < _FRAME_HEADER.size:
        raise BenchError(f"{what}: the host wrote no reply frame")
    (length,) = _FRAME_HEADER.unpack(data[:_FRAME_HEADER.size])
    body = data[_FRAME_HEADER.size:_FRAME_HEADER.size + length]
    if len(body) != length:
        raise BenchError(f"{what}: the reply frame was cut short ({len(body)} of {length} bytes)")
    return json.loads(body)
