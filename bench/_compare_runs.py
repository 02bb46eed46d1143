"""The timed operations of bench/compare.py, one Task per tool and scenario.

Each task returns what the tool printed, and its check compares that with the
data set untimed, so an error path (wrong password, missing key) is never timed
as if it were a fetch.
"""

import pathlib
import subprocess
import sys
import time
from typing import Any, Callable

from qvault.extension_ids import CHROMIUM_EXTENSION_IDS

from _compare_setup import DataSet, Tools, Workspace
from _measure import BenchError, Task, decode_frame, encode_frame, read_frame, run_process

# The first argument Chromium passes a native host: the calling extension's origin.
CHROMIUM_CALLER = f"chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}/"

# Used only when the qvault CLI lacks 'get' or 'list': the same Vault API calls the CLI makes.
API_GET_SNIPPET = """\
import sys
from qvault.vault import Vault
vault = Vault.open(sys.argv[1])
vault.unlock(sys.stdin.readline().rstrip("\\n"))
for entry in vault.entries():
    if entry.title == sys.argv[2]:
        print(vault.get_secret(entry.id)["password"])
        break
else:
    sys.exit("no entry titled " + sys.argv[2])
"""
API_LIST_SNIPPET = """\
import sys
from qvault.vault import Vault
vault = Vault.open(sys.argv[1])
vault.unlock(sys.stdin.readline().rstrip("\\n"))
for entry in sorted(vault.entries(), key=lambda entry: entry.title):
    print(entry.id[:8], entry.type, entry.title)
"""


def expect_password(data: DataSet, pick: Callable[[int], int]) -> Callable[[int, Any], None]:
    """Return a check that the first output line equals the password of entry pick(run)."""

    def check(run: int, output: bytes | str) -> None:
        text = output.decode("utf-8", errors="replace") if isinstance(output, bytes) else output
        lines = text.splitlines()
        if not lines or lines[0] != data.passwords[pick(run)]:
            raise BenchError(f"the tool did not return the password of {data.title(pick(run))}")

    return check


def expect_lines(minimum: int) -> Callable[[int, Any], None]:
    """Return a check that the output has at least `minimum` lines (one per entry)."""

    def check(run: int, output: bytes) -> None:
        count = output.count(b"\n")
        if count < minimum:
            raise BenchError(f"the listing has {count} lines; expected at least {minimum}")

    return check


class QvaultHost:
    """Qvault's native host as the browser runs it: one process, frames over its pipes."""

    def __init__(self, workspace: Workspace, vault_path: pathlib.Path, pinentry: pathlib.Path):
        self._stderr = open(workspace.root / "qvault-host.log", "wb")
        environment = workspace.env(
            QVAULT_VAULT=str(vault_path),
            QVAULT_PINENTRY=str(pinentry),
            QVAULT_BENCH_PINENTRY_PASSWORD=workspace.master_password,
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qvault.native.main", CHROMIUM_CALLER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=environment,
        )
        self._next_id = 0

    def request(self, verb: str, **arguments) -> dict:
        """Send one request and return its reply; raise BenchError on an error reply."""
        self._next_id += 1
        self.process.stdin.write(encode_frame({"id": self._next_id, "type": verb, **arguments}))
        self.process.stdin.flush()
        reply = read_frame(self.process.stdout, f"qvault host {verb}")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise BenchError(f"qvault host {verb}: {error.get('name')}: {error.get('message')}")
        return reply

    def start_session(self) -> float:
        """Say hello and unlock through the pinentry; return the unlock's duration in seconds."""
        self.request("hello", protocol=1)
        started = time.perf_counter()
        self.request("unlock")
        return time.perf_counter() - started

    def close(self) -> None:
        """Close stdin, which ends the host cleanly; kill it if it does not exit."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self._stderr.close()


def browser_tasks(workspace: Workspace, tools: Tools, data: DataSet, pick, host: QvaultHost,
                  entry_ids: list[str], pass_store: pathlib.Path | None) -> dict[str, Task]:
    """Tasks fetching entry pick(run) as each browser extension's native host does."""
    check = expect_password(data, pick)

    def qvault_fetch(run: int) -> str:
        index = pick(run)
        return host.request("get_login", entry_id=entry_ids[index], url=data.url(index))["password"]

    tasks = {"qvault": Task(qvault_fetch, check)}
    if pass_store is None:
        return tasks
    pass_env = workspace.env(PASSWORD_STORE_DIR=str(pass_store))

    if tools.browserpass:
        settings = {"gpgPath": tools.gpg, "stores": {"bench": {"id": "bench", "name": "bench", "path": str(pass_store)}}}

        def browserpass_fetch(run: int) -> str:
            request = {"action": "fetch", "storeId": "bench", "file": data.pass_name(pick(run)) + ".gpg",
                       "settings": settings}
            output = run_process([tools.browserpass], env=pass_env, input_bytes=encode_frame(request),
                                 what="browserpass-native fetch")
            reply = decode_frame(output, "browserpass-native fetch")
            if reply.get("status") != "ok":
                raise BenchError(f"browserpass-native fetch: error {reply.get('code')}: "
                                 f"{(reply.get('params') or {}).get('message')}")
            return reply["data"]["contents"]

        tasks["browserpass"] = Task(browserpass_fetch, check)

    if tools.passff_host and tools.pass_program:
        def passff_fetch(run: int) -> str:
            output = run_process([tools.passff_host], env=pass_env, input_bytes=encode_frame([data.pass_name(pick(run))]),
                                 what="passff host show")
            reply = decode_frame(output, "passff host show")
            if reply.get("exitCode") != 0:
                raise BenchError(f"passff host: pass show exited with {reply.get('exitCode')}")
            return reply["stdout"]

        tasks["passff"] = Task(passff_fetch, check)
    return tasks


def qvault_command(tools: Tools, command: str, vault_path: pathlib.Path, *arguments: str) -> list[str]:
    """Return the argv of `qvault COMMAND`, or of the Vault API snippet when the CLI lacks it."""
    if tools.qvault_cli:
        return tools.qvault_cli + [command, "--vault", str(vault_path), "--password-stdin", *arguments]
    snippet = API_GET_SNIPPET if command == "get" else API_LIST_SNIPPET
    query = arguments[-1:] if command == "get" else ()
    return [sys.executable, "-c", snippet, str(vault_path), *query]


def cli_fetch_tasks(workspace: Workspace, tools: Tools, data: DataSet, pick, vault_path: pathlib.Path,
                    pass_store: pathlib.Path | None, keepassxc_db: pathlib.Path | None) -> dict[str, Task]:
    """Tasks printing the password of entry pick(run) from each tool's command line."""
    check = expect_password(data, pick)
    password_line = (workspace.master_password + "\n").encode()
    env = workspace.env()

    def qvault_get(run: int) -> bytes:
        argv = qvault_command(tools, "get", vault_path, "password", data.title(pick(run)))
        return run_process(argv, env=env, input_bytes=password_line, what="qvault get")

    # Python start and imports alone: the share of `qvault get` that no vault work can remove.
    start_argv = [sys.executable, "-c", "import qvault.cli.main, qvault.vault.store"]
    tasks = {
        "qvault": Task(qvault_get, check),
        "qvault_start": Task(lambda run: run_process(start_argv, env=env, what="python start and qvault imports")),
    }
    if pass_store is not None and tools.pass_program:
        pass_env = workspace.env(PASSWORD_STORE_DIR=str(pass_store))

        def pass_show(run: int) -> bytes:
            return run_process([tools.pass_program, "show", data.pass_name(pick(run))], env=pass_env, what="pass show")

        tasks["pass"] = Task(pass_show, check)
    if keepassxc_db is not None:
        def keepassxc_show(run: int) -> bytes:
            argv = [tools.keepassxc_cli, "show", "-q", "-s", "-a", "Password", str(keepassxc_db), data.title(pick(run))]
            return run_process(argv, env=env, input_bytes=password_line, what="keepassxc-cli show")

        tasks["keepassxc"] = Task(keepassxc_show, check)
    return tasks


def list_tasks(workspace: Workspace, tools: Tools, count: int, vault_path: pathlib.Path,
               pass_store: pathlib.Path | None, keepassxc_db: pathlib.Path | None) -> dict[str, Task]:
    """Tasks opening each tool's store of `count` entries and listing every entry."""
    check = expect_lines(count)
    password_line = (workspace.master_password + "\n").encode()
    env = workspace.env()

    def qvault_list(run: int) -> bytes:
        return run_process(qvault_command(tools, "list", vault_path), env=env, input_bytes=password_line,
                           what="qvault list")

    tasks = {"qvault": Task(qvault_list, check)}
    if pass_store is not None and tools.pass_program:
        pass_env = workspace.env(PASSWORD_STORE_DIR=str(pass_store))
        tasks["pass"] = Task(lambda run: run_process([tools.pass_program, "ls"], env=pass_env, what="pass ls"), check)
    if keepassxc_db is not None:
        argv = [tools.keepassxc_cli, "ls", "-q", str(keepassxc_db)]
        tasks["keepassxc"] = Task(
            lambda run: run_process(argv, env=env, input_bytes=password_line, what="keepassxc-cli ls"), check)
    return tasks


def qvault_kdf_task() -> Task:
    """Task timing one Argon2id derivation at the KDF floor, in this process."""
    from qvault.vault.kdf import FLOOR, derive

    salt = bytes(16)
    return Task(lambda run: derive(b"benchmark password", salt, FLOOR))


def keepassxc_kdf_tasks(workspace: Workspace, tools: Tools, empty_db: pathlib.Path) -> dict[str, Task]:
    """Tasks whose median difference is KeePassXC's KDF cost at the empty database's rounds.

    Opening an empty database costs process start, the KDF and next to no parsing;
    `--version` costs process start alone.
    """
    password_line = (workspace.master_password + "\n").encode()
    env = workspace.env()
    return {
        "keepassxc_empty_open": Task(lambda run: run_process(
            [tools.keepassxc_cli, "ls", "-q", str(empty_db)], env=env, input_bytes=password_line,
            what="keepassxc-cli ls on an empty database")),
        "keepassxc_start": Task(lambda run: run_process(
            [tools.keepassxc_cli, "--version"], env=env, what="keepassxc-cli --version")),
    }
