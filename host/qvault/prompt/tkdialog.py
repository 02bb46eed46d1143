"""A minimal Tk password dialog, run in a child process.

Used when no graphical pinentry is installed. It runs in its own process so the
host never imports Tk, and so a hung window can be killed without the host.
The child writes the password to its stdout pipe, which only the host reads.
"""

import json
import subprocess
import sys

from qvault.errors import PromptCancelled, PromptError

_EXIT_CANCELLED = 3


class TkPrompt:
    def __init__(self, timeout_seconds: int = 300):
        self.timeout_seconds = timeout_seconds

    def __repr__(self) -> str:
        return "TkPrompt()"

    def ask(self, *, title: str, description: str, prompt: str, error: str | None = None) -> str:
        request = json.dumps({"title": title, "description": description, "prompt": prompt, "error": error})
        try:
            result = subprocess.run(
                [sys.executable, "-I", "-m", "qvault.prompt.tkdialog"],
                input=request.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout_seconds,
            )
        except subprocess.TimeoutExpired:
            raise PromptCancelled("the unlock prompt timed out") from None
        if result.returncode == _EXIT_CANCELLED:
            raise PromptCancelled("the unlock prompt was cancelled")
        if result.returncode != 0:
            raise PromptError(f"the Tk password dialog failed (exit status {result.returncode})")
        return result.stdout.decode("utf-8")


def _run_dialog() -> int:
    import tkinter
    from tkinter import ttk

    request = json.loads(sys.stdin.read())
    root = tkinter.Tk()
    root.title(request["title"])
    frame = ttk.Frame(root, padding=12)
    frame.grid()
    ttk.Label(frame, text=request["description"], wraplength=360).grid(column=0, row=0, columnspan=2, sticky="w")
    if request.get("error"):
        ttk.Label(frame, text=request["error"], foreground="#b00020").grid(column=0, row=1, columnspan=2, sticky="w")
    ttk.Label(frame, text=request["prompt"]).grid(column=0, row=2, sticky="w")
    entry = ttk.Entry(frame, show="•", width=32)
    entry.grid(column=1, row=2)
    entry.focus_set()
    outcome = {"password": None}

    def accept(_event=None):
        outcome["password"] = entry.get()
        root.destroy()

    ttk.Button(frame, text="OK", command=accept).grid(column=1, row=3, sticky="e")
    ttk.Button(frame, text="Cancel", command=root.destroy).grid(column=0, row=3, sticky="w")
    root.bind("<Return>", accept)
    root.bind("<Escape>", lambda _event: root.destroy())
    root.mainloop()
    if outcome["password"] is None:
        return _EXIT_CANCELLED
    sys.stdout.write(outcome["password"])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_run_dialog())
    except Exception as failure:  # The parent reports only the exit status.
        print(f"qvault tk dialog: {type(failure).__name__}", file=sys.stderr)
        sys.exit(1)
