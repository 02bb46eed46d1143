"""install.py, run as a user would, into a temporary HOME."""

import base64
import hashlib
import json
import os
import pathlib
import stat
import subprocess
import sys

import pytest

from qvault.extension_ids import CHROMIUM_EXTENSION_IDS, GECKO_EXTENSION_IDS, HOST_NAME

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
INSTALLER = REPOSITORY / "install.py"

DEFAULT_FOLDERS = {
    "chromium": ".config/chromium/NativeMessagingHosts",
    "chrome": ".config/google-chrome/NativeMessagingHosts",
    "brave": ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "edge": ".config/microsoft-edge/NativeMessagingHosts",
    "vivaldi": ".config/vivaldi/NativeMessagingHosts",
    "firefox": ".mozilla/native-messaging-hosts",
    "librewolf": ".librewolf/native-messaging-hosts",
}
FIREFOX_FAMILY = {"firefox", "librewolf"}


def run_installer(home: pathlib.Path, *arguments: str, extra_environment: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    environment["HOME"] = str(home)
    environment.update(extra_environment or {})
    return subprocess.run([sys.executable, str(INSTALLER), *arguments], env=environment,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def files_under(folder: pathlib.Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def launcher_of(home: pathlib.Path) -> pathlib.Path:
    return home / ".local/share/qvault/qvault-host-launcher"


def extension_id_from_key(key_base64: str) -> str:
    digest = hashlib.sha256(base64.b64decode(key_base64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(digit, 16)) for digit in digest)


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("browser", sorted(DEFAULT_FOLDERS))
def test_install_writes_manifest(home, browser):
    result = run_installer(home, "--browser", browser, "--python", sys.executable)
    assert result.returncode == 0, result.stderr

    manifest_path = home / DEFAULT_FOLDERS[browser] / f"{HOST_NAME}.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["name"] == HOST_NAME
    assert manifest["type"] == "stdio"
    assert manifest["path"] == str(launcher_of(home))
    if browser in FIREFOX_FAMILY:
        assert manifest["allowed_extensions"] == list(GECKO_EXTENSION_IDS)
        assert "allowed_origins" not in manifest
    else:
        assert manifest["allowed_origins"] == [f"chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}/"]
        assert "allowed_extensions" not in manifest
    assert stat.S_IMODE(manifest_path.stat().st_mode) == 0o644


def test_install_launcher_shebang(home):
    vault = home / "vaults" / "main.qvault"
    result = run_installer(home, "--browser", "chromium", "--python", sys.executable, "--vault", str(vault))
    assert result.returncode == 0, result.stderr

    launcher = launcher_of(home)
    text = launcher.read_text()
    assert text.splitlines()[0] == f"#!{os.path.abspath(sys.executable)} -I"
    assert f"vault_path={str(vault)!r}" in text
    assert f"chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}/" in text
    assert GECKO_EXTENSION_IDS[0] in text
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755


def test_install_launcher_runs(home):
    assert run_installer(home, "--browser", "chromium", "--python", sys.executable).returncode == 0

    version = subprocess.run([str(launcher_of(home)), "--version"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=30)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("qvault-host ")


def test_install_user_data_dir(home, tmp_path):
    profile = tmp_path / "profile"
    result = run_installer(home, "--browser", "chromium", "--python", sys.executable, "--user-data-dir", str(profile))
    assert result.returncode == 0, result.stderr

    assert (profile / "NativeMessagingHosts" / f"{HOST_NAME}.json").is_file()
    assert not (home / DEFAULT_FOLDERS["chromium"]).exists()


def test_install_xdg_config_home(home, tmp_path):
    config = tmp_path / "config"
    result = run_installer(home, "--browser", "chrome", "--python", sys.executable,
                           extra_environment={"XDG_CONFIG_HOME": str(config)})
    assert result.returncode == 0, result.stderr
    assert (config / "google-chrome/NativeMessagingHosts" / f"{HOST_NAME}.json").is_file()


def test_install_idempotent(home):
    for unused_run in range(2):
        result = run_installer(home, "--browser", "chromium", "firefox", "--python", sys.executable)
        assert result.returncode == 0, result.stderr

    record = json.loads((home / ".local/share/qvault/install-record.json").read_text())
    assert sorted(entry["browser"] for entry in record["manifests"]) == ["chromium", "firefox"]


def test_uninstall_leaves_nothing(home):
    result = run_installer(home, "--all", "--python", sys.executable)
    assert result.returncode == 0, result.stderr
    assert len(list(home.rglob(f"{HOST_NAME}.json"))) == len(DEFAULT_FOLDERS)

    result = run_installer(home, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert files_under(home) == []


def test_uninstall_one_browser(home):
    assert run_installer(home, "--browser", "chromium", "firefox", "--python", sys.executable).returncode == 0

    result = run_installer(home, "--uninstall", "--browser", "firefox")
    assert result.returncode == 0, result.stderr
    assert not (home / DEFAULT_FOLDERS["firefox"] / f"{HOST_NAME}.json").exists()
    assert (home / DEFAULT_FOLDERS["chromium"] / f"{HOST_NAME}.json").is_file()
    assert launcher_of(home).is_file()

    assert run_installer(home, "--uninstall").returncode == 0
    assert files_under(home) == []


def test_uninstall_keeps_foreign_files(home):
    assert run_installer(home, "--browser", "chromium", "--python", sys.executable).returncode == 0
    vault = home / ".local/share/qvault/vault.qvault"
    vault.write_bytes(b"not ours")

    assert run_installer(home, "--uninstall").returncode == 0
    assert files_under(home) == [".local", ".local/share", ".local/share/qvault", ".local/share/qvault/vault.qvault"]


def test_uninstall_without_record(home):
    result = run_installer(home, "--uninstall")
    assert result.returncode == 0
    assert "nothing to uninstall" in result.stdout


def test_dry_run_writes_nothing(home):
    result = run_installer(home, "--all", "--python", sys.executable, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would write launcher" in result.stdout
    assert files_under(home) == []


def test_dry_run_venv(home):
    result = run_installer(home, "--browser", "chromium", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"would create virtual environment {home}/.local/share/qvault/venv" in result.stdout
    assert "would install Qvault" in result.stdout
    assert files_under(home) == []


def test_extension_id_matches_key():
    manifest = json.loads((REPOSITORY / "extension" / "manifest.json").read_text())
    assert extension_id_from_key(manifest["key"]) == CHROMIUM_EXTENSION_IDS[0]
    assert manifest["browser_specific_settings"]["gecko"]["id"] == GECKO_EXTENSION_IDS[0]


def test_fail_missing_python(home, tmp_path):
    result = run_installer(home, "--browser", "chromium", "--python", str(tmp_path / "no-such-python"))
    assert result.returncode == 1
    assert "is not an executable file" in result.stderr
    assert files_under(home) == []


def test_fail_python_without_qvault(home, tmp_path):
    # An interpreter that cannot import the host: a script that only fails.
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named qvault' >&2\nexit 1\n")
    fake.chmod(0o755)

    result = run_installer(home, "--browser", "chromium", "--python", str(fake))
    assert result.returncode == 1
    assert "cannot import qvault.native.main" in result.stderr
    assert files_under(home) == []


def test_fail_python_path_with_space(home, tmp_path):
    folder = tmp_path / "with space"
    folder.mkdir()
    link = folder / "python"
    link.symlink_to(sys.executable)

    result = run_installer(home, "--browser", "chromium", "--python", str(link))
    assert result.returncode == 1
    assert "white space" in result.stderr


def test_fail_python_path_too_long(home, tmp_path):
    folder = tmp_path
    while len(str(folder)) < 300:
        folder = folder / ("d" * 60)
    folder.mkdir(parents=True)
    link = folder / "python"
    link.symlink_to(sys.executable)

    result = run_installer(home, "--browser", "chromium", "--python", str(link))
    assert result.returncode == 1
    assert "longer than a #! line allows" in result.stderr


def test_fail_user_data_dir_firefox(home, tmp_path):
    result = run_installer(home, "--browser", "firefox", "--python", sys.executable, "--user-data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "only with Chromium-family browsers" in result.stderr


def test_fail_no_browser(home):
    result = run_installer(home, "--python", sys.executable)
    assert result.returncode == 2
    assert "name at least one --browser" in result.stderr


def test_fail_unknown_browser(home):
    result = run_installer(home, "--browser", "netscape", "--python", sys.executable)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
