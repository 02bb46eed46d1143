"""Crypto wallet entries: BIP39 seed phrase, passphrase, derivation path, watch-only keys.

A wallet contains a seed phrase, or watch-only data (an extended public key or
receive addresses), or both. The seed phrase and the BIP39 passphrase are secret;
the coin, path, extended public key and addresses are metadata, so they can be
listed, searched and sent to the browser for withdrawal forms.
"""

import re

from qvault.entries import bip32, bip39, common
from qvault.errors import EntryValidationError

ADDRESSES_MAX = 256
# Addresses are checked for shape only: printable ASCII without spaces, with the
# length range of the common chains (Bitcoin legacy is 26, Bech32m up to 90,
# Cardano Byron about 104). 'bitcoincash:' style prefixes are allowed.
# TODO: verify per-coin checksums (Base58Check, Bech32, EIP-55) when the coin is known.
_ADDRESS = re.compile(r"^[A-Za-z0-9:._-]{14,128}$")

METADATA_FIELDS = {"title", "coin", "derivation_path", "xpub", "addresses", "tags"}
SECRET_FIELDS = {"seed", "passphrase", "notes"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
DERIVED_FIELDS = {"seed_language", "word_count", "xpub_kind", "network", "has_passphrase"}


def _addresses(fields: dict) -> list[str]:
    values = common.text_list(fields, "addresses", ADDRESSES_MAX)
    for position, address in enumerate(values, start=1):
        if not _ADDRESS.match(address):
            raise EntryValidationError(
                f"field 'addresses': address {position} {address!r} is not an address "
                "(expected 14 to 128 letters, digits or : . _ -)"
            )
    return values


def build(fields: dict) -> tuple[dict, dict]:
    """Validate a wallet entry and split it into (metadata, secret)."""
    common.reject_unknown("wallet", fields, FIELDS)
    metadata: dict = {"type": "wallet", "title": common.text(fields, "title", required=True)}
    secret: dict = {}

    seed_text = fields.get("seed")
    if seed_text is not None and (not isinstance(seed_text, str) or seed_text.strip()):
        mnemonic = bip39.validate(seed_text)
        secret["seed"] = mnemonic.phrase
        metadata["seed_language"] = mnemonic.language
        metadata["word_count"] = mnemonic.word_count

    passphrase = fields.get("passphrase")
    if passphrase:
        if not isinstance(passphrase, str):
            raise EntryValidationError("field 'passphrase' must be text")
        if "seed" not in secret:
            raise EntryValidationError("field 'passphrase': a BIP39 passphrase needs a seed phrase in the same entry")
        secret["passphrase"] = bip39.normalize_passphrase(passphrase)
        metadata["has_passphrase"] = True

    common.put(metadata, "coin", common.text(fields, "coin"))
    path = common.text(fields, "derivation_path")
    if path is not None:
        metadata["derivation_path"] = bip32.normalize_path(path)
    xpub = common.text(fields, "xpub")
    if xpub is not None:
        key, kind, network = bip32.check_extended_public_key(xpub)
        metadata.update(xpub=key, xpub_kind=kind, network=network)
    common.put(metadata, "addresses", _addresses(fields))
    common.put(metadata, "tags", common.tags(fields))
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))

    if not ({"seed", "xpub", "addresses"} & (set(secret) | set(metadata))):
        raise EntryValidationError("a wallet entry needs a seed phrase, an xpub or at least one address")
    return metadata, secret
