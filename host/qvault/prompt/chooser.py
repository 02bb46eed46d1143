"""Choose how the host prompts for the master password on this desktop."""

import importlib.util
import os
import shutil
import sys
from typing import Protocol

from qvault.errors import PromptError
from qvault.prompt.pinentry import PinentryPrompt, pinentry_usable_without_display
from qvault.prompt.tkdialog import TkPrompt

# Graphical pinentries first: the host runs without a terminal.
PINENTRY_NAMES = ("pinentry-gnome3", "pinentry-qt", "pinentry-gtk-2", "pinentry-mac", "pinentry")


class PasswordPrompt(Protocol):
    def ask(self, *, title: str, description: str, prompt: str, error: str | None = None) -> str: ...


def find_prompt(configured: str | None = None) -> PasswordPrompt:
    """Return the prompt to use, or raise PromptError saying how to get one.

    An explicitly configured program (argument or QVAULT_PINENTRY) is used as is,
    so a user can pick any Assuan-speaking program, including a terminal one they
    know works in their set-up.
    """
    configured = configured or os.environ.get("QVAULT_PINENTRY")
    if configured:
        program = shutil.which(configured) or configured
        if not os.access(program, os.X_OK):
            raise PromptError(f"QVAULT_PINENTRY {configured!r} is not an executable program; fix the path")
        return PinentryPrompt(program)

    for name in PINENTRY_NAMES:
        program = shutil.which(name)
        if program is None:
            continue
        # Debian's "pinentry" is an alternatives link that may point at the curses one.
        if pinentry_usable_without_display(os.path.realpath(program)):
            return PinentryPrompt(program)

    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")
    if has_display and importlib.util.find_spec("tkinter") is not None:
        return TkPrompt()

    raise PromptError(
        "no way to ask for the master password: no graphical pinentry was found and there is no display; "
        "install pinentry-gnome3 or pinentry-qt, or set QVAULT_PINENTRY to a pinentry program"
    )
