"""Byte-level encodings of format version 1: labels, associated data, MAC inputs.

docs/vault-format.md is the specification; this module is its executable form.
Every multi-byte integer is big-endian and every field has a fixed length, so no
two different inputs encode to the same bytes.
"""

import json
import re
import struct

from qvault import limits
from qvault.errors import CorruptVault, IntegrityError

# Version of the encodings below. It is bound into every associated data and MAC
# input, so changing it means re-encrypting every row after unlock.
FORMAT_VERSION = 1
# Version of the SQLite layout, stored in "PRAGMA user_version". Migrations step it
# on open without any key, so a schema change must not touch an authenticated byte.
SCHEMA_VERSION = 1
# SQLite "PRAGMA application_id": ASCII "QVLT".
APPLICATION_ID = 0x51564C54

SLOT_PASSWORD = 1
SLOT_RECOVERY = 2
SLOT_FLAG_SECRET_KEY = 0x01

PART_METADATA = 1
PART_SECRET = 2

# HKDF-SHA256 "info" labels. The HKDF salt is always the 16-byte vault id.
LABEL_PASSWORD_KEK = b"qvault v1 password kek"
LABEL_RECOVERY_KEK = b"qvault v1 recovery kek"
LABEL_METADATA_KEY = b"qvault v1 entry metadata"
LABEL_SECRET_KEY = b"qvault v1 entry secret"
LABEL_MANIFEST_KEY = b"qvault v1 manifest"

_SLOT_AD_PREFIX = b"QVAULT-SLOT\x00"
_ENTRY_AD_PREFIX = b"QVAULT-ENTRY\x00"
LEAF_PREFIX = b"QVAULT-LEAF\x00"
_MANIFEST_PREFIX = b"QVAULT-MANIFEST\x00"

# Entry ids are UUIDs in canonical form: lowercase hex, hyphenated, 36 characters.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_U64_MAX = 2**64 - 1
_VERSION_BYTES = struct.pack(">H", FORMAT_VERSION)
_JSON_DECODER = json.JSONDecoder()
# Fixed-width tails of the entry associated data and of the leaf input.
ENTRY_AD_FIELDS = struct.Struct(">QB")
LEAF_FIELDS = struct.Struct(">QQB")


def entry_id_bytes(entry_id: str) -> bytes:
    """Return the 16 bytes of a canonical UUID string, or raise ValueError."""
    if not isinstance(entry_id, str) or CANONICAL_UUID.fullmatch(entry_id) is None:
        raise ValueError(f"entry id {entry_id!r} is not a lowercase hyphenated UUID")
    return bytes.fromhex(entry_id.replace("-", ""))


def slot_associated_data(
    vault_id: bytes, kind: int, memory_kib: int, iterations: int, parallelism: int, flags: int, salt: bytes
) -> bytes:
    """Associated data of a key slot: changing any KDF parameter breaks the unwrap."""
    return (
        _SLOT_AD_PREFIX
        + struct.pack(">H", FORMAT_VERSION)
        + vault_id
        + struct.pack(">BIIIB", kind, memory_kib, iterations, parallelism, flags)
        + salt
    )


def entry_associated_data(vault_id: bytes, entry_id: str, revision: int, part: int) -> bytes:
    """Associated data binding a ciphertext to its vault, entry, revision and part."""
    return entry_associated_data_raw(vault_id, entry_id_bytes(entry_id), revision, part)


def entry_associated_data_raw(vault_id: bytes, id_bytes: bytes, revision: int, part: int) -> bytes:
    """entry_associated_data with the entry id already converted to its 16 bytes."""
    return entry_associated_data_prefix(vault_id) + id_bytes + ENTRY_AD_FIELDS.pack(revision, part)


def entry_associated_data_prefix(vault_id: bytes) -> bytes:
    """The first 31 bytes of every entry associated data in one vault."""
    return _ENTRY_AD_PREFIX + _VERSION_BYTES + vault_id


def leaf_input(entry_id: str, revision: int, updated_at: int, deleted: bool, metadata_hash: bytes, secret_hash: bytes) -> bytes:
    """Bytes whose HMAC is one entry's contribution to the manifest accumulator."""
    return leaf_input_raw(entry_id_bytes(entry_id), revision, updated_at, deleted, metadata_hash, secret_hash)


def leaf_input_raw(
    id_bytes: bytes, revision: int, updated_at: int, deleted: bool, metadata_hash: bytes, secret_hash: bytes
) -> bytes:
    """leaf_input with the entry id already converted to its 16 bytes."""
    return LEAF_PREFIX + id_bytes + LEAF_FIELDS.pack(revision, updated_at, 1 if deleted else 0) + metadata_hash + secret_hash


def manifest_input(vault_id: bytes, counter: int, accumulator: bytes) -> bytes:
    return _MANIFEST_PREFIX + struct.pack(">H", FORMAT_VERSION) + vault_id + struct.pack(">Q", counter) + accumulator


def xor_bytes(left: bytes, right: bytes) -> bytes:
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(limits.KEY_BYTES, "big")


def encode_plaintext(document: dict) -> bytes:
    """Serialise an entry part as UTF-8 JSON padded with spaces to the padding block.

    Raises TypeError for a value JSON cannot hold and ValueError for NaN, infinity,
    a lone surrogate or a part over the size limit. Messages never quote a value.
    """
    if not isinstance(document, dict):
        raise TypeError(f"an entry part must be a dict, not {type(document).__name__}")
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except TypeError as error:
        raise TypeError(f"entry part contains a value JSON cannot encode ({_type_only(error)})") from None
    except ValueError as error:
        reason = "a circular reference" if "ircular" in str(error) else "NaN or infinity"
        raise ValueError(f"entry part contains {reason}, which JSON cannot encode") from None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("entry part contains a lone surrogate, which UTF-8 cannot encode") from None
    if len(data) > limits.ENTRY_PLAINTEXT_MAX_BYTES:
        raise ValueError(f"entry part is {len(data)} bytes; the maximum is {limits.ENTRY_PLAINTEXT_MAX_BYTES}")
    padding = -len(data) % limits.ENTRY_PADDING_BYTES
    return data + b" " * padding


def _type_only(error: TypeError) -> str:
    # json's message is "Object of type X is not JSON serializable" or names key types.
    message = str(error)
    return message if message.startswith(("Object of type", "keys must be")) else "unsupported type"


def check_u64(value: object, minimum: int, what: str) -> int:
    """Return value if it is an int in [minimum, 2**64 - 1], else raise IntegrityError."""
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= _U64_MAX:
        shown = value if isinstance(value, int) else type(value).__name__
        raise IntegrityError(f"{what} {shown} is invalid; expected an integer from {minimum} to {_U64_MAX}")
    return value


def decode_plaintext(data: bytes, what: str) -> dict:
    """Parse an authenticated entry part; a failure here means a writer bug, not tampering."""
    if len(data) % limits.ENTRY_PADDING_BYTES:
        raise CorruptVault(f"{what}: plaintext length {len(data)} is not a multiple of {limits.ENTRY_PADDING_BYTES}")
    try:
        text = data.decode("utf-8")
        document, end = _JSON_DECODER.raw_decode(text)
    except (UnicodeDecodeError, ValueError):
        raise CorruptVault(f"{what}: plaintext is not valid UTF-8 JSON") from None
    if text[end:].strip(" "):
        raise CorruptVault(f"{what}: plaintext has bytes other than space padding after the JSON")
    if not isinstance(document, dict):
        raise CorruptVault(f"{what}: plaintext is not a JSON object")
    return document


def check_length(value: bytes, expected: int, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != expected:
        length = len(value) if isinstance(value, bytes) else type(value).__name__
        raise IntegrityError(f"{what}: length {length} is invalid; expected {expected} bytes")
    return value
