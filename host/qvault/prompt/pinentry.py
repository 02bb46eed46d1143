"""A client for pinentry programs, which speak the Assuan protocol on stdin/stdout.

The exchange (GnuPG's pinentry documentation, "Assuan protocol" chapter): the
program greets with `OK`; the reply to each command line is data lines `D ...`,
status or comment lines, and finally `OK` or `ERR <code> <text>`. Arguments and
data lines percent-encode `%`, CR and LF.
"""

import logging
import os
import subprocess
import threading
import urllib.parse

from qvault.errors import PromptCancelled, PromptError

log = logging.getLogger(__name__)

# libgpg-error codes with GPG_ERR_SOURCE_PINENTRY (5) in the high byte.
_GPG_ERR_CANCELED = 99
_GPG_ERR_TIMEOUT = 62
_GPG_ERR_CODE_MASK = 0xFFFF
_MAX_LINE_BYTES = 1000 + 2  # Assuan's line limit, with CR LF


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class PinentryPrompt:
    """Ask for a password through one run of a pinentry program per call."""

    def __init__(self, program: str, timeout_seconds: int = 300):
        self.program = program
        self.timeout_seconds = timeout_seconds

    def __repr__(self) -> str:
        return f"PinentryPrompt({self.program!r})"

    def ask(self, *, title: str, description: str, prompt: str, error: str | None = None) -> str:
        """Return the password typed, or raise PromptCancelled / PromptError."""
        try:
            process = subprocess.Popen(
                [self.program],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError as failure:
            raise PromptError(f"could not start pinentry {self.program!r}: {failure.strerror}") from None

        # A pinentry that hangs must not block the host forever.
        timer = threading.Timer(self.timeout_seconds + 5, process.kill)
        timer.start()
        try:
            self._expect_ok(process, "greeting")
            self._command(process, f"SETTIMEOUT {self.timeout_seconds}")
            self._command(process, f"SETTITLE {_escape(title)}")
            self._command(process, f"SETDESC {_escape(description)}")
            self._command(process, f"SETPROMPT {_escape(prompt)}")
            if error:
                self._command(process, f"SETERROR {_escape(error)}")
            data = self._command(process, "GETPIN")
            self._send(process, "BYE")
            return data
        finally:
            timer.cancel()
            for stream in (process.stdin, process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _send(self, process: subprocess.Popen, line: str) -> None:
        try:
            process.stdin.write(line.encode("utf-8") + b"\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise PromptError(f"pinentry {self.program!r} exited unexpectedly") from None

    def _command(self, process: subprocess.Popen, line: str) -> str:
        self._send(process, line)
        verb = line.split(" ", 1)[0]
        return self._expect_ok(process, verb)

    def _expect_ok(self, process: subprocess.Popen, step: str) -> str:
        """Read lines until OK or ERR; return the decoded data lines."""
        data: list[str] = []
        while True:
            raw = process.stdout.readline(_MAX_LINE_BYTES)
            if not raw:
                raise PromptError(f"pinentry {self.program!r} exited during {step}")
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line == "OK" or line.startswith("OK "):
                return "".join(data)
            if line.startswith("D "):
                data.append(urllib.parse.unquote(line[2:], errors="strict"))
            elif line.startswith("ERR"):
                parts = line.split(" ", 2)
                code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
                text = parts[2] if len(parts) > 2 else ""
                if code & _GPG_ERR_CODE_MASK == _GPG_ERR_CANCELED:
                    raise PromptCancelled("the unlock prompt was cancelled")
                if code & _GPG_ERR_CODE_MASK == _GPG_ERR_TIMEOUT:
                    raise PromptCancelled("the unlock prompt timed out")
                raise PromptError(f"pinentry {self.program!r} failed during {step}: {text or code}")
            elif line.startswith(("S ", "#", "INQUIRE")):
                if line.startswith("INQUIRE"):
                    self._send(process, "END")
            else:
                log.debug("pinentry sent an unknown line type during %s", step)


def needs_terminal(program: str) -> bool:
    """Return whether a pinentry (after resolving links) draws on a terminal.

    The host started by a browser has no terminal, because the browser owns its
    stdio, so such a pinentry fails there ("Inappropriate ioctl for device").
    """
    return os.path.basename(os.path.realpath(program)) in ("pinentry-curses", "pinentry-tty")


def pinentry_usable_without_display(program: str) -> bool:
    """Return whether a pinentry can run here: graphical ones need a display."""
    if needs_terminal(program):
        return False
    name = os.path.basename(program)
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or name == "pinentry-mac"
