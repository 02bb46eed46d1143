"""Entry types: validation, normalisation and the split into metadata and secret.

Every type module has build(fields) -> (metadata, secret) and the sets
METADATA_FIELDS, SECRET_FIELDS (what a user may set) and DERIVED_FIELDS (what
build computes into the metadata, such as a card's last four digits).
"""

from types import ModuleType

from qvault.entries import card, identity, login, note, private_key, server, wallet
from qvault.errors import EntryValidationError

TYPES: dict[str, ModuleType] = {
    "login": login,
    "note": note,
    "card": card,
    "identity": identity,
    "server": server,
    "wallet": wallet,
    "key": private_key,
}

# Secret fields that unlock funds: shown only after a typed confirmation, and
# never sent to the browser.
CRYPTO_SECRET_FIELDS = {"seed", "passphrase", "private_key"}


def type_module(entry_type: str) -> ModuleType:
    try:
        return TYPES[entry_type]
    except KeyError:
        raise EntryValidationError(f"entry type {entry_type!r} is unknown; use one of {', '.join(TYPES)}") from None


def build_entry(entry_type: str, fields: dict) -> tuple[dict, dict]:
    """Validate user input for one entry type and return (metadata, secret)."""
    module = type_module(entry_type)
    given_type = fields.get("type")
    if given_type is not None and given_type != entry_type:
        raise EntryValidationError(f"field 'type' is {given_type!r} but the entry is a {entry_type}")
    inputs = {name: value for name, value in fields.items() if name not in module.DERIVED_FIELDS}
    return module.build(inputs)


def merged_fields(metadata: dict, secret: dict) -> dict:
    """Return the editable fields of a stored entry: the inverse of build_entry."""
    module = type_module(metadata.get("type", ""))
    fields = {name: value for name, value in metadata.items() if name != "type" and name not in module.DERIVED_FIELDS}
    fields.update(secret)
    return fields


def is_secret_field(entry_type: str, name: str) -> bool:
    return name in type_module(entry_type).SECRET_FIELDS
