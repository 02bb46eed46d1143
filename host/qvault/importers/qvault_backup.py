"""Qvault encrypted exports (`qvault export --encrypted`): a vault file of its own.

The file is opened with the export password it was written with. Every live entry
becomes a record with its original entry id, so `qvault import --replace` can
overwrite the same entries in the target vault.
"""

import pathlib

from qvault.entries import merged_fields
from qvault.errors import VaultError, WrongPassword
from qvault.importers.records import ImportRecord, ParsedSource, ReadOptions, SourceError, WrongSourcePassword
from qvault.vault import Vault

SQLITE_MAGIC = b"SQLite format 3\x00"


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    if options.ask_password is None:
        raise SourceError(f"{path}: an encrypted export needs its password, and no prompt is available")
    try:
        backup = Vault.open(path)
    except VaultError as error:
        raise SourceError(f"{path}: not a Qvault export ({error})") from None
    parsed = ParsedSource("qvault")
    with backup:
        try:
            backup.unlock(options.ask_password("Export password: ", "the export password"))
        except WrongPassword:
            # The export's slot raises the vault's 'wrong master password', which would
            # send the user to reset a master password that may well be right.
            raise WrongSourcePassword(
                f"{path}: wrong export password; it is the password typed at 'qvault export --encrypted', "
                "not the master password"
            ) from None
        for entry in sorted(backup.entries(), key=lambda entry: (entry.title.casefold(), entry.id)):
            fields = merged_fields(entry.metadata, backup.get_secret(entry.id))
            parsed.records.append(ImportRecord(f"entry {entry.id} ({entry.title})", entry.type, fields, entry_id=entry.id))
    return parsed
