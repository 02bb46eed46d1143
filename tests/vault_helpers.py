"""Helpers shared by the vault test modules: vaults at the KDF floor and raw SQL edits.

Every vault here uses kdf.FLOOR, the cheapest parameters a vault accepts, so a
password unlock costs one Argon2id run at 64 MiB and t=3.
"""

import pathlib
import sqlite3

from qvault.vault import Vault
from qvault.vault.kdf import FLOOR

PASSWORD = "correct horse battery staple"


def create_vault(path: pathlib.Path, **options) -> tuple[Vault, bytes]:
    """Create a vault at the KDF floor with PASSWORD; return (vault, raw recovery code)."""
    return Vault.create(path, PASSWORD, params=FLOOR, **options)


def add_sample_entries(vault: Vault) -> dict[str, tuple[dict, dict]]:
    """Add a login, a note and a deleted entry; return {id: (metadata, secret)} of the live ones."""
    login = vault.add_entry(
        {"type": "login", "title": "Bänk 銀行 🔐", "urls": ["https://bank.example"], "username": "ana"},
        {"password": "s3cret-pässword", "totp": "JBSWY3DPEHPK3PXP"},
    )
    note = vault.add_entry({"type": "note", "title": "Wallet notes"}, {"notes": "line one\nline two"})
    gone = vault.add_entry({"type": "login", "title": "Old"}, {"password": "old"})
    vault.delete_entry(gone.id, gone.revision)
    return {
        login.id: (login.metadata, vault.get_secret(login.id)),
        note.id: (note.metadata, vault.get_secret(note.id)),
    }


def execute(path: pathlib.Path, statement: str, parameters: tuple = ()) -> list[tuple]:
    """Run one SQL statement on the vault file outside Qvault, as another program would."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        return connection.execute(statement, parameters).fetchall()
    finally:
        connection.close()
