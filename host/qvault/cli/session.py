"""Opening the vault for a command: path, master password, secret key, queries."""

import os
import pathlib

import platformdirs

from qvault.cli.io import Console
from qvault.errors import AmbiguousQuery, EntryNotFound, PromptError, VaultError
from qvault.vault import Entry, Vault, keyslots

VAULT_ENV = "QVAULT_VAULT"
VAULT_FILE_NAME = "vault.qvault"
# An id prefix must be at least this long to select an entry, so short words
# ('cafe', 'face') are searched as titles rather than read as ids.
ID_PREFIX_MIN = 6


def vault_path(option: str | None, environ=os.environ) -> pathlib.Path:
    """Return --vault, else $QVAULT_VAULT, else the per-user data folder's vault.qvault."""
    if option:
        return pathlib.Path(option).expanduser()
    if environ.get(VAULT_ENV):
        return pathlib.Path(environ[VAULT_ENV]).expanduser()
    return pathlib.Path(platformdirs.user_data_dir("qvault", appauthor=False)) / VAULT_FILE_NAME


def read_secret_key(path: str | None) -> bytes | None:
    """Read a secret key file written by `qvault init --secret-key-file`."""
    if not path:
        return None
    try:
        text = pathlib.Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as error:
        raise VaultError(f"cannot read the secret key file {path}: {error.strerror}") from None
    return keyslots.decode_code(text, keyslots.SECRET_KEY_BYTES, f"secret key in {path}")


def write_secret_key(path: str, secret_key: bytes) -> pathlib.Path:
    """Write a new secret key file with mode 0600; never overwrite an existing file."""
    target = pathlib.Path(path).expanduser()
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VaultError(f"{target}: a file already exists; the secret key file must be new") from None
    except OSError as error:
        raise VaultError(f"cannot create the secret key file {target}: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(keyslots.encode_code(secret_key) + "\n")
    return target


def open_vault(console: Console, args) -> Vault:
    return Vault.open(vault_path(args.vault), clock=console.clock)


def read_master_password(console: Console) -> str:
    password = console.secret("Master password: ", "the master password")
    if not password:
        raise PromptError("the master password is empty")
    return password


def unlock(vault: Vault, password: str, args) -> None:
    vault.unlock(password, read_secret_key(args.secret_key_file))


def open_unlocked(console: Console, args) -> Vault:
    """Open the vault, read the master password and unlock."""
    vault = open_vault(console, args)
    try:
        unlock(vault, read_master_password(console), args)
    except BaseException:
        vault.close()
        raise
    return vault


def _haystack(entry: Entry) -> list[str]:
    metadata = entry.metadata
    values = [entry.title, metadata.get("username", ""), metadata.get("host", ""), metadata.get("coin", "")]
    values += metadata.get("urls", []) + metadata.get("tags", []) + metadata.get("addresses", [])
    return [value.casefold() for value in values if isinstance(value, str)]


def search(entries: list[Entry], query: str) -> list[Entry]:
    """Return entries whose title, username, URLs, tags, host, coin or addresses contain query."""
    needle = query.casefold()
    return [entry for entry in entries if any(needle in value for value in _haystack(entry))]


def find_entry(vault: Vault, query: str) -> Entry:
    """Resolve a query to one entry: full id, id prefix, exact title, then substring.

    Raises EntryNotFound, or AmbiguousQuery with the candidates' ids.
    """
    entries = sorted(vault.entries(), key=lambda entry: (entry.title.casefold(), entry.id))
    lowered = query.strip().lower()
    by_id = [entry for entry in entries if entry.id == lowered]
    if not by_id and len(lowered) >= ID_PREFIX_MIN:
        by_id = [entry for entry in entries if entry.id.startswith(lowered)]
    title = query.strip().casefold()
    # Each step runs only when the ones before it found nothing: the substring
    # search is the costly one, and scripts usually pass an id or an exact title.
    steps = (
        lambda: by_id,
        lambda: [entry for entry in entries if entry.title.casefold() == title],
        lambda: search(entries, query.strip()),
    )
    for step in steps:
        matches = step()
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise AmbiguousQuery(
                f"{len(matches)} entries match {query!r}; pass one of these ids instead",
                [f"{entry.id}  {entry.type:<8}  {entry.title}" for entry in matches],
            )
    raise EntryNotFound(f"no entry matches {query!r}; see 'qvault list' or 'qvault search'")
