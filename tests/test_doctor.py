"""`qvault doctor`, run as a user would after install.py, in a temporary HOME."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from qvault.cli.commands import doctor
from qvault.extension_ids import CHROMIUM_EXTENSION_IDS, HOST_NAME
from qvault.windows_registry import MemoryRegistry

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
INSTALLER = REPOSITORY / "install.py"
SCRIPTED_PINENTRY = REPOSITORY / "tests" / "tools" / "scripted_pinentry.py"
PASSWORD = "correct horse battery staple"
FLOOR_KDF = ["--kdf-memory-kib", "65536", "--kdf-iterations", "3", "--kdf-parallelism", "4"]


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def environment(home, tmp_path):
    """The environment of a user whose vault, prompt and folders live under tmp_path."""
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("XDG_", "QVAULT_")) and key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    base.update({"HOME": str(home), "QVAULT_VAULT": str(tmp_path / "vault.qvault"),
                 "QVAULT_PINENTRY": str(SCRIPTED_PINENTRY)})
    return base


def install(environment: dict, *arguments: str) -> None:
    result = subprocess.run([sys.executable, str(INSTALLER), "--python", sys.executable, *arguments],
                            env=environment, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr


def create_vault(environment: dict) -> None:
    result = subprocess.run([sys.executable, "-m", "qvault.cli.main", "init", "--password-stdin", "--no-qr", *FLOOR_KDF],
                            env=environment, input=PASSWORD + "\n", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def run_doctor(environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qvault.cli.main", "doctor", *arguments],
                          env=environment, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def lines_of(result: subprocess.CompletedProcess, prefix: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(prefix)]


def launcher_of(home: pathlib.Path) -> pathlib.Path:
    return home / ".local/share/qvault/qvault-host-launcher"


def chromium_manifest(home: pathlib.Path) -> pathlib.Path:
    return home / ".config/chromium/NativeMessagingHosts" / f"{HOST_NAME}.json"


def test_doctor_all_ok(environment, home):
    install(environment, "--browser", "chromium", "firefox")
    create_vault(environment)

    result = run_doctor(environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines_of(result, "warning") == []
    assert lines_of(result, "error") == []
    assert f"ok      manifest chromium: {chromium_manifest(home)} (user)" in result.stdout
    assert f"ok      launcher chromium: {launcher_of(home)} (executable)" in result.stdout
    assert f"ok      allowed chromium: allowed_origins contains chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}/" in result.stdout
    assert "ok      allowed firefox: allowed_extensions contains qvault@qvault.dev" in result.stdout
    assert "ok      host chromium: answered hello: protocol 1" in result.stdout
    assert "vault state locked" in result.stdout
    assert f"ok      prompt: pinentry {SCRIPTED_PINENTRY}" in result.stdout
    assert "doctor: 0 error(s), 0 warning(s)" in result.stdout


def test_doctor_missing_launcher(environment, home):
    install(environment, "--browser", "chromium")
    create_vault(environment)
    launcher_of(home).unlink()

    result = run_doctor(environment)
    assert result.returncode == 1
    assert f"error   launcher chromium: {launcher_of(home)} does not exist; run install.py for chromium again" in result.stdout
    assert lines_of(result, "ok      host") == []


def test_doctor_launcher_not_executable(environment, home):
    install(environment, "--browser", "chromium")
    launcher_of(home).chmod(0o644)

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "is not executable" in result.stdout


def test_doctor_json(environment, home):
    install(environment, "--browser", "chromium")
    create_vault(environment)

    result = run_doctor(environment, "--json")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["errors"] == 0
    assert report["warnings"] == 0
    checks = {(check["check"], check["browser"]): check for check in report["checks"]}
    assert checks[("host", "chromium")]["status"] == "ok"
    assert checks[("vault", None)]["status"] == "ok"


def test_doctor_no_manifest(environment):
    result = run_doctor(environment)
    assert result.returncode == 1
    assert "error   manifest: no Qvault host manifest found for any browser" in result.stdout


def test_doctor_foreign_extension_only(environment, home):
    install(environment, "--browser", "chromium")
    manifest_path = chromium_manifest(home)
    manifest = json.loads(manifest_path.read_text())
    manifest["allowed_origins"] = [f"chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}"]  # no trailing slash
    manifest_path.write_text(json.dumps(manifest))

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "error   allowed chromium: allowed_origins does not contain" in result.stdout


def test_doctor_invalid_manifest(environment, home):
    install(environment, "--browser", "chromium")
    chromium_manifest(home).write_text("{not json")

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "cannot be read as JSON" in result.stdout


def test_doctor_launcher_prints_text(environment, home):
    # The classic fault: text on stdout before the first frame reads as a huge length.
    install(environment, "--browser", "chromium")
    launcher_of(home).write_text("#!/bin/sh\necho '[DEBUG] starting host'\ncat >/dev/null\n")

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "over the 1 MiB limit: something prints to stdout" in result.stdout


def test_doctor_host_exits(environment, home):
    install(environment, "--browser", "chromium")
    launcher_of(home).write_text("#!/bin/sh\necho 'ImportError: no module named qvault' >&2\nexit 3\n")

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "exited before answering hello (exit status 3)" in result.stdout
    assert "ImportError: no module named qvault" in result.stdout


def test_doctor_host_silent(environment, home):
    install(environment, "--browser", "chromium")
    launcher_of(home).write_text("#!/bin/sh\nexec sleep 60\n")

    result = run_doctor(environment, "--timeout", "0.5")
    assert result.returncode == 1
    assert "did not answer hello within 0.5 seconds" in result.stdout


def test_doctor_caller_rejected(environment, home):
    install(environment, "--browser", "chromium")
    text = launcher_of(home).read_text().replace(f"chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}/", "chrome-extension://other/")
    launcher_of(home).write_text(text)

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "error   host chromium: rejects the shipped extension" in result.stdout


def test_doctor_no_vault_warning(environment):
    install(environment, "--browser", "chromium")

    result = run_doctor(environment)
    assert result.returncode == 0
    assert "warning vault: no vault at" in result.stdout
    assert "warning host chromium: answered hello" in result.stdout
    assert "finds no vault" in result.stdout


def test_doctor_damaged_vault(environment, tmp_path):
    install(environment, "--browser", "chromium")
    (tmp_path / "vault.qvault").write_bytes(b"this is not a database")

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "is not a Qvault vault (no SQLite header)" in result.stdout


def test_doctor_no_prompt(environment, tmp_path):
    install(environment, "--browser", "chromium")
    create_vault(environment)
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    environment = {**environment, "PATH": str(empty_bin)}
    del environment["QVAULT_PINENTRY"]

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "error   prompt: no way to ask for the master password" in result.stdout


def test_doctor_flatpak_browser(environment, home):
    install(environment, "--browser", "chromium")
    create_vault(environment)
    (home / ".var/app/org.chromium.Chromium").mkdir(parents=True)

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "error   sandbox chromium: Chromium is installed as a Flatpak" in result.stdout


def test_doctor_user_data_dir(environment, tmp_path):
    profile = tmp_path / "profile"
    install(environment, "--browser", "chromium", "--user-data-dir", str(profile))
    create_vault(environment)

    result = run_doctor(environment, "--user-data-dir", str(profile))
    assert result.returncode == 0, result.stdout
    assert f"ok      manifest chromium: {profile}/NativeMessagingHosts/{HOST_NAME}.json (profile)" in result.stdout


def test_doctor_windows_registry_dangling(home, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(home))
    registry = MemoryRegistry()
    missing = tmp_path / "gone" / f"{HOST_NAME}.json"
    registry.set_default("HKCU", rf"Software\Google\Chrome\NativeMessagingHosts\{HOST_NAME}", str(missing))

    checks = doctor.run_checks(platform="win32", registry=registry, vault_option=str(tmp_path / "vault.qvault"))
    manifest_checks = [check for check in checks if check.check == "manifest"]
    # Chrome, Brave and Vivaldi all read Chrome's key.
    assert sorted(check.browser for check in manifest_checks) == ["brave", "chrome", "vivaldi"]
    assert all(check.status == "error" for check in manifest_checks)
    assert "registry key HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts" in manifest_checks[0].detail
    assert "does not exist" in manifest_checks[0].detail


def test_doctor_terminal_pinentry(environment, tmp_path):
    install(environment, "--browser", "chromium")
    create_vault(environment)
    curses = tmp_path / "bin" / "pinentry-curses"
    curses.parent.mkdir()
    curses.write_text("#!/bin/sh\necho OK\n")
    curses.chmod(0o755)
    environment = {**environment, "QVAULT_PINENTRY": str(curses)}

    result = run_doctor(environment)
    assert result.returncode == 1
    assert "needs a terminal" in result.stdout
    assert "QVAULT_PINENTRY" in result.stdout
