"""The vault: format, keys and SQLite storage shared by the CLI, the host and sync."""

from qvault.vault.kdf import KdfParams
from qvault.vault.store import Entry, Vault

__all__ = ["Entry", "KdfParams", "Vault"]
