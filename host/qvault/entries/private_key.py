"""Private key entries: a secp256k1 private key as 64 hex digits or as WIF."""

from qvault.entries import base58, common
from qvault.errors import EntryValidationError

# Order of the secp256k1 group (SEC 2, section 2.4.1); a private key is in [1, n-1].
SECP256K1_ORDER = 0xFFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFE_BAAEDCE6_AF48A03B_BFD25E8C_D0364141
WIF_PREFIXES = {0x80: "mainnet", 0xEF: "testnet"}

METADATA_FIELDS = {"title", "coin", "address", "tags"}
SECRET_FIELDS = {"private_key", "notes"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
# Stored in the metadata but computed from the key, so edits ignore them on input.
DERIVED_FIELDS = {"key_format", "network", "compressed"}


def _check_range(number: int, field: str) -> None:
    if not 1 <= number < SECP256K1_ORDER:
        raise EntryValidationError(f"field '{field}': the key is outside the secp256k1 range 1..n-1")


def parse_private_key(text: str, field: str = "private_key") -> dict:
    """Check a hex or WIF key; return {'key', 'key_format', 'network', 'compressed'}.

    Hex input may carry a 0x prefix and upper-case digits; it is stored lower-case
    without the prefix. Error messages never include the key.
    """
    key = text.strip()
    hex_digits = key[2:] if key[:2].lower() == "0x" else key
    if len(hex_digits) == 64 and all(character in "0123456789abcdefABCDEF" for character in hex_digits):
        _check_range(int(hex_digits, 16), field)
        return {"key": hex_digits.lower(), "key_format": "hex", "network": None, "compressed": None}

    try:
        payload = base58.decode_check(key)
    except base58.Base58Error as error:
        raise EntryValidationError(
            f"field '{field}': not 64 hex digits, and not a WIF key either: Base58Check {error}"
        ) from None
    if payload[0] not in WIF_PREFIXES:
        raise EntryValidationError(f"field '{field}': WIF prefix byte {payload[0]:#04x} is neither 0x80 (mainnet) nor 0xef (testnet)")
    if len(payload) == 34 and payload[33] == 0x01:
        compressed = True
    elif len(payload) == 33:
        compressed = False
    else:
        raise EntryValidationError(f"field '{field}': WIF payload is {len(payload)} bytes; expected 33, or 34 ending in 0x01")
    _check_range(int.from_bytes(payload[1:33], "big"), field)
    return {"key": key, "key_format": "wif", "network": WIF_PREFIXES[payload[0]], "compressed": compressed}


def build(fields: dict) -> tuple[dict, dict]:
    """Validate a private key entry and split it into (metadata, secret)."""
    common.reject_unknown("key", fields, FIELDS)
    parsed = parse_private_key(common.text(fields, "private_key", required=True))

    metadata: dict = {"type": "key", "title": common.text(fields, "title", required=True)}
    common.put(metadata, "coin", common.text(fields, "coin"))
    common.put(metadata, "address", common.text(fields, "address"))
    common.put(metadata, "key_format", parsed["key_format"])
    common.put(metadata, "network", parsed["network"])
    if parsed["compressed"] is not None:
        metadata["compressed"] = parsed["compressed"]
    common.put(metadata, "tags", common.tags(fields))

    secret: dict = {"private_key": parsed["key"]}
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))
    return metadata, secret
