"""Run the real native host as a subprocess and speak frames to it, as a browser does."""

import json
import os
import pathlib
import struct
import subprocess
import sys

from qvault import extension_ids

TOOLS = pathlib.Path(__file__).resolve().parent / "tools"
SCRIPTED_PINENTRY = TOOLS / "scripted_pinentry.py"
CHROMIUM_CALLER = f"chrome-extension://{extension_ids.CHROMIUM_EXTENSION_IDS[0]}/"


class HostProcess:
    """One `python -m qvault.native.main` process with pipes for frames."""

    def __init__(self, tmp_path: pathlib.Path, vault_path: pathlib.Path, *, password: str | None = None,
                 cancel: bool = False, arguments: list[str] | None = None, env: dict | None = None):
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.pinentry_log = tmp_path / "pinentry.log"
        password_file = tmp_path / "pinentry-password"
        password_file.write_text(password or "", encoding="utf-8")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "QVAULT_VAULT": str(vault_path),
            "QVAULT_PINENTRY": str(SCRIPTED_PINENTRY),
            "SCRIPTED_PINENTRY_PASSWORD_FILE": str(password_file),
            "SCRIPTED_PINENTRY_LOG": str(self.pinentry_log),
        }
        if cancel:
            environment["SCRIPTED_PINENTRY_CANCEL"] = "1"
        environment.update(env or {})
        self.stderr_path = tmp_path / "host-stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qvault.native.main", *(arguments if arguments is not None else [CHROMIUM_CALLER])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=environment,
        )
        self._next_id = 0

    def send_raw(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.send_raw(struct.pack("=I", len(body)) + body)

    def read_reply(self) -> dict:
        header = self.process.stdout.read(4)
        assert len(header) == 4, f"host closed stdout; stderr: {self.stderr_text()[-2000:]}"
        (length,) = struct.unpack("=I", header)
        assert length <= 1024 * 1024
        return json.loads(self.process.stdout.read(length).decode("utf-8"))

    def request(self, verb: str, **arguments) -> dict:
        self._next_id += 1
        self.send({"id": self._next_id, "type": verb, **arguments})
        reply = self.read_reply()
        assert reply["id"] == self._next_id
        return reply

    def close(self, timeout: float = 10) -> int:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            status = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._stderr.close()
        return status

    def stderr_text(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def log_file_text(self) -> str:
        logs = list(self.home.rglob("host.log*"))
        return "".join(path.read_text(encoding="utf-8", errors="replace") for path in logs)


def error_name(reply: dict) -> str | None:
    return None if reply.get("ok") else reply["error"]["name"]
