#!/usr/bin/env python3
"""Install or remove the Qvault native-messaging host for your browsers.

Runs on Linux, macOS and Windows, for the current user or (with --system) for every
account on the computer. What an install writes, and what --uninstall removes again:

- a virtual environment with Qvault installed (skipped with --python),
- a launcher in Qvault's install folder. On Linux and macOS it is a script whose
  first line names the interpreter by absolute path, so no PATH lookup happens when
  a browser starts the host. On Windows it is a .bat file that runs the absolute
  interpreter path on a small Python script beside it,
- the host manifest for each browser, from the templates in manifest/, which allows
  only Qvault's own extension ids to start the host. On Linux and macOS it goes into
  the folder the browser reads. On Windows it goes into the install folder, and a
  registry key (HKCU, or HKLM with --system) names it in its default value,
- `install-record.json` in the install folder, listing every file, folder and
  registry key written, so --uninstall removes exactly those.

The browser locations live in host/qvault/browser_locations.py, shared with
`qvault doctor`. Uses only the standard library, so it runs before anything is installed.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile

REPOSITORY = pathlib.Path(__file__).resolve().parent
TEMPLATES = REPOSITORY / "manifest"
PACKAGE = REPOSITORY / "host" / "qvault"

LAUNCHER_NAME = "qvault-host-launcher"
WINDOWS_LAUNCHER_NAME = "qvault-host.bat"
WINDOWS_LAUNCHER_SCRIPT = "qvault-host-launcher.py"
RECORD_NAME = "install-record.json"
RECORD_FORMAT = 1
HOST_MODULE = "qvault.native.main"

# Linux reads this many bytes of a "#!" line: 255 since kernel 5.1, 127 before it.
SHEBANG_MAX_BYTES_OLD_KERNEL = 127
SHEBANG_MAX_BYTES = 255
# NOTE: macOS's own "#!" limit was not checked here; Linux's 255 bytes is used as a bound.
SHEBANG_MAX_BYTES_DARWIN = SHEBANG_MAX_BYTES
# cmd.exe expands %NAME% and ends a quoted path at '"', even inside a .bat's quotes.
WINDOWS_PATH_FORBIDDEN = '%"'

FOLDER_MODES = {"user": 0o700, "system": 0o755}


class InstallError(Exception):
    """An install step failed; the message names the step, the path and the next action."""


def load_module(file_name: str):
    """Load a stdlib-only module of the qvault package by path, before Qvault is installed."""
    path = PACKAGE / file_name
    spec = importlib.util.spec_from_file_location(f"qvault_install_{path.stem}", path)
    if spec is None or not path.is_file():
        raise InstallError(f"missing {path}; run install.py from a complete Qvault checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


locations = load_module("browser_locations.py")
windows_registry = load_module("windows_registry.py")
BROWSERS = sorted(locations.BROWSERS)


def absolute(path: str) -> pathlib.Path:
    # abspath, not resolve: a venv's python is a symlink, and resolving it would
    # name the base interpreter, which has no Qvault installed.
    return pathlib.Path(os.path.abspath(os.path.expanduser(path)))


def shebang_max_bytes(target_platform: str) -> int:
    if target_platform == "darwin":
        return SHEBANG_MAX_BYTES_DARWIN
    release = platform.release().split(".")
    try:
        version = (int(release[0]), int(release[1].split("-")[0]))
    except (IndexError, ValueError):
        return SHEBANG_MAX_BYTES_OLD_KERNEL
    return SHEBANG_MAX_BYTES if version >= (5, 1) else SHEBANG_MAX_BYTES_OLD_KERNEL


class Layout:
    """The platform, scope (user or system) and folders of one install."""

    def __init__(self, target_platform: str, scope: str, root: pathlib.Path | None = None, environ=os.environ):
        self.platform = target_platform
        self.scope = scope
        self.root = root
        self.environ = environ
        self.home = pathlib.Path(os.path.expanduser("~"))
        self.data = locations.install_folder(target_platform, scope, home=self.home, environ=environ, root=root)
        self.record_path = self.data / RECORD_NAME

    @property
    def windows(self) -> bool:
        return self.platform == "win32"

    @property
    def launcher_path(self) -> pathlib.Path:
        return self.data / (WINDOWS_LAUNCHER_NAME if self.windows else LAUNCHER_NAME)

    def venv_python(self, venv: pathlib.Path) -> pathlib.Path:
        return venv / "Scripts" / "python.exe" if self.windows else venv / "bin" / "python"

    def manifest_paths(self, browser: str, host_name: str, user_data_dir: pathlib.Path | None) -> list[pathlib.Path]:
        file_name = f"{host_name}.json"
        if user_data_dir is not None:
            return [user_data_dir / "NativeMessagingHosts" / file_name]
        if self.windows:
            # One file per family: browsers sharing a registry key then share a file too.
            return [self.data / "manifests" / locations.family(browser) / file_name]
        folders = locations.manifest_folders(browser, self.platform, self.scope, home=self.home, environ=self.environ, root=self.root)
        return [folder / file_name for folder in folders]


class Installer:
    """Carry out (or, with dry_run, only print) the steps of one install or uninstall."""

    def __init__(self, layout: Layout, dry_run: bool, registry=None, out=sys.stdout, err=sys.stderr):
        self.layout = layout
        self.dry_run = dry_run
        self.registry = registry
        self.out = out
        self.err = err
        self.hive = locations.REGISTRY_HIVES[layout.scope]

    def say(self, text: str) -> None:
        prefix = "would " if self.dry_run else ""
        print(f"install.py: {prefix}{text}", file=self.out)

    def warn(self, text: str) -> None:
        print(f"install.py: warning: {text}", file=self.err)

    # The install record.

    def read_record(self) -> dict:
        empty = {"format": RECORD_FORMAT, "platform": self.layout.platform, "scope": self.layout.scope, "launcher": None,
                 "files": [], "venv": None, "manifests": [], "registry": [], "created_keys": [], "created_dirs": []}
        path = self.layout.record_path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return empty
        try:
            record = json.loads(text)
        except json.JSONDecodeError as failure:
            raise InstallError(f"install record {path} is not valid JSON ({failure}); fix or delete it") from None
        if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
            raise InstallError(f"install record {path} has an unknown format; delete it and remove the files by hand")
        for key, value in empty.items():
            record.setdefault(key, value)
        return record

    def write_record(self, record: dict) -> None:
        if self.dry_run:
            return
        self.write_file(self.layout.record_path, json.dumps(record, indent=2) + "\n", 0o600)

    # Files and folders.

    def failure_hint(self) -> str:
        if self.layout.scope == "system":
            return "; --system writes folders every account reads, so run it as an administrator (sudo on Linux and macOS)"
        return "; check the folder's owner and permissions"

    def make_dirs(self, folder: pathlib.Path, record: dict) -> None:
        """Create folder and its missing parents, recording each one created."""
        missing = []
        current = folder
        while not current.exists():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            self.say(f"create folder {path}")
            if not self.dry_run:
                try:
                    path.mkdir(mode=FOLDER_MODES[self.layout.scope])
                except OSError as failure:
                    raise InstallError(f"failed to create folder {path} ({failure.strerror}){self.failure_hint()}") from None
            if str(path) not in record["created_dirs"]:
                record["created_dirs"].append(str(path))

    def write_file(self, path: pathlib.Path, text: str, mode: int, newline: str = "\n") -> None:
        """Replace path atomically, so a browser never starts a half-written file."""
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        except OSError as failure:
            raise InstallError(f"failed to write {path} ({failure.strerror}){self.failure_hint()}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
                stream.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            with_suppressed_unlink(temporary)
            raise

    # The interpreter.

    def check_interpreter(self, python: pathlib.Path) -> None:
        if self.layout.windows:
            if any(character in str(python) for character in WINDOWS_PATH_FORBIDDEN):
                raise InstallError(f"interpreter path {str(python)!r} contains % or \", which a .bat launcher cannot hold; use another --venv path")
        else:
            if any(character.isspace() for character in str(python)):
                raise InstallError(f"interpreter path {str(python)!r} contains white space, which a #! line cannot hold; use a venv path without spaces (--venv)")
            limit = shebang_max_bytes(self.layout.platform)
            if len(f"#!{python} -I".encode()) > limit:
                raise InstallError(f"interpreter path {python} is longer than a #! line allows ({limit} bytes); use a shorter --venv path")
        if not python.is_file() or not os.access(python, os.X_OK):
            raise InstallError(f"--python {python} is not an executable file; give the path of a Python interpreter")

        check = subprocess.run(
            [str(python), "-I", "-c", f"import {HOST_MODULE}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            last_line = (check.stderr.strip().splitlines() or ["no error output"])[-1]
            raise InstallError(
                f"{python} cannot import {HOST_MODULE} ({last_line}); install Qvault into that interpreter "
                f"(pip install {REPOSITORY}) or leave out --python"
            )

    def ensure_venv(self, venv: pathlib.Path, record: dict, extras: tuple[str, ...] = ()) -> pathlib.Path:
        """Create the venv when missing and (re)install this checkout into it.

        extras names optional dependency groups of pyproject.toml, such as "server".
        """
        python = self.layout.venv_python(venv)
        if not python.exists():
            self.say(f"create virtual environment {venv}")
            if not self.dry_run:
                self.run([sys.executable, "-m", "venv", str(venv)], "create the virtual environment")
            record["venv"] = str(venv)
        requirement = f"{REPOSITORY}[{','.join(extras)}]" if extras else str(REPOSITORY)
        self.say(f"install Qvault from {requirement} into {venv}")
        if not self.dry_run:
            self.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", requirement], "pip install Qvault")
        return python

    @staticmethod
    def run(command: list[str], step: str) -> None:
        try:
            subprocess.run(command, stdin=subprocess.DEVNULL, check=True)
        except (OSError, subprocess.CalledProcessError) as failure:
            raise InstallError(f"failed to {step} ({failure}); see the output above") from None

    # Launcher and manifests.

    @staticmethod
    def launcher_body(allowed_callers: list[str], vault: pathlib.Path | None) -> str:
        vault_argument = repr(str(vault)) if vault is not None else "None"
        return (
            "# Qvault's native-messaging host, started by the browser. Written by install.py;\n"
            "# run install.py again rather than editing this file.\n"
            "import sys\n"
            "\n"
            f"from {HOST_MODULE} import main\n"
            "\n"
            f"sys.exit(main(allowed_callers={allowed_callers!r}, vault_path={vault_argument}))\n"
        )

    def write_launcher(self, python: pathlib.Path, allowed_callers: list[str], vault: pathlib.Path | None, record: dict) -> None:
        launcher = self.layout.launcher_path
        self.say(f"write launcher {launcher} (interpreter {python})")
        body = self.launcher_body(allowed_callers, vault)
        if self.layout.windows:
            script = self.layout.data / WINDOWS_LAUNCHER_SCRIPT
            batch = (
                "@echo off\n"
                "rem Qvault's native-messaging host, started by the browser. Written by install.py.\n"
                f'"{python}" -I "{script}" %*\n'
            )
            if not self.dry_run:
                self.write_file(script, body, 0o644)
                self.write_file(launcher, batch, 0o755, newline="\r\n")
            if str(script) not in record["files"]:
                record["files"].append(str(script))
        elif not self.dry_run:
            self.write_file(launcher, f"#!{python} -I\n{body}", 0o755)
        record["launcher"] = str(launcher)

    def manifest_text(self, browser: str, extension_ids) -> str:
        family = locations.family(browser)
        template_path = TEMPLATES / f"{family}.json"
        try:
            manifest = json.loads(template_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as failure:
            raise InstallError(f"failed to read manifest template {template_path} ({failure}); restore it from the repository") from None

        manifest["name"] = extension_ids.HOST_NAME
        manifest["path"] = str(self.layout.launcher_path)
        if family == locations.CHROMIUM_FAMILY:
            # Chromium compares these strings exactly, trailing slash included.
            manifest["allowed_origins"] = [f"chrome-extension://{extension_id}/" for extension_id in extension_ids.CHROMIUM_EXTENSION_IDS]
        else:
            manifest["allowed_extensions"] = list(extension_ids.GECKO_EXTENSION_IDS)
        return json.dumps(manifest, indent=2) + "\n"

    def register_key(self, browser: str, key: str, manifest_path: pathlib.Path, record: dict) -> None:
        """Point one registry key at the manifest, recording parent keys it creates."""
        parts = key.split("\\")
        for depth in range(1, len(parts)):
            parent = "\\".join(parts[:depth])
            if not self.registry.exists(self.hive, parent) and parent not in record["created_keys"]:
                record["created_keys"].append(parent)
        self.say(f"set registry key {self.hive}\\{key} to {manifest_path}")
        if not self.dry_run:
            try:
                self.registry.set_default(self.hive, key, str(manifest_path))
            except windows_registry.RegistryError as failure:
                raise InstallError(f"{failure}{self.failure_hint()}") from None
        entry = {"browser": browser, "hive": self.hive, "key": key, "value": str(manifest_path)}
        if entry not in record["registry"]:
            record["registry"].append(entry)

    def install(self, browsers, python_arg, venv_arg, vault_arg, user_data_dir, extras: tuple[str, ...] = ()) -> None:
        extension_ids = load_module("extension_ids.py")
        record = self.read_record()
        if self.layout.windows and any(character in str(self.layout.data) for character in WINDOWS_PATH_FORBIDDEN):
            raise InstallError(f"install folder {self.layout.data} contains % or \", which a .bat launcher cannot hold; install from an account whose folder names avoid them")

        if python_arg is not None:
            # Checked before anything is written, so a wrong path leaves no trace.
            python = absolute(python_arg)
            self.check_interpreter(python)
            self.make_dirs(self.layout.data, record)
        else:
            self.make_dirs(self.layout.data, record)
            python = self.ensure_venv(absolute(venv_arg) if venv_arg else self.layout.data / "venv", record, extras)
            # Recorded now, so --uninstall finds the venv even if a later step fails.
            self.write_record(record)
            if not self.dry_run:
                self.check_interpreter(python)

        vault = absolute(vault_arg) if vault_arg else None
        allowed_callers = [f"chrome-extension://{extension_id}/" for extension_id in extension_ids.CHROMIUM_EXTENSION_IDS]
        allowed_callers += list(extension_ids.GECKO_EXTENSION_IDS)
        self.write_launcher(python, allowed_callers, vault, record)

        for browser in browsers:
            for path in self.layout.manifest_paths(browser, extension_ids.HOST_NAME, user_data_dir):
                self.make_dirs(path.parent, record)
                self.say(f"write {browser} host manifest {path}")
                if not self.dry_run:
                    self.write_file(path, self.manifest_text(browser, extension_ids), 0o644)
                entry = {"browser": browser, "path": str(path)}
                if entry not in record["manifests"]:
                    record["manifests"].append(entry)
                if self.layout.windows and user_data_dir is None:
                    for key in locations.registry_keys(browser, extension_ids.HOST_NAME):
                        self.register_key(browser, key, path, record)
            # Saved after each browser, so a failure later still leaves a complete record.
            self.write_record(record)

        if self.layout.platform == "linux" and user_data_dir is None:
            self.report_sandboxes(browsers)

    def report_sandboxes(self, browsers) -> None:
        """Warn about Flatpak and Snap installs, whose sandbox may keep the host from starting."""
        for browser in browsers:
            for kind, evidence in locations.sandboxed_installs(browser, home=self.layout.home, root=self.layout.root):
                self.warn(locations.sandbox_advice(browser, kind, evidence))

    def uninstall(self, browsers) -> None:
        extension_ids = load_module("extension_ids.py")
        if not self.layout.record_path.exists():
            print(f"install.py: nothing to uninstall: no install record at {self.layout.record_path}", file=self.out)
            return
        record = self.read_record()

        removing = [entry for entry in record["manifests"] if browsers is None or entry["browser"] in browsers]
        keeping = [entry for entry in record["manifests"] if entry not in removing]
        # A path shared with a browser that stays (Brave and Chrome on Windows) stays too.
        kept_paths = {entry["path"] for entry in keeping}
        for path in sorted({entry["path"] for entry in removing} - kept_paths):
            self.remove_manifest(pathlib.Path(path), extension_ids.HOST_NAME)
        record["manifests"] = keeping

        self.remove_registry_entries(record, browsers)
        if record["manifests"]:
            self.remove_empty_dirs(record, keep=self.layout.data)
            self.write_record(record)
            return

        # No browser uses the host any more: remove the launcher, the venv and the record.
        for path in [record["launcher"], *record["files"]]:
            if path:
                self.remove_file(pathlib.Path(path))
        if record["venv"]:
            venv = pathlib.Path(record["venv"])
            if (venv / "pyvenv.cfg").is_file():
                self.say(f"remove virtual environment {venv}")
                if not self.dry_run:
                    shutil.rmtree(venv)
        self.remove_file(self.layout.record_path)
        self.remove_empty_dirs(record, keep=None)

    def remove_registry_entries(self, record: dict, browsers) -> None:
        entries = record["registry"]
        if not entries:
            return
        if self.registry is None:
            raise InstallError("the install record lists Windows registry keys; run --uninstall on Windows")
        removing = [entry for entry in entries if browsers is None or entry["browser"] in browsers]
        keeping = [entry for entry in entries if entry not in removing]
        kept_keys = {(entry["hive"], entry["key"].lower()) for entry in keeping}

        done = set()
        for entry in removing:
            identity = (entry["hive"], entry["key"].lower())
            if identity in kept_keys or identity in done:
                continue
            done.add(identity)
            name = f"{entry['hive']}\\{entry['key']}"
            current = self.registry.get_default(entry["hive"], entry["key"])
            if current is None and not self.registry.exists(entry["hive"], entry["key"]):
                continue
            if current != entry["value"]:
                self.warn(f"kept registry key {name}: it points at {current!r} now, not at Qvault's manifest")
                continue
            self.say(f"remove registry key {name}")
            if not self.dry_run:
                self.registry.delete_key(entry["hive"], entry["key"])
        record["registry"] = keeping

        # Parent keys this script created go once nothing is left under them, deepest first.
        remaining = []
        for key in sorted(record["created_keys"], key=len, reverse=True):
            if self.dry_run or not self.registry.exists(self.hive, key) or not self.registry.is_empty(self.hive, key):
                remaining.append(key)
                continue
            self.say(f"remove empty registry key {self.hive}\\{key}")
            self.registry.delete_key(self.hive, key)
        record["created_keys"] = sorted(remaining)

    def remove_manifest(self, path: pathlib.Path, host_name: str) -> None:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, json.JSONDecodeError):
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("name") != host_name:
            self.warn(f"kept {path}: it is not a Qvault host manifest any more")
            return
        self.remove_file(path)

    def remove_file(self, path: pathlib.Path) -> None:
        if not path.exists():
            return
        self.say(f"remove {path}")
        if not self.dry_run:
            try:
                path.unlink()
            except OSError as failure:
                raise InstallError(f"failed to remove {path} ({failure.strerror}){self.failure_hint()}") from None

    def remove_empty_dirs(self, record: dict, keep: pathlib.Path | None) -> None:
        """Remove the folders this script created, deepest first, while they are empty."""
        remaining = []
        for folder in sorted(record["created_dirs"], key=len, reverse=True):
            path = pathlib.Path(folder)
            if path == keep or not path.is_dir() or any(path.iterdir()):
                remaining.append(folder)
                continue
            self.say(f"remove empty folder {path}")
            if not self.dry_run:
                path.rmdir()
        record["created_dirs"] = sorted(remaining)


def with_suppressed_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def current_platform() -> str | None:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform in ("darwin", "win32"):
        return sys.platform
    return None


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="install.py",
        description="Install the Qvault native-messaging host for your browsers (Linux, macOS, Windows).",
    )
    parser.add_argument("--browser", nargs="+", action="extend", choices=BROWSERS, metavar="NAME",
                        help=f"browser to set up; one or more of: {', '.join(BROWSERS)}")
    parser.add_argument("--all", action="store_true", help="set up (or remove) every browser listed above")
    parser.add_argument("--system", action="store_true",
                        help="install for every account: system manifest folders, or HKLM on Windows (needs administrator rights)")
    parser.add_argument("--uninstall", action="store_true", help="remove what an earlier install wrote (with --system: the system install)")
    parser.add_argument("--dry-run", action="store_true", help="print each step without changing any file or registry key")
    parser.add_argument("--venv", metavar="PATH", help="virtual environment to create or reuse (default: the venv folder in Qvault's install folder)")
    parser.add_argument("--python", metavar="PATH", help="use this interpreter, which already has Qvault installed, instead of a venv")
    parser.add_argument("--with-server", action="store_true",
                        help="also install the sync server's packages into the venv, for 'qvault serve'")
    parser.add_argument("--vault", metavar="PATH", help="vault file the host opens (default: the host's own default)")
    parser.add_argument("--user-data-dir", metavar="DIR",
                        help="write the manifest into DIR/NativeMessagingHosts, for a Chromium-family browser started with --user-data-dir=DIR")
    # For tests: lay files out as on another platform, and put system folders under a prefix.
    parser.add_argument("--platform", choices=locations.PLATFORMS, help=argparse.SUPPRESS)
    parser.add_argument("--root", metavar="DIR", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)

    if arguments.all and arguments.browser:
        parser.error("give either --all or --browser, not both")
    if not arguments.uninstall and not (arguments.all or arguments.browser):
        parser.error("name at least one --browser, or --all")
    if arguments.python and arguments.venv:
        parser.error("--python and --venv exclude each other: --python skips the venv")
    if arguments.user_data_dir:
        if arguments.system:
            parser.error("--user-data-dir and --system exclude each other: a profile folder belongs to one account")
        if arguments.all or any(locations.family(name) != locations.CHROMIUM_FAMILY for name in arguments.browser or []):
            parser.error("--user-data-dir works only with Chromium-family browsers (chromium, chrome, brave, edge, vivaldi)")
    return arguments


def main(argv=None, *, registry=None, out=None, err=None) -> int:
    """Run install.py; registry replaces the Windows registry (tests pass a MemoryRegistry)."""
    out = out or sys.stdout
    err = err or sys.stderr
    arguments = parse_arguments(argv)
    target_platform = arguments.platform or current_platform()
    if target_platform is None:
        print(f"install.py: error: unsupported platform {sys.platform}; Qvault supports Linux, macOS and Windows", file=err)
        return 1

    if target_platform == "win32" and registry is None:
        if sys.platform == "win32":
            registry = windows_registry.WindowsRegistry()
        else:
            registry = windows_registry.MemoryRegistry()
            print("install.py: note: not on Windows, so registry keys are only kept in memory", file=out)

    scope = "system" if arguments.system else "user"
    root = absolute(arguments.root) if arguments.root else None
    installer = Installer(Layout(target_platform, scope, root), dry_run=arguments.dry_run, registry=registry, out=out, err=err)
    browsers = BROWSERS if arguments.all else arguments.browser
    try:
        if arguments.uninstall:
            installer.uninstall(None if browsers is None else set(browsers))
        else:
            user_data_dir = absolute(arguments.user_data_dir) if arguments.user_data_dir else None
            extras = ("server",) if arguments.with_server else ()
            installer.install(browsers, arguments.python, arguments.venv, arguments.vault, user_data_dir, extras)
    except InstallError as failure:
        print(f"install.py: error: {failure}", file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
