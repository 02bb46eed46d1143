"""install.py, run as a user would, into a temporary HOME."""

import base64
import hashlib
import importlib.util
import io
import json
import os
import pathlib
import stat
import subprocess
import sys

import pytest

from qvault.extension_ids import CHROMIUM_EXTENSION_IDS, GECKO_EXTENSION_IDS, HOST_NAME
from qvault.windows_registry import MemoryRegistry

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


def test_dry_run_with_server(home):
    result = run_installer(home, "--browser", "chromium", "--dry-run", "--with-server")
    assert result.returncode == 0, result.stderr
    assert f"would install Qvault from {REPOSITORY}[server]" in result.stdout
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


# Other layouts: system folders (under a temporary root), macOS and Windows.

SYSTEM_FOLDERS_LINUX = {
    "chromium": "etc/chromium/native-messaging-hosts",
    "chrome": "etc/opt/chrome/native-messaging-hosts",
    "brave": "etc/opt/chrome/native-messaging-hosts",
    "edge": "etc/opt/edge/native-messaging-hosts",
    "vivaldi": "etc/opt/vivaldi/native-messaging-hosts",
    "firefox": "usr/lib/mozilla/native-messaging-hosts",
    "librewolf": "usr/lib/librewolf/native-messaging-hosts",
}
USER_FOLDERS_MACOS = {
    "chromium": "Library/Application Support/Chromium/NativeMessagingHosts",
    "chrome": "Library/Application Support/Google/Chrome/NativeMessagingHosts",
    "brave": "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "edge": "Library/Application Support/Microsoft Edge/NativeMessagingHosts",
    "vivaldi": "Library/Application Support/Vivaldi/NativeMessagingHosts",
    "firefox": "Library/Application Support/Mozilla/NativeMessagingHosts",
    "librewolf": "Library/Application Support/LibreWolf/NativeMessagingHosts",
}
SYSTEM_FOLDERS_MACOS = {
    "chromium": "Library/Application Support/Chromium/NativeMessagingHosts",
    "chrome": "Library/Google/Chrome/NativeMessagingHosts",
    "brave": "Library/Google/Chrome/NativeMessagingHosts",
    "edge": "Library/Microsoft/Edge/NativeMessagingHosts",
    "vivaldi": "Library/Application Support/Vivaldi/NativeMessagingHosts",
    "firefox": "Library/Application Support/Mozilla/NativeMessagingHosts",
    "librewolf": "Library/Application Support/LibreWolf/NativeMessagingHosts",
}
REGISTRY_KEYS = {
    "chromium": [r"Software\Chromium\NativeMessagingHosts"],
    "chrome": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "brave": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "edge": [r"Software\Microsoft\Edge\NativeMessagingHosts"],
    "vivaldi": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "firefox": [r"Software\Mozilla\NativeMessagingHosts"],
    "librewolf": [r"Software\LibreWolf\NativeMessagingHosts", r"Software\Mozilla\NativeMessagingHosts"],
}


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


def check_manifest(path: pathlib.Path, browser: str, launcher: pathlib.Path) -> None:
    manifest = json.loads(path.read_text())
    assert manifest["name"] == HOST_NAME
    assert manifest["path"] == str(launcher)
    if browser in FIREFOX_FAMILY:
        assert manifest["allowed_extensions"] == list(GECKO_EXTENSION_IDS)
    else:
        assert manifest["allowed_origins"] == [f"chrome-extension://{extension_id}/" for extension_id in CHROMIUM_EXTENSION_IDS]


@pytest.mark.parametrize("browser", sorted(SYSTEM_FOLDERS_LINUX))
def test_system_linux_manifest(home, root, browser):
    result = run_installer(home, "--browser", browser, "--system", "--python", sys.executable, "--root", str(root), "--platform", "linux")
    assert result.returncode == 0, result.stderr

    launcher = root / "usr/local/lib/qvault/qvault-host-launcher"
    check_manifest(root / SYSTEM_FOLDERS_LINUX[browser] / f"{HOST_NAME}.json", browser, launcher)
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755
    assert stat.S_IMODE((root / SYSTEM_FOLDERS_LINUX[browser]).stat().st_mode) == 0o755
    assert files_under(home) == []


def test_system_linux_lib64(home, root):
    (root / "usr/lib64").mkdir(parents=True)
    result = run_installer(home, "--browser", "firefox", "--system", "--python", sys.executable, "--root", str(root), "--platform", "linux")
    assert result.returncode == 0, result.stderr

    assert (root / "usr/lib/mozilla/native-messaging-hosts" / f"{HOST_NAME}.json").is_file()
    assert (root / "usr/lib64/mozilla/native-messaging-hosts" / f"{HOST_NAME}.json").is_file()


def test_system_uninstall_leaves_nothing(home, root):
    arguments = ["--system", "--root", str(root), "--platform", "linux"]
    assert run_installer(home, "--all", "--python", sys.executable, *arguments).returncode == 0

    result = run_installer(home, "--uninstall", *arguments)
    assert result.returncode == 0, result.stderr
    assert files_under(root) == []


def test_system_shared_folder_kept(home, root):
    # Chrome and Brave share /etc/opt/chrome: removing Brave keeps Chrome's manifest.
    arguments = ["--system", "--root", str(root), "--platform", "linux"]
    assert run_installer(home, "--browser", "chrome", "brave", "--python", sys.executable, *arguments).returncode == 0

    result = run_installer(home, "--uninstall", "--browser", "brave", *arguments)
    assert result.returncode == 0, result.stderr
    assert (root / SYSTEM_FOLDERS_LINUX["chrome"] / f"{HOST_NAME}.json").is_file()

    assert run_installer(home, "--uninstall", *arguments).returncode == 0
    assert files_under(root) == []


def test_system_dry_run(home, root):
    result = run_installer(home, "--all", "--system", "--python", sys.executable, "--root", str(root), "--platform", "linux", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"would write chrome host manifest {root}/etc/opt/chrome/native-messaging-hosts/{HOST_NAME}.json" in result.stdout
    assert files_under(root) == []


def test_fail_system_unwritable(home, root):
    # A file where a folder must go fails like a missing permission does.
    (root / "etc").write_text("not a folder")
    result = run_installer(home, "--browser", "chromium", "--system", "--python", sys.executable, "--root", str(root), "--platform", "linux")
    assert result.returncode == 1
    assert "failed to create folder" in result.stderr
    assert "run it as an administrator" in result.stderr


def test_fail_system_user_data_dir(home, tmp_path):
    result = run_installer(home, "--browser", "chromium", "--system", "--user-data-dir", str(tmp_path), "--python", sys.executable)
    assert result.returncode == 2
    assert "--user-data-dir and --system exclude each other" in result.stderr


@pytest.mark.parametrize("browser", sorted(USER_FOLDERS_MACOS))
def test_macos_user_manifest(home, browser):
    result = run_installer(home, "--browser", browser, "--python", sys.executable, "--platform", "darwin")
    assert result.returncode == 0, result.stderr

    launcher = home / "Library/Application Support/qvault/qvault-host-launcher"
    check_manifest(home / USER_FOLDERS_MACOS[browser] / f"{HOST_NAME}.json", browser, launcher)
    assert launcher.read_text().startswith(f"#!{os.path.abspath(sys.executable)} -I\n")


@pytest.mark.parametrize("browser", sorted(SYSTEM_FOLDERS_MACOS))
def test_macos_system_manifest(home, root, browser):
    result = run_installer(home, "--browser", browser, "--system", "--python", sys.executable, "--root", str(root), "--platform", "darwin")
    assert result.returncode == 0, result.stderr

    launcher = root / "Library/Application Support/qvault/qvault-host-launcher"
    check_manifest(root / SYSTEM_FOLDERS_MACOS[browser] / f"{HOST_NAME}.json", browser, launcher)


def test_macos_uninstall_leaves_nothing(home):
    assert run_installer(home, "--all", "--python", sys.executable, "--platform", "darwin").returncode == 0
    assert run_installer(home, "--uninstall", "--platform", "darwin").returncode == 0
    assert files_under(home) == []


def test_sandbox_flatpak_warning(home):
    (home / ".var/app/com.brave.Browser").mkdir(parents=True)
    result = run_installer(home, "--browser", "brave", "--python", sys.executable)
    assert result.returncode == 0, result.stderr
    assert "warning: Brave is installed as a Flatpak" in result.stderr
    assert "its sandbox does not let it start programs outside" in result.stderr
    assert "distribution's packages" in result.stderr


def test_sandbox_snap_warning(home, root):
    (root / "snap/bin").mkdir(parents=True)
    (root / "snap/bin/chromium").write_text("")
    result = run_installer(home, "--browser", "chromium", "--python", sys.executable, "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "warning: Chromium is installed as a Snap" in result.stderr


def test_sandbox_firefox_snap_portal(home):
    (home / "snap/firefox").mkdir(parents=True)
    result = run_installer(home, "--browser", "firefox", "--python", sys.executable)
    assert result.returncode == 0, result.stderr
    assert "Firefox is installed as a Snap" in result.stderr
    assert "WebExtensions desktop portal" in result.stderr


def test_sandbox_firefox_flatpak(home):
    (home / ".var/app/org.mozilla.firefox").mkdir(parents=True)
    result = run_installer(home, "--browser", "firefox", "--python", sys.executable)
    assert result.returncode == 0, result.stderr
    assert "Firefox is installed as a Flatpak" in result.stderr
    assert "xdg-native-messaging-proxy" in result.stderr


def test_sandbox_none_silent(home):
    result = run_installer(home, "--all", "--python", sys.executable)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


# Windows, run in this process with an in-memory registry.

def load_installer():
    spec = importlib.util.spec_from_file_location("qvault_install_script", INSTALLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def windows(home, tmp_path, monkeypatch):
    """Run install.py as on Windows; returns a function taking its arguments."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("LOCALAPPDATA", str(home / "AppData/Local"))
    monkeypatch.setenv("PROGRAMDATA", str(tmp_path / "ProgramData"))
    installer = load_installer()
    registry = MemoryRegistry()

    def run(*arguments: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = installer.main([*arguments, "--platform", "win32"], registry=registry, out=out, err=err)
        return status, out.getvalue(), err.getvalue()

    run.registry = registry
    return run


def registry_values(registry: MemoryRegistry) -> dict[str, str]:
    return {f"{hive}\\{entry['name']}": entry["default"] for (hive, _key), entry in registry.keys.items() if entry["default"] is not None}


@pytest.mark.parametrize("browser", sorted(REGISTRY_KEYS))
def test_windows_registry_key(windows, home, browser):
    status, _out, err = windows("--browser", browser, "--python", sys.executable)
    assert status == 0, err

    data = home / "AppData/Local/qvault"
    family = "firefox" if browser in FIREFOX_FAMILY else "chromium"
    manifest_path = data / "manifests" / family / f"{HOST_NAME}.json"
    check_manifest(manifest_path, browser, data / "qvault-host.bat")
    expected = {f"HKCU\\{key}\\{HOST_NAME}": str(manifest_path) for key in REGISTRY_KEYS[browser]}
    assert registry_values(windows.registry) == expected


def test_windows_launcher(windows, home):
    vault = home / "vault.qvault"
    status, _out, err = windows("--browser", "chrome", "--python", sys.executable, "--vault", str(vault))
    assert status == 0, err

    data = home / "AppData/Local/qvault"
    batch = (data / "qvault-host.bat").read_bytes().decode()
    assert batch.startswith("@echo off\r\n")
    assert f'"{os.path.abspath(sys.executable)}" -I "{data / "qvault-host-launcher.py"}" %*\r\n' in batch
    script = (data / "qvault-host-launcher.py").read_text()
    assert f"vault_path={str(vault)!r}" in script
    assert f"chrome-extension://{CHROMIUM_EXTENSION_IDS[0]}/" in script


def test_windows_system_hklm(windows, tmp_path):
    status, _out, err = windows("--browser", "edge", "--system", "--python", sys.executable)
    assert status == 0, err

    manifest_path = tmp_path / "ProgramData/qvault/manifests/chromium" / f"{HOST_NAME}.json"
    assert registry_values(windows.registry) == {f"HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts\\{HOST_NAME}": str(manifest_path)}


def test_windows_idempotent(windows):
    for unused_run in range(2):
        status, _out, err = windows("--browser", "chrome", "firefox", "--python", sys.executable)
        assert status == 0, err
    assert len(registry_values(windows.registry)) == 2


def test_windows_uninstall_leaves_nothing(windows, home):
    windows.registry.set_default("HKCU", r"Software\Other\Setting", "kept")
    status, _out, err = windows("--all", "--python", sys.executable)
    assert status == 0, err

    status, _out, err = windows("--uninstall")
    assert status == 0, err
    assert registry_values(windows.registry) == {"HKCU\\Software\\Other\\Setting": "kept"}
    # Parent keys install.py created are gone; the pre-existing "Software" stays.
    assert sorted(entry["name"] for entry in windows.registry.keys.values()) == ["Software", r"Software\Other", r"Software\Other\Setting"]
    assert files_under(home) == []


def test_windows_shared_key_kept(windows, home):
    status, _out, err = windows("--browser", "chrome", "brave", "--python", sys.executable)
    assert status == 0, err

    status, _out, err = windows("--uninstall", "--browser", "chrome")
    assert status == 0, err
    manifest_path = home / "AppData/Local/qvault/manifests/chromium" / f"{HOST_NAME}.json"
    assert registry_values(windows.registry) == {f"HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts\\{HOST_NAME}": str(manifest_path)}
    assert manifest_path.is_file()


def test_windows_foreign_key_kept(windows):
    status, _out, err = windows("--browser", "chromium", "--python", sys.executable)
    assert status == 0, err
    key = rf"Software\Chromium\NativeMessagingHosts\{HOST_NAME}"
    windows.registry.set_default("HKCU", key, r"C:\Other\host.json")

    status, _out, err = windows("--uninstall")
    assert status == 0
    assert "kept registry key HKCU\\" in err
    assert windows.registry.get_default("HKCU", key) == r"C:\Other\host.json"


def test_windows_dry_run(windows, home):
    status, out, err = windows("--all", "--python", sys.executable, "--dry-run")
    assert status == 0, err
    assert f"would set registry key HKCU\\Software\\Mozilla\\NativeMessagingHosts\\{HOST_NAME}" in out
    assert windows.registry.keys == {}
    assert files_under(home) == []


def test_fail_windows_percent_path(windows, tmp_path):
    folder = tmp_path / "100%"
    folder.mkdir()
    link = folder / "python"
    link.symlink_to(sys.executable)

    status, _out, err = windows("--browser", "chrome", "--python", str(link))
    assert status == 1
    assert "which a .bat launcher cannot hold" in err
