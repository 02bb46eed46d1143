"""Creating plaintext export files readable only by their owner (mode 0600).

Without force the file is created with O_CREAT | O_EXCL, so an existing file or
symbolic link is never overwritten or followed. With force the data goes to a new
0600 temporary file in the same folder, which then replaces the target by rename,
so the target is either the old file or the complete new one.
"""

import os
import pathlib

from qvault.exporters import ExportError

_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)


def _write_new(path: pathlib.Path, data: bytes) -> None:
    descriptor = os.open(path, _FLAGS, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_private(path: pathlib.Path, data: bytes, *, force: bool = False) -> None:
    """Write data to a new file with mode 0600; replace an existing one only with force."""
    try:
        if not force:
            _write_new(path, data)
            return
        temporary = path.with_name(f".{path.name}.partial-{os.getpid()}")
        temporary.unlink(missing_ok=True)
        _write_new(temporary, data)
        try:
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except FileExistsError:
        raise ExportError(f"{path}: a file already exists; choose another name or pass --force to replace it") from None
    except OSError as error:
        raise ExportError(f"{path}: could not write the export ({error.strerror})") from None
