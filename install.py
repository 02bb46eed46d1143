#!/usr/bin/env python3
"""Install or remove the Qvault native-messaging host for your browsers (Linux, per user).

What an install writes, and what --uninstall removes again:

- a virtual environment with Qvault installed (skipped with --python),
- a launcher script, `qvault-host-launcher`, in Qvault's data folder. Its first line
  names the interpreter by absolute path, so no PATH lookup happens when a browser
  starts the host,
- one host manifest per browser, from the templates in manifest/, which allows only
  Qvault's own extension ids to start the host,
- `install-record.json` beside the launcher, listing every file and folder written.

Uses only the standard library, so it runs before anything is installed.
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
EXTENSION_IDS_MODULE = REPOSITORY / "host" / "qvault" / "extension_ids.py"

LAUNCHER_NAME = "qvault-host-launcher"
RECORD_NAME = "install-record.json"
RECORD_FORMAT = 1
HOST_MODULE = "qvault.native.main"

# Linux reads this many bytes of a "#!" line: 255 since kernel 5.1, 127 before it.
SHEBANG_MAX_BYTES_OLD_KERNEL = 127
SHEBANG_MAX_BYTES = 255

# Browser name -> (manifest family, per-user manifest folder). "config" folders sit
# under $XDG_CONFIG_HOME (default ~/.config), "home" folders under $HOME.
BROWSERS = {
    "chromium": ("chromium", "config", "chromium/NativeMessagingHosts"),
    "chrome": ("chromium", "config", "google-chrome/NativeMessagingHosts"),
    "brave": ("chromium", "config", "BraveSoftware/Brave-Browser/NativeMessagingHosts"),
    "edge": ("chromium", "config", "microsoft-edge/NativeMessagingHosts"),
    "vivaldi": ("chromium", "config", "vivaldi/NativeMessagingHosts"),
    "firefox": ("firefox", "home", ".mozilla/native-messaging-hosts"),
    "librewolf": ("firefox", "home", ".librewolf/native-messaging-hosts"),
}


class InstallError(Exception):
    """An install step failed; the message names the step, the path and the next action."""


def load_extension_ids():
    """Load host/qvault/extension_ids.py by path: the one source of the extension ids."""
    spec = importlib.util.spec_from_file_location("qvault_extension_ids", EXTENSION_IDS_MODULE)
    if spec is None or not EXTENSION_IDS_MODULE.is_file():
        raise InstallError(f"missing {EXTENSION_IDS_MODULE}; run install.py from a complete Qvault checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def home() -> pathlib.Path:
    return pathlib.Path(os.path.expanduser("~"))


def xdg_folder(variable: str, default: str) -> pathlib.Path:
    value = os.environ.get(variable, "")
    # The XDG Base Directory specification requires ignoring relative paths.
    if value and os.path.isabs(value):
        return pathlib.Path(value)
    return home() / default


def data_folder() -> pathlib.Path:
    """Qvault's per-user data folder, the same one platformdirs gives the host on Linux."""
    return xdg_folder("XDG_DATA_HOME", ".local/share") / "qvault"


def manifest_folder(browser: str, user_data_dir: pathlib.Path | None) -> pathlib.Path:
    family, base, relative = BROWSERS[browser]
    if user_data_dir is not None:
        return user_data_dir / "NativeMessagingHosts"
    if base == "config":
        return xdg_folder("XDG_CONFIG_HOME", ".config") / relative
    return home() / relative


def shebang_max_bytes() -> int:
    release = platform.release().split(".")
    try:
        version = (int(release[0]), int(release[1].split("-")[0]))
    except (IndexError, ValueError):
        return SHEBANG_MAX_BYTES_OLD_KERNEL
    return SHEBANG_MAX_BYTES if version >= (5, 1) else SHEBANG_MAX_BYTES_OLD_KERNEL


def absolute(path: str) -> pathlib.Path:
    # abspath, not resolve: a venv's python is a symlink, and resolving it would
    # name the base interpreter, which has no Qvault installed.
    return pathlib.Path(os.path.abspath(os.path.expanduser(path)))


class Installer:
    """Carry out (or, with dry_run, only print) the steps of one install or uninstall."""

    def __init__(self, dry_run: bool, out=sys.stdout):
        self.dry_run = dry_run
        self.out = out
        self.data = data_folder()
        self.record_path = self.data / RECORD_NAME
        self.launcher_path = self.data / LAUNCHER_NAME

    def say(self, text: str) -> None:
        prefix = "would " if self.dry_run else ""
        print(f"install.py: {prefix}{text}", file=self.out)

    # The install record.

    def read_record(self) -> dict:
        empty = {"format": RECORD_FORMAT, "launcher": None, "venv": None, "manifests": [], "created_dirs": []}
        try:
            text = self.record_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return empty
        try:
            record = json.loads(text)
        except json.JSONDecodeError as failure:
            raise InstallError(f"install record {self.record_path} is not valid JSON ({failure}); fix or delete it") from None
        if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
            raise InstallError(f"install record {self.record_path} has an unknown format; delete it and remove the files by hand")
        for key, value in empty.items():
            record.setdefault(key, value)
        return record

    def write_record(self, record: dict) -> None:
        if self.dry_run:
            return
        self.write_file(self.record_path, json.dumps(record, indent=2) + "\n", 0o600)

    # Files and folders.

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
                path.mkdir(mode=0o700)
            if str(path) not in record["created_dirs"]:
                record["created_dirs"].append(str(path))

    def write_file(self, path: pathlib.Path, text: str, mode: int) -> None:
        """Replace path atomically, so a browser never starts a half-written file."""
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            with_suppressed_unlink(temporary)
            raise

    # The interpreter.

    def check_interpreter(self, python: pathlib.Path) -> None:
        if any(character.isspace() for character in str(python)):
            raise InstallError(f"interpreter path {str(python)!r} contains white space, which a #! line cannot hold; use a venv path without spaces (--venv)")
        limit = shebang_max_bytes()
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

    def ensure_venv(self, venv: pathlib.Path, record: dict) -> pathlib.Path:
        """Create the venv when missing and (re)install this checkout into it."""
        python = venv / "bin" / "python"
        if not python.exists():
            self.say(f"create virtual environment {venv}")
            if not self.dry_run:
                self.run([sys.executable, "-m", "venv", str(venv)], "create the virtual environment")
            record["venv"] = str(venv)
        self.say(f"install Qvault from {REPOSITORY} into {venv}")
        if not self.dry_run:
            self.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", str(REPOSITORY)], "pip install Qvault")
        return python

    @staticmethod
    def run(command: list[str], step: str) -> None:
        try:
            subprocess.run(command, stdin=subprocess.DEVNULL, check=True)
        except (OSError, subprocess.CalledProcessError) as failure:
            raise InstallError(f"failed to {step} ({failure}); see the output above") from None

    # Launcher and manifests.

    def launcher_text(self, python: pathlib.Path, allowed_callers: list[str], vault: pathlib.Path | None) -> str:
        vault_argument = repr(str(vault)) if vault is not None else "None"
        return (
            f"#!{python} -I\n"
            "# Qvault's native-messaging host, started by the browser. Written by install.py;\n"
            "# run install.py again rather than editing this file.\n"
            "import sys\n"
            "\n"
            f"from {HOST_MODULE} import main\n"
            "\n"
            f"sys.exit(main(allowed_callers={allowed_callers!r}, vault_path={vault_argument}))\n"
        )

    def manifest_text(self, browser: str, extension_ids) -> str:
        family = BROWSERS[browser][0]
        template_path = TEMPLATES / f"{family}.json"
        try:
            manifest = json.loads(template_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as failure:
            raise InstallError(f"failed to read manifest template {template_path} ({failure}); restore it from the repository") from None

        manifest["name"] = extension_ids.HOST_NAME
        manifest["path"] = str(self.launcher_path)
        if family == "chromium":
            # Chromium compares these strings exactly, trailing slash included.
            manifest["allowed_origins"] = [f"chrome-extension://{extension_id}/" for extension_id in extension_ids.CHROMIUM_EXTENSION_IDS]
        else:
            manifest["allowed_extensions"] = list(extension_ids.GECKO_EXTENSION_IDS)
        return json.dumps(manifest, indent=2) + "\n"

    def install(self, browsers, python_arg, venv_arg, vault_arg, user_data_dir) -> None:
        extension_ids = load_extension_ids()
        record = self.read_record()

        if python_arg is not None:
            # Checked before anything is written, so a wrong path leaves no trace.
            python = absolute(python_arg)
            self.check_interpreter(python)
            self.make_dirs(self.data, record)
        else:
            self.make_dirs(self.data, record)
            python = self.ensure_venv(absolute(venv_arg) if venv_arg else self.data / "venv", record)
            # Recorded now, so --uninstall finds the venv even if a later step fails.
            self.write_record(record)
            if not self.dry_run:
                self.check_interpreter(python)

        vault = absolute(vault_arg) if vault_arg else None
        allowed_callers = [f"chrome-extension://{extension_id}/" for extension_id in extension_ids.CHROMIUM_EXTENSION_IDS]
        allowed_callers += list(extension_ids.GECKO_EXTENSION_IDS)
        self.say(f"write launcher {self.launcher_path} (interpreter {python})")
        if not self.dry_run:
            self.write_file(self.launcher_path, self.launcher_text(python, allowed_callers, vault), 0o755)
        record["launcher"] = str(self.launcher_path)

        for browser in browsers:
            folder = manifest_folder(browser, user_data_dir)
            path = folder / f"{extension_ids.HOST_NAME}.json"
            self.make_dirs(folder, record)
            self.say(f"write {browser} host manifest {path}")
            if not self.dry_run:
                self.write_file(path, self.manifest_text(browser, extension_ids), 0o644)
            entry = {"browser": browser, "path": str(path)}
            if entry not in record["manifests"]:
                record["manifests"].append(entry)

        self.write_record(record)

    def uninstall(self, browsers) -> None:
        extension_ids = load_extension_ids()
        if not self.record_path.exists():
            print(f"install.py: nothing to uninstall: no install record at {self.record_path}", file=self.out)
            return
        record = self.read_record()

        removing = [entry for entry in record["manifests"] if browsers is None or entry["browser"] in browsers]
        for entry in removing:
            self.remove_manifest(pathlib.Path(entry["path"]), extension_ids.HOST_NAME)
        record["manifests"] = [entry for entry in record["manifests"] if entry not in removing]
        if record["manifests"]:
            self.remove_empty_dirs(record, keep=self.data)
            self.write_record(record)
            return

        # No browser uses the host any more: remove the launcher, the venv and the record.
        if record["launcher"]:
            self.remove_file(pathlib.Path(record["launcher"]))
        if record["venv"]:
            venv = pathlib.Path(record["venv"])
            if (venv / "pyvenv.cfg").is_file():
                self.say(f"remove virtual environment {venv}")
                if not self.dry_run:
                    shutil.rmtree(venv)
        self.remove_file(self.record_path)
        self.remove_empty_dirs(record, keep=None)

    def remove_manifest(self, path: pathlib.Path, host_name: str) -> None:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, json.JSONDecodeError):
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("name") != host_name:
            print(f"install.py: warning: kept {path}: it is not a Qvault host manifest any more", file=sys.stderr)
            return
        self.remove_file(path)

    def remove_file(self, path: pathlib.Path) -> None:
        if not path.exists():
            return
        self.say(f"remove {path}")
        if not self.dry_run:
            path.unlink()

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


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="install.py",
        description="Install the Qvault native-messaging host for your browsers (Linux, current user).",
    )
    parser.add_argument("--browser", nargs="+", action="extend", choices=sorted(BROWSERS), metavar="NAME",
                        help=f"browser to set up; one or more of: {', '.join(sorted(BROWSERS))}")
    parser.add_argument("--all", action="store_true", help="set up (or remove) every browser listed above")
    parser.add_argument("--uninstall", action="store_true", help="remove what an earlier install wrote")
    parser.add_argument("--dry-run", action="store_true", help="print each step without changing any file")
    parser.add_argument("--venv", metavar="PATH", help="virtual environment to create or reuse (default: DATA/venv, DATA being ~/.local/share/qvault)")
    parser.add_argument("--python", metavar="PATH", help="use this interpreter, which already has Qvault installed, instead of a venv")
    parser.add_argument("--vault", metavar="PATH", help="vault file the host opens (default: the host's own default)")
    parser.add_argument("--user-data-dir", metavar="DIR",
                        help="write the manifest into DIR/NativeMessagingHosts, for a Chromium-family browser started with --user-data-dir=DIR")
    arguments = parser.parse_args(argv)

    if arguments.all and arguments.browser:
        parser.error("give either --all or --browser, not both")
    if not arguments.uninstall and not (arguments.all or arguments.browser):
        parser.error("name at least one --browser, or --all")
    if arguments.python and arguments.venv:
        parser.error("--python and --venv exclude each other: --python skips the venv")
    if arguments.user_data_dir:
        if arguments.all or any(BROWSERS[name][0] != "chromium" for name in arguments.browser or []):
            parser.error("--user-data-dir works only with Chromium-family browsers (chromium, chrome, brave, edge, vivaldi)")
    return arguments


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    if not sys.platform.startswith("linux"):
        # TODO: write the macOS folders (~/Library/Application Support/...) and the Windows registry keys.
        print(f"install.py: error: only Linux is supported for now, not {sys.platform}", file=sys.stderr)
        return 1

    browsers = sorted(BROWSERS) if arguments.all else arguments.browser
    installer = Installer(dry_run=arguments.dry_run)
    try:
        if arguments.uninstall:
            installer.uninstall(None if browsers is None else set(browsers))
        else:
            user_data_dir = absolute(arguments.user_data_dir) if arguments.user_data_dir else None
            installer.install(browsers, arguments.python, arguments.venv, arguments.vault, user_data_dir)
    except InstallError as failure:
        print(f"install.py: error: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
