"""`qvault doctor`: check the browser integration, one line per check.

The checks run in this order. First come each host manifest that the supported
browsers would find (in folders, or through registry keys on Windows), the launcher
it names and the extension id it allows. Then doctor starts that launcher and sends
`hello`. Last come Flatpak or Snap browsers whose sandbox blocks the host, the
vault file, and the password prompt the host would use. Each check is ok, warning or error; the exit
status is 1 when any check is an error. Doctor never asks for the master password
and never writes to the vault.
"""

import dataclasses
import json
import os
import pathlib
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading

from qvault import browser_locations as locations
from qvault import extension_ids, windows_registry
from qvault.cli import session
from qvault.cli.io import Console
from qvault.errors import PromptError, VaultError
from qvault.prompt import find_prompt
from qvault.prompt.pinentry import needs_terminal
from qvault.vault import container
from qvault.vault import format as vault_format

OK, WARNING, ERROR = "ok", "warning", "error"

# The host starts in well under a second; a cold disk or a first import after an
# upgrade (byte-compiling) can take several.
HELLO_TIMEOUT_SECONDS = 15.0
PROTOCOL_VERSION = 1
# Replies above this are a broken host: the protocol caps frames at 1 MiB.
REPLY_MAX_BYTES = 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclasses.dataclass
class Check:
    """One result line: status, what was checked, for which browser, and the finding."""

    status: str
    check: str
    detail: str
    browser: str | None = None


@dataclasses.dataclass
class FoundManifest:
    browser: str
    scope: str
    path: pathlib.Path
    registry_key: str | None = None


def register(command) -> None:
    """Add the doctor command to the CLI's parser; command is build_parser's helper."""
    sub = command("doctor", doctor, "check the browser integration: manifests, launcher, host start, vault, prompt")
    sub.add_argument("--json", action="store_true", help="print the checks as JSON")
    sub.add_argument("--user-data-dir", metavar="DIR", help="also check DIR/NativeMessagingHosts, for a Chromium profile started with --user-data-dir")
    sub.add_argument("--timeout", type=float, default=HELLO_TIMEOUT_SECONDS, metavar="SECONDS",
                     help=f"seconds to wait for the host's hello reply (default {HELLO_TIMEOUT_SECONDS:g})")


def doctor(console: Console, args) -> int:
    """Run every check, print one line each (or JSON), return 1 if any is an error."""
    user_data_dir = pathlib.Path(args.user_data_dir).expanduser() if args.user_data_dir else None
    checks = run_checks(vault_option=args.vault, user_data_dir=user_data_dir, timeout=args.timeout)
    errors = sum(check.status == ERROR for check in checks)
    warnings = sum(check.status == WARNING for check in checks)

    if args.json:
        console.json({"checks": [dataclasses.asdict(check) for check in checks], "errors": errors, "warnings": warnings})
    else:
        for check in checks:
            subject = f"{check.check} {check.browser}" if check.browser else check.check
            console.out(f"{check.status:<8}{subject}: {check.detail}")
        console.out(f"doctor: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def run_checks(*, vault_option: str | None = None, user_data_dir: pathlib.Path | None = None,
               timeout: float = HELLO_TIMEOUT_SECONDS, platform: str | None = None, registry=None,
               environ=os.environ, root: pathlib.Path | None = None) -> list[Check]:
    """Return every check's result; platform, registry and root let tests fake another system."""
    platform = platform or _current_platform()
    home = pathlib.Path(os.path.expanduser("~"))
    if platform == "win32" and registry is None:
        registry = windows_registry.WindowsRegistry()

    found = find_manifests(platform, home=home, environ=environ, registry=registry, root=root, user_data_dir=user_data_dir)
    checks: list[Check] = []
    if not found:
        checks.append(Check(ERROR, "manifest", "no Qvault host manifest found for any browser; run 'python3 install.py --browser NAME' from the Qvault checkout"))

    started: dict[tuple[str, str], Check] = {}
    for manifest in found:
        manifest_checks, launcher = check_manifest(manifest, platform)
        checks.extend(manifest_checks)
        if launcher is None:
            continue
        # One start per launcher and family: browsers of one family start it the same way.
        key = (str(launcher), locations.family(manifest.browser))
        if key not in started:
            started[key] = check_host_start(launcher, manifest, timeout)
        checks.append(dataclasses.replace(started[key], browser=manifest.browser))

    if platform == "linux":
        for browser in sorted(locations.BROWSERS):
            for kind, evidence in locations.sandboxed_installs(browser, home=home, root=root):
                status = WARNING if locations.family(browser) == locations.FIREFOX_FAMILY and kind == "snap" else ERROR
                checks.append(Check(status, "sandbox", locations.sandbox_advice(browser, kind, evidence), browser))

    checks.append(check_vault(session.vault_path(vault_option, environ)))
    checks.append(check_prompt())
    return checks


def _current_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    return sys.platform


def find_manifests(platform: str, *, home: pathlib.Path, environ, registry, root: pathlib.Path | None,
                   user_data_dir: pathlib.Path | None) -> list[FoundManifest]:
    """Return Qvault's host manifests where the browsers look for them, per browser and scope."""
    file_name = f"{extension_ids.HOST_NAME}.json"
    found = []
    for browser in sorted(locations.BROWSERS):
        for scope in locations.SCOPES:
            if platform == "win32":
                hive = locations.REGISTRY_HIVES[scope]
                for key in locations.registry_keys(browser, extension_ids.HOST_NAME):
                    value = registry.get_default(hive, key)
                    if value:
                        found.append(FoundManifest(browser, scope, pathlib.Path(value), f"{hive}\\{key}"))
                continue
            for folder in locations.manifest_folders(browser, platform, scope, home=home, environ=environ, root=root):
                path = folder / file_name
                if path.exists() or path.is_symlink():
                    found.append(FoundManifest(browser, scope, path))

    if user_data_dir is not None:
        # Asked for by name, so a missing file here is reported as an error.
        found.append(FoundManifest("chromium", "profile", user_data_dir / "NativeMessagingHosts" / file_name))
    return found


def check_manifest(manifest: FoundManifest, platform: str) -> tuple[list[Check], pathlib.Path | None]:
    """Check one manifest file; return the checks and the launcher to start, if usable."""
    browser = manifest.browser
    where = f" (registry key {manifest.registry_key})" if manifest.registry_key else ""
    try:
        unverified_manifest = json.loads(manifest.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [Check(ERROR, "manifest", f"{manifest.path}{where} does not exist; run install.py for {browser} again", browser)], None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as failure:
        return [Check(ERROR, "manifest", f"{manifest.path} cannot be read as JSON ({failure}); run install.py for {browser} again", browser)], None
    if not isinstance(unverified_manifest, dict) or unverified_manifest.get("name") != extension_ids.HOST_NAME:
        return [Check(ERROR, "manifest", f"{manifest.path} is not a {extension_ids.HOST_NAME} manifest; run install.py for {browser} again", browser)], None

    checks = [Check(OK, "manifest", f"{manifest.path} ({manifest.scope}){where}", browser)]
    checks.append(_check_allowed(unverified_manifest, browser))

    launcher_value = unverified_manifest.get("path")
    if not isinstance(launcher_value, str) or not launcher_value:
        checks.append(Check(ERROR, "launcher", f"{manifest.path} names no launcher path; run install.py for {browser} again", browser))
        return checks, None
    launcher = pathlib.Path(launcher_value)
    if not launcher.is_absolute():
        if platform != "win32":
            checks.append(Check(ERROR, "launcher", f"{launcher_value!r} is not an absolute path, which Linux and macOS require; run install.py again", browser))
            return checks, None
        # Windows resolves a relative path against the manifest's folder.
        launcher = manifest.path.parent / launcher
    if not launcher.is_file():
        checks.append(Check(ERROR, "launcher", f"{launcher} does not exist; run install.py for {browser} again", browser))
        return checks, None
    if platform != "win32" and not os.access(launcher, os.X_OK):
        checks.append(Check(ERROR, "launcher", f"{launcher} is not executable; run 'chmod 755 {launcher}' or install.py again", browser))
        return checks, None
    checks.append(Check(OK, "launcher", f"{launcher} (executable)", browser))
    return checks, launcher


def _check_allowed(unverified_manifest: dict, browser: str) -> Check:
    if locations.family(browser) == locations.CHROMIUM_FAMILY:
        expected = f"chrome-extension://{extension_ids.CHROMIUM_EXTENSION_IDS[0]}/"
        allowed = unverified_manifest.get("allowed_origins")
        field = "allowed_origins"
    else:
        expected = extension_ids.GECKO_EXTENSION_IDS[0]
        allowed = unverified_manifest.get("allowed_extensions")
        field = "allowed_extensions"
    if isinstance(allowed, list) and expected in allowed:
        return Check(OK, "allowed", f"{field} contains {expected}", browser)
    return Check(ERROR, "allowed", f"{field} does not contain {expected}, so the browser refuses the shipped extension; run install.py again", browser)


def check_host_start(launcher: pathlib.Path, manifest: FoundManifest, timeout: float) -> Check:
    """Start the launcher as the browser would, send hello and check the reply."""
    if locations.family(manifest.browser) == locations.CHROMIUM_FAMILY:
        arguments = [f"chrome-extension://{extension_ids.CHROMIUM_EXTENSION_IDS[0]}/"]
    else:
        arguments = [str(manifest.path), extension_ids.GECKO_EXTENSION_IDS[0]]
    request = json.dumps({"id": "doctor", "type": "hello", "protocol": PROTOCOL_VERSION}).encode("utf-8")

    with tempfile.TemporaryFile() as stderr_file:
        try:
            # The browser starts hosts with the launcher's folder as working directory.
            process = subprocess.Popen([str(launcher), *arguments], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=stderr_file, cwd=launcher.parent)
        except OSError as failure:
            return Check(ERROR, "host", f"{launcher} failed to start ({failure.strerror}); run install.py again")
        try:
            reply, problem = _exchange(process, struct.pack("=I", len(request)) + request, timeout)
        finally:
            _stop(process, timeout)
        stderr_file.seek(0)
        stderr_tail = stderr_file.read().decode("utf-8", "replace").strip().splitlines()[-1:]

    if problem is not None:
        hint = f"; its last stderr line: {stderr_tail[0][:300]}" if stderr_tail else ""
        return Check(ERROR, "host", f"{launcher} {problem}{hint}")
    return _judge_hello(reply)


def _exchange(process: subprocess.Popen, frame: bytes, timeout: float) -> tuple[dict | None, str | None]:
    """Send one frame and read one reply frame within timeout; return (reply, problem)."""
    result: dict = {}

    def read_reply() -> None:
        try:
            header = process.stdout.read(4)
            if len(header) < 4:
                result["problem"] = f"exited before answering hello (exit status {process.wait()})"
                return
            (length,) = struct.unpack("=I", header)
            if length > REPLY_MAX_BYTES:
                result["problem"] = f"sent a reply length of {length} bytes, over the 1 MiB limit: something prints to stdout before the host starts"
                return
            body = process.stdout.read(length)
            result["reply"] = json.loads(body.decode("utf-8"))
        except (OSError, ValueError) as failure:
            result["problem"] = f"sent an unreadable reply ({failure})"

    reader = threading.Thread(target=read_reply, daemon=True)
    reader.start()
    try:
        process.stdin.write(frame)
        process.stdin.flush()
    except OSError:
        pass  # The reader reports the early exit.
    reader.join(timeout)
    if reader.is_alive():
        return None, f"did not answer hello within {timeout:g} seconds"
    if "problem" in result:
        return None, result["problem"]
    if not isinstance(result.get("reply"), dict):
        return None, "sent a reply that is not a JSON object"
    return result["reply"], None


def _stop(process: subprocess.Popen, timeout: float) -> None:
    """Close the host's input, which ends it cleanly; kill it if it lingers."""
    try:
        process.stdin.close()
    except OSError:
        pass
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


def _judge_hello(reply: dict) -> Check:
    if not reply.get("ok"):
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        name = error.get("name", "an unknown error")
        message = str(error.get("message", ""))[:300]
        if name == "CALLER_NOT_ALLOWED":
            return Check(ERROR, "host", f"rejects the shipped extension ({message}); run install.py again so the launcher allows it")
        return Check(ERROR, "host", f"answered hello with {name}: {message}")

    version = reply.get("host_version")
    state = reply.get("state")
    detail = f"answered hello: protocol {reply.get('protocol')}, host {version}, vault state {state}"
    if reply.get("protocol") != PROTOCOL_VERSION:
        return Check(ERROR, "host", f"{detail}; this qvault speaks protocol {PROTOCOL_VERSION}: reinstall one of them")
    if state == "no_vault":
        return Check(WARNING, "host", f"{detail}: the host finds no vault at its vault path; create one with 'qvault init' (or the --vault given to install.py)")
    return Check(OK, "host", detail)


def check_vault(path: pathlib.Path) -> Check:
    """Check the vault file without unlocking or changing it."""
    if not path.exists():
        return Check(WARNING, "vault", f"no vault at {path}; create one with 'qvault init' or pass --vault PATH")
    try:
        with open(path, "rb") as stream:
            magic = stream.read(len(SQLITE_MAGIC))
    except OSError as failure:
        return Check(ERROR, "vault", f"{path} cannot be read ({failure.strerror}); check its owner and permissions")
    if magic != SQLITE_MAGIC:
        return Check(ERROR, "vault", f"{path} is not a Qvault vault (no SQLite header); restore it from a backup")

    # Read-only: Vault.open would upgrade an older schema, which is no business of a check.
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as failure:
        return Check(ERROR, "vault", f"{path} cannot be opened ({failure})")
    try:
        schema_version = container.read_schema_version(connection, path)
        if schema_version < vault_format.SCHEMA_VERSION:
            return Check(WARNING, "vault", f"{path} has schema version {schema_version}; the next unlock upgrades it to {vault_format.SCHEMA_VERSION} after a backup")
        container.read_header(connection, path)
    except VaultError as failure:
        return Check(ERROR, "vault", str(failure))
    finally:
        connection.close()
    return Check(OK, "vault", f"{path} (a readable vault, schema version {schema_version}; not unlocked by this check)")


def check_prompt() -> Check:
    """Report the password prompt the host would open, or why there is none."""
    try:
        prompt = find_prompt()
    except PromptError as failure:
        return Check(ERROR, "prompt", f"{failure}; without a prompt the extension cannot unlock the vault")
    program = getattr(prompt, "program", None)
    if program and needs_terminal(program):
        return Check(
            ERROR,
            "prompt",
            f"pinentry {program} needs a terminal, which the host started by a browser does not have; "
            "set QVAULT_PINENTRY to a graphical pinentry (pinentry-gnome3, pinentry-qt)",
        )
    if program is not None:
        return Check(OK, "prompt", f"pinentry {program}")
    return Check(OK, "prompt", f"{type(prompt).__name__} (no graphical pinentry found; the host falls back to a Tk dialog)")
