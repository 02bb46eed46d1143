"""Copying to the desktop clipboard with wl-copy, xclip or xsel, and clearing it later.

The clearing runs in a detached process (its own session, so it outlives the
CLI and ignores the terminal's hangup). It receives only the SHA-256 of the
copied text, and clears the clipboard only if it still contains that text, so a
later copy by the user is not wiped.
"""

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import time

from qvault.errors import QvaultError

CLEAR_AFTER_SECONDS = 45
TOOL_TIMEOUT_SECONDS = 5


class ClipboardError(QvaultError):
    """No clipboard tool is available, or it failed."""


@dataclasses.dataclass(frozen=True)
class Tool:
    name: str
    copy: list[str]
    paste: list[str]
    clear: list[str] | None  # None: clear by copying the empty string


def _tools(environ) -> list[Tool]:
    tools = []
    if environ.get("WAYLAND_DISPLAY"):
        tools.append(Tool("wl-copy", ["wl-copy"], ["wl-paste", "--no-newline"], ["wl-copy", "--clear"]))
    if environ.get("DISPLAY"):
        tools.append(Tool("xclip", ["xclip", "-selection", "clipboard"], ["xclip", "-selection", "clipboard", "-o"], None))
        tools.append(Tool("xsel", ["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"], ["xsel", "--clipboard", "--clear"]))
    return tools


def find_tool(environ=os.environ) -> Tool:
    """Return the first clipboard tool that fits the session and is installed."""
    for tool in _tools(environ):
        if shutil.which(tool.copy[0], path=environ.get("PATH")):
            return tool
    if not environ.get("WAYLAND_DISPLAY") and not environ.get("DISPLAY"):
        raise ClipboardError("no graphical session (neither WAYLAND_DISPLAY nor DISPLAY is set), so there is no clipboard")
    raise ClipboardError("no clipboard tool found; install wl-clipboard (Wayland), xclip or xsel (X11)")


def _run(command: list[str], text: str | None) -> str:
    # The copy tools fork a process that keeps serving the selection; with stdout
    # and stderr on DEVNULL that process does not hold our pipes open.
    capture = text is None
    try:
        result = subprocess.run(
            command,
            input=(text or "").encode("utf-8"),
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ClipboardError(f"{command[0]} failed: {error}") from None
    if result.returncode != 0:
        raise ClipboardError(f"{command[0]} exited with status {result.returncode}")
    return result.stdout.decode("utf-8", "replace") if capture else ""


def copy(text: str, clear_after: int = CLEAR_AFTER_SECONDS, environ=os.environ) -> Tool:
    """Copy text, then start the detached clearer unless clear_after is 0."""
    tool = find_tool(environ)
    _run(tool.copy, text)
    if clear_after > 0:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        subprocess.Popen(
            [sys.executable, "-m", "qvault.cli.clipboard", tool.name, str(clear_after)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=dict(environ),
        ).communicate(digest.encode("ascii"))
    return tool


def clear_if_unchanged(tool_name: str, delay: float, digest: str, environ=os.environ) -> bool:
    """Wait, then clear the clipboard if it still contains the text with this digest."""
    time.sleep(delay)
    tool = next(tool for tool in _tools(environ) if tool.name == tool_name)
    try:
        current = _run(tool.paste, None)
    except ClipboardError:
        return False
    if hashlib.sha256(current.encode("utf-8")).hexdigest() != digest:
        return False
    if tool.clear:
        _run(tool.clear, None)
    else:
        _run(tool.copy, "")
    return True


def _clearer_main() -> None:
    """Entry point of the detached clearer: argv is TOOL SECONDS, stdin the digest."""
    digest = sys.stdin.readline().strip()
    sys.stdin.close()
    if os.fork() > 0:
        # The parent returns at once, so the CLI's communicate() does not wait.
        os._exit(0)
    try:
        clear_if_unchanged(sys.argv[1], float(sys.argv[2]), digest)
    except (ClipboardError, StopIteration):
        pass
    os._exit(0)


if __name__ == "__main__":
    _clearer_main()
