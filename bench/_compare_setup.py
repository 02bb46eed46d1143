"""Find the tools bench/compare.py measures and build the same data set in each.

Everything lives under one temporary folder: HOME, GNUPGHOME, the pass stores,
the KeePassXC databases and the Qvault vaults. Nothing touches the user's own
configuration, and nothing is installed here.
"""

import dataclasses
import os
import pathlib
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import uuid
from base64 import b64encode
from xml.sax.saxutils import escape

from _measure import BenchError, run_process

BROWSERPASS_PACKAGE = "webext-browserpass"
BROWSERPASS_BINARY = "browserpass-native"
# keepassxc-cli 2.7.4 rejects a target decryption time outside 100-5000 ms.
KEEPASSXC_DECRYPTION_MS_MIN = 100
KEEPASSXC_DECRYPTION_MS_MAX = 5000
# gpg 2.2.40 (Debian 12) makes RSA 3072 keys by default, so the benchmark key is one.
GPG_KEY_PARAMETERS = """\
%no-protection
Key-Type: rsa
Key-Length: 3072
Key-Usage: sign
Subkey-Type: rsa
Subkey-Length: 3072
Subkey-Usage: encrypt
Name-Real: Qvault Benchmark
Name-Email: {email}
Expire-Date: 0
%commit
"""
GPG_KEY_EMAIL = "bench@qvault.invalid"


@dataclasses.dataclass
class Tools:
    """Paths of the programs found on this machine; None where a tool is missing."""

    pass_program: str | None
    gpg: str | None
    gpgconf: str | None
    keepassxc_cli: str | None
    browserpass: str | None
    passff_host: str | None
    qvault_cli: list[str] | None

    def missing(self) -> list[str]:
        """Return a line per missing tool, naming what provides it."""
        lines = []
        if not (self.pass_program and self.gpg):
            lines.append("pass and gpg (Debian packages pass, gnupg): pass show / pass ls skipped")
        if not self.keepassxc_cli:
            lines.append("keepassxc-cli (Debian package keepassxc): KeePassXC skipped")
        if not (self.browserpass and self.gpg):
            lines.append(f"{BROWSERPASS_BINARY} (Debian package {BROWSERPASS_PACKAGE}): browserpass skipped")
        if not self.passff_host:
            lines.append("passff host (give its script with --passff-host PATH): passff skipped")
        elif not self.pass_program:
            lines.append("pass, which passff's host runs: passff skipped")
        return lines


def find_browserpass() -> str | None:
    """Return browserpass-native's path from the Debian package's file list, else from PATH."""
    dpkg = shutil.which("dpkg")
    if dpkg:
        listing = subprocess.run([dpkg, "-L", BROWSERPASS_PACKAGE], capture_output=True, text=True, check=False)
        for line in listing.stdout.splitlines():
            if line.endswith("/" + BROWSERPASS_BINARY) and os.access(line, os.X_OK):
                return line
    return shutil.which(BROWSERPASS_BINARY)


def find_qvault_cli() -> list[str] | None:
    """Return the argv prefix of the qvault CLI if it offers 'get' and 'list', else None."""
    console_script = pathlib.Path(sys.executable).with_name("qvault")
    if not console_script.exists():
        return None
    argv = [str(console_script)]
    for command in ("get", "list"):
        probe = subprocess.run(argv + [command, "--help"], capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            return None
    return argv


def find_tools(passff_host: str | None) -> Tools:
    """Look up every tool; raise BenchError if --passff-host names no executable file."""
    if passff_host is not None and not (os.path.isfile(passff_host) and os.access(passff_host, os.X_OK)):
        raise BenchError(f"--passff-host {passff_host!r} is not an executable file; give the path of passff.py")
    return Tools(
        pass_program=shutil.which("pass"),
        gpg=shutil.which("gpg"),
        gpgconf=shutil.which("gpgconf"),
        keepassxc_cli=shutil.which("keepassxc-cli"),
        browserpass=find_browserpass(),
        passff_host=os.path.abspath(passff_host) if passff_host else None,
        qvault_cli=find_qvault_cli(),
    )


def _first_line(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    except OSError:
        return "unknown"
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def tool_versions(tools: Tools) -> dict[str, str]:
    """Return a version string per tool present, for the record."""
    import qvault

    versions = {"qvault": qvault.__version__, "python": sys.version.split()[0]}
    if tools.pass_program:
        banner = _first_line(["sh", "-c", f"{shlex.quote(tools.pass_program)} version | grep -o 'v[0-9][0-9.]*'"])
        versions["pass"] = banner
    if tools.gpg:
        versions["gnupg"] = _first_line([tools.gpg, "--version"]).replace("gpg (GnuPG) ", "")
    if tools.keepassxc_cli:
        versions["keepassxc-cli"] = _first_line([tools.keepassxc_cli, "--version"])
    if tools.browserpass:
        versions["browserpass-native"] = _first_line([tools.browserpass, "--version"]).split()[-1]
    if tools.passff_host:
        text = pathlib.Path(tools.passff_host).read_text(encoding="utf-8", errors="replace")
        found = re.search(r'^VERSION\s*=\s*"([^"]*)"', text, re.MULTILINE)
        versions["passff-host"] = found.group(1) if found else "unknown"
    return versions


@dataclasses.dataclass
class DataSet:
    """N synthetic logins: entry i is user i on https://site<i>.example/login.

    The passwords are random and exist only for this run; they are compared with
    what each tool returns and never printed.
    """

    count: int
    passwords: list[str]

    @classmethod
    def generate(cls, count: int) -> "DataSet":
        return cls(count, [secrets.token_urlsafe(15) for _ in range(count)])

    @staticmethod
    def title(index: int) -> str:
        return f"site{index}.example"

    @staticmethod
    def username(index: int) -> str:
        return f"user{index}"

    @staticmethod
    def url(index: int) -> str:
        return f"https://site{index}.example/login"

    def pass_name(self, index: int) -> str:
        """Return the pass entry name, in the domain/username layout browserpass expects."""
        return f"{self.title(index)}/{self.username(index)}"


@dataclasses.dataclass
class Workspace:
    """The temporary folders and environment every tool runs with."""

    root: pathlib.Path
    home: pathlib.Path
    gnupghome: pathlib.Path
    master_password: str

    @classmethod
    def create(cls, root: pathlib.Path) -> "Workspace":
        home = root / "home"
        gnupghome = root / "gnupg"
        home.mkdir(mode=0o700)
        gnupghome.mkdir(mode=0o700)
        return cls(root, home, gnupghome, secrets.token_urlsafe(18))

    def env(self, **extra: str) -> dict[str, str]:
        """Return a minimal environment pointing every tool at the temporary folders."""
        environment = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.home),
            "GNUPGHOME": str(self.gnupghome),
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
        }
        environment.update(extra)
        return environment

    def stop_gpg_agent(self, tools: Tools) -> None:
        """Stop the gpg-agent that gpg started for this GNUPGHOME."""
        if tools.gpgconf:
            subprocess.run([tools.gpgconf, "--kill", "gpg-agent"], env=self.env(), capture_output=True, check=False)


def create_gpg_key(workspace: Workspace, tools: Tools) -> None:
    """Generate an RSA 3072 key without passphrase, standing in for a key that gpg-agent already holds."""
    run_process([tools.gpg, "--batch", "--quiet", "--gen-key"], env=workspace.env(),
                input_bytes=GPG_KEY_PARAMETERS.format(email=GPG_KEY_EMAIL).encode(), what="gpg key generation")


def build_pass_store(workspace: Workspace, tools: Tools, data: DataSet, store: pathlib.Path,
                     distinct_files: int | None = None) -> None:
    """Write a pass store with one encrypted file per entry.

    The plaintexts are written next to their final place and encrypted by one
    `gpg --multifile` process per core (one gpg process per file would take
    minutes at 100k entries), then deleted. With distinct_files, only that many
    entries are encrypted and the other files are copies of those ciphertexts.
    That suits a store that is only listed: `pass ls` reads names, never contents.
    """
    store.mkdir(mode=0o700)
    (store / ".gpg-id").write_text(GPG_KEY_EMAIL + "\n", encoding="utf-8")
    encrypted_count = data.count if distinct_files is None else min(distinct_files, data.count)
    plaintexts = []
    for index in range(encrypted_count):
        folder = store / data.title(index)
        folder.mkdir()
        path = folder / data.username(index)
        path.write_text(f"{data.passwords[index]}\nlogin: {data.username(index)}\nurl: {data.url(index)}\n",
                        encoding="utf-8")
        plaintexts.append(str(path))

    try:
        _encrypt_files(workspace, tools, plaintexts)
    except BenchError as error:
        raise BenchError(f"building the pass store {store}: {error}") from None
    finally:
        for path in plaintexts:
            os.unlink(path)

    for index in range(encrypted_count, data.count):
        folder = store / data.title(index)
        folder.mkdir()
        source = store / data.title(index % encrypted_count) / (data.username(index % encrypted_count) + ".gpg")
        shutil.copyfile(source, folder / (data.username(index) + ".gpg"))


def _encrypt_files(workspace: Workspace, tools: Tools, paths: list[str]) -> None:
    """Encrypt each file to PATH.gpg with parallel `gpg --multifile` processes."""
    workers = max(1, min(os.cpu_count() or 1, 8))
    processes = []
    for worker in range(workers):
        chunk = paths[worker::workers]
        if not chunk:
            continue
        # gpg reads the file names from stdin. A file rather than a pipe lets every
        # worker start at once instead of waiting for the previous one to read its list.
        list_path = workspace.root / f"gpg-files-{worker}.txt"
        list_path.write_text("\n".join(chunk) + "\n", encoding="utf-8")
        with open(list_path, "rb") as names:
            processes.append(subprocess.Popen(
                [tools.gpg, "--batch", "--quiet", "--yes", "--trust-model", "always", "--recipient", GPG_KEY_EMAIL,
                 "--multifile", "--encrypt"],
                stdin=names, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=workspace.env(),
            ))
    failures = []
    for process in processes:
        error_output = process.communicate()[1].decode(errors="replace").strip()
        if process.returncode != 0:
            failures.append(error_output.splitlines()[-1] if error_output else f"status {process.returncode}")
    if failures:
        raise BenchError(f"gpg --multifile --encrypt failed: {failures[0]}")


def _keepassxc_entry(index: int, data: DataSet) -> str:
    entry_uuid = b64encode(uuid.uuid4().bytes).decode()
    fields = [
        ("Title", data.title(index), ""),
        ("UserName", data.username(index), ""),
        ("Password", data.passwords[index], ' ProtectInMemory="True"'),
        ("URL", data.url(index), ""),
    ]
    strings = "".join(f"<String><Key>{key}</Key><Value{attributes}>{escape(value)}</Value></String>"
                      for key, value, attributes in fields)
    return f"<Entry><UUID>{entry_uuid}</UUID>{strings}</Entry>\n"


def write_keepass_xml(data: DataSet | None, path: pathlib.Path) -> None:
    """Write a KeePass 2 XML file with every entry in the root group (data None: no entries)."""
    root_uuid = b64encode(uuid.uuid4().bytes).decode()
    with open(path, "w", encoding="utf-8") as stream:
        stream.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<KeePassFile>'
                     "<Meta><Generator>Qvault benchmark</Generator><DatabaseName>bench</DatabaseName></Meta>"
                     f"<Root><Group><UUID>{root_uuid}</UUID><Name>Root</Name>\n")
        for index in range(data.count if data else 0):
            stream.write(_keepassxc_entry(index, data))
        stream.write("</Group></Root></KeePassFile>\n")


class KeepassxcImport:
    """A `keepassxc-cli import` running in the background while other stores are built."""

    def __init__(self, workspace: Workspace, tools: Tools, data: DataSet | None, database: pathlib.Path,
                 decryption_ms: int):
        self.workspace = workspace
        self.tools = tools
        self.database = database
        self.xml_path = database.with_suffix(".xml")
        write_keepass_xml(data, self.xml_path)
        self.process = subprocess.Popen(
            [tools.keepassxc_cli, "import", "-q", "-p", "-t", str(decryption_ms), str(self.xml_path), str(database)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=workspace.env(),
        )
        # The two password lines (under 100 bytes) fit in a pipe buffer (4 KiB or more),
        # so this write returns before keepassxc-cli reads them.
        self.process.stdin.write(f"{workspace.master_password}\n{workspace.master_password}\n".encode())
        self.process.stdin.close()

    def abort(self) -> None:
        """Stop the import, so that it writes nothing after the temporary folder is gone."""
        self.process.kill()
        self.process.wait()
        self.process.stderr.close()

    def finish(self) -> int:
        """Wait for the import; return the new file's AES-KDF rounds or raise BenchError."""
        error_output = self.process.stderr.read().decode(errors="replace").strip()
        self.process.wait()
        self.process.stderr.close()
        self.xml_path.unlink()
        if self.process.returncode != 0:
            last_line = error_output.splitlines()[-1] if error_output else "no error output"
            raise BenchError(f"keepassxc-cli import into {self.database.name} exited with status "
                             f"{self.process.returncode}: {last_line}")
        return keepassxc_kdf_rounds(self.workspace, self.tools, self.database)


def build_keepassxc(workspace: Workspace, tools: Tools, data: DataSet | None, database: pathlib.Path,
                    decryption_ms: int) -> int:
    """Import the data set into a new KDBX file; return its AES-KDF rounds.

    keepassxc-cli 2.7.4 benchmarks AES-KDF rounds for the given target decryption time.
    """
    return KeepassxcImport(workspace, tools, data, database, decryption_ms).finish()


def keepassxc_kdf_rounds(workspace: Workspace, tools: Tools, database: pathlib.Path) -> int:
    """Read the KDF rounds from `keepassxc-cli db-info` (a line such as 'KDF: AES (5555555 rounds)')."""
    output = run_process([tools.keepassxc_cli, "db-info", "-q", str(database)], env=workspace.env(),
                         input_bytes=(workspace.master_password + "\n").encode(), what="keepassxc-cli db-info")
    found = re.search(r"^KDF: .*?\((\d+) rounds", output.decode(errors="replace"), re.MULTILINE)
    if not found:
        raise BenchError(f"keepassxc-cli db-info {database.name}: no 'KDF: ... (N rounds' line in its output")
    return int(found.group(1))


def build_qvault(workspace: Workspace, data: DataSet, path: pathlib.Path) -> list[str]:
    """Create a vault at the KDF floor and insert every entry in one batch; return the entry ids."""
    from qvault.vault import Vault
    from qvault.vault.kdf import FLOOR

    vault, _recovery_code = Vault.create(path, workspace.master_password, params=FLOOR)
    entry_ids = [str(uuid.uuid4()) for _ in range(data.count)]
    try:
        with vault.batch() as batch:
            for index, entry_id in enumerate(entry_ids):
                metadata = {"type": "login", "title": data.title(index), "urls": [data.url(index)],
                            "username": data.username(index)}
                batch.put(entry_id, None, metadata, {"password": data.passwords[index]})
    finally:
        vault.close()
    return entry_ids


def write_pinentry(workspace: Workspace) -> pathlib.Path:
    """Write a minimal Assuan pinentry that replies to GETPIN with $QVAULT_BENCH_PINENTRY_PASSWORD.

    The password comes from the environment, so it is never written to disk.
    """
    script = workspace.root / "pinentry.py"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "def reply(line):\n"
        "    sys.stdout.write(line + '\\n')\n"
        "    sys.stdout.flush()\n"
        "reply('OK benchmark pinentry ready')\n"
        "for line in sys.stdin:\n"
        "    command = line.strip().split(' ', 1)[0].upper()\n"
        "    if command == 'GETPIN':\n"
        "        secret = os.environ['QVAULT_BENCH_PINENTRY_PASSWORD']\n"
        "        reply('D ' + secret.replace('%', '%25').replace('\\r', '%0D').replace('\\n', '%0A'))\n"
        "    reply('OK')\n"
        "    if command == 'BYE':\n"
        "        break\n",
        encoding="utf-8",
    )
    script.chmod(0o700)
    return script
