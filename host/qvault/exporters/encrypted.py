"""Encrypted export: a new Qvault vault file holding copies of every live entry.

The copy is protected by its own export password (Argon2id, parameters from the
caller) and keeps each entry's id, type, metadata and secret, so `qvault import
qvault FILE` restores it exactly. The copy's recovery code is discarded, so the
export password is the only way into the file.
"""

import logging
import os
import pathlib
from typing import Callable

from qvault.exporters import ExportError
from qvault.vault import KdfParams, Vault

log = logging.getLogger(__name__)


def write(
    source: Vault,
    path: pathlib.Path,
    password: str,
    params: KdfParams,
    *,
    force: bool = False,
    clock: Callable[[], float] | None = None,
) -> int:
    """Copy every live entry of the unlocked source vault into a new vault at path.

    The copy is built under a temporary name and renamed at the end, so path contains
    either nothing (or the old file, with force) or the complete export. Returns
    the number of entries written.
    """
    if path.exists() and not force:
        raise ExportError(f"{path}: a file already exists; choose another name or pass --force to replace it")
    temporary = path.with_name(f".{path.name}.export-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    entries = source.entries()
    options = {"clock": clock} if clock else {}
    try:
        copy, recovery_code = Vault.create(temporary, password, params=params, **options)
        del recovery_code
        with copy:
            with copy.batch() as batch:
                for entry in entries:
                    batch.put(entry.id, None, entry.metadata, source.get_secret(entry.id))
        os.replace(temporary, path)
    except OSError as error:
        raise ExportError(f"{path}: could not write the export ({error.strerror})") from None
    finally:
        temporary.unlink(missing_ok=True)
    log.info("exported %d entries to %s", len(entries), path)
    return len(entries)
