"""An optional progress bar for long imports, drawn with rich on a terminal's stderr.

Without rich, below PROGRESS_MIN_ITEMS, or when the stream is not a terminal (a
pipe, a log file, a test), the bar is a no-op, so output stays clean for scripts.
"""

import contextlib
import logging
from typing import Iterator, TextIO

log = logging.getLogger(__name__)

# Smaller imports finish in about a second, where a bar would only flicker.
PROGRESS_MIN_ITEMS = 300


class _NoBar:
    def advance(self, steps: int = 1) -> None:
        pass


class _RichBar:
    def __init__(self, progress, task):
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1) -> None:
        self._progress.advance(self._task, steps)


def _is_terminal(stream: TextIO | None) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def progress_bar(stream: TextIO | None, total: int, description: str) -> Iterator[_NoBar | _RichBar]:
    """Yield an object whose advance() moves a bar of total steps, or does nothing."""
    if total < PROGRESS_MIN_ITEMS or not _is_terminal(stream):
        yield _NoBar()
        return
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        log.debug("rich is not installed; importing without a progress bar")
        yield _NoBar()
        return
    with Progress(console=Console(file=stream), transient=True) as progress:
        yield _RichBar(progress, progress.add_task(description, total=total))
