"""Prompting and output for the CLI, with the streams and clock injected.

With --password-stdin every prompt (master password first, then entry secrets
and confirmations, in the order the command requests them) reads one line of stdin, so
scripts and tests can drive any command. Otherwise secrets are read with getpass
from the terminal, and a missing terminal is an error rather than a hang.
"""

import dataclasses
import getpass
import json
import sys
import time
from typing import Callable, TextIO

from qvault.errors import PromptCancelled, PromptError


@dataclasses.dataclass
class Console:
    """The streams, clock and prompt mode one command runs with."""

    stdin: TextIO = sys.stdin
    stdout: TextIO = sys.stdout
    stderr: TextIO = sys.stderr
    clock: Callable[[], float] = time.time
    password_stdin: bool = False

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def info(self, text: str) -> None:
        """Print a status line on stderr, so stdout stays clean for scripts."""
        print(text, file=self.stderr)

    def json(self, document) -> None:
        json.dump(document, self.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        self.stdout.write("\n")

    def _read_line(self, what: str) -> str:
        line = self.stdin.readline()
        if not line:
            raise PromptCancelled(f"no input for {what}: standard input ended")
        return line.rstrip("\r\n")

    def _interactive(self) -> bool:
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    def secret(self, prompt: str, what: str) -> str:
        """Read a secret: one stdin line with --password-stdin, else getpass without echo."""
        if self.password_stdin:
            return self._read_line(what)
        if not self._interactive():
            raise PromptError(f"cannot prompt for {what}: standard input is not a terminal; pass --password-stdin")
        try:
            return getpass.getpass(prompt, stream=self.stderr)
        except EOFError:
            raise PromptCancelled(f"no input for {what}") from None

    def new_secret(self, prompt: str, what: str) -> str:
        """Read a new secret; on a terminal ask twice and compare."""
        value = self.secret(prompt, what)
        if not self.password_stdin:
            again = self.secret("Repeat: ", what)
            if again != value:
                raise PromptError(f"{what} and its repetition differ; nothing was changed")
        return value

    def line(self, prompt: str, what: str) -> str:
        """Read one visible line (confirmations): from stdin, echoing the prompt on stderr."""
        self.stderr.write(prompt)
        self.stderr.flush()
        answer = self._read_line(what)
        if not self._interactive():
            # Piped input is not echoed, so end the prompt line here.
            self.stderr.write("\n")
        return answer

    def confirm(self, prompt: str) -> bool:
        return self.line(f"{prompt} [y/N] ", "the confirmation").strip().lower() in ("y", "yes")
