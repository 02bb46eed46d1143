"""Flattening stored entries into the fields an export writes, minus held-back secrets."""

import dataclasses

from qvault.entries import CRYPTO_SECRET_FIELDS, merged_fields


@dataclasses.dataclass
class ExportEntry:
    """One entry's editable fields (metadata and secret merged) and what was left out."""

    id: str
    type: str
    fields: dict = dataclasses.field(repr=False)
    # The stored metadata (no secrets), for derived values such as a card's brand.
    metadata: dict = dataclasses.field(default_factory=dict)
    omitted: list[str] = dataclasses.field(default_factory=list)


def flatten(entry_id: str, metadata: dict, secret: dict, include_crypto_secrets: bool) -> ExportEntry:
    """Merge an entry's parts; drop seed phrases, BIP39 passphrases and private keys unless included."""
    fields = merged_fields(metadata, secret)
    omitted = []
    if not include_crypto_secrets:
        for name in sorted(CRYPTO_SECRET_FIELDS):
            if name in fields:
                del fields[name]
                omitted.append(name)
    return ExportEntry(entry_id, metadata.get("type", ""), fields, metadata, omitted)


def read_all(vault, include_crypto_secrets: bool) -> list[ExportEntry]:
    """Decrypt every live entry of an unlocked vault, sorted by title."""
    entries = sorted(vault.entries(), key=lambda entry: (entry.title.casefold(), entry.id))
    return [flatten(entry.id, entry.metadata, vault.get_secret(entry.id), include_crypto_secrets) for entry in entries]
