"""A local, encrypted cache of decrypted entry metadata, to make unlocking cheaper.

Unlocking must recompute every row's manifest leaf (that is what detects a
modified, dropped or replayed row), but it need not decrypt and parse the
metadata of a row it has seen before. This file maps a leaf to the metadata of
the row that produced it. The leaf is an HMAC over the row, including the
SHA-256 of its metadata ciphertext, so a row whose freshly computed leaf equals a
cached one has exactly the cached metadata ciphertext, and hence the cached
plaintext. A cache entry is never used for a row whose leaf differs.

File `.<vault name>.metadata-cache` beside the vault, mode 0600:

    b"QVMC" || u16 version (1) || nonce (24 bytes) || XChaCha20-Poly1305 ciphertext

The key is HKDF-SHA256(vault key, salt = vault id, info = "qvault v1 metadata
cache"); the associated data is b"QVAULT-METADATA-CACHE" || 0x00 || u16 format
version || vault id. The plaintext is UTF-8 JSON: an object from the leaf in
lowercase hex to the entry's metadata object. The cache is not part of the vault
format: a reader may ignore it, and any failure to read it only means a slower
unlock.
"""

import gc
import json
import logging
import os
import pathlib
import struct

from qvault import limits
from qvault.errors import IntegrityError
from qvault.vault import crypto, format

log = logging.getLogger(__name__)

LABEL_CACHE_KEY = b"qvault v1 metadata cache"
_MAGIC = b"QVMC"
_VERSION = 1
_HEADER = struct.Struct(">4sH")
_AD_PREFIX = b"QVAULT-METADATA-CACHE\x00"
# A cache larger than this is not read: it would cost more than it saves.
MAX_CACHE_BYTES = 512 * 1024 * 1024
# Rewrite the cache at close once this many rows had to be decrypted without it.
REWRITE_AFTER_MISSES = 256


def cache_path(vault_path: pathlib.Path) -> pathlib.Path:
    return vault_path.with_name(f".{vault_path.name}.metadata-cache")


def derive_key(vault_key: bytes, vault_id: bytes) -> bytes:
    return crypto.hkdf_sha256(vault_key, vault_id, LABEL_CACHE_KEY)


def _associated_data(vault_id: bytes) -> bytes:
    return _AD_PREFIX + struct.pack(">H", format.FORMAT_VERSION) + vault_id


def load(vault_path: pathlib.Path, key: bytes, vault_id: bytes) -> dict[bytes, dict]:
    """Return the cached {leaf: metadata}; empty when the file is missing or invalid."""
    path = cache_path(vault_path)
    try:
        if path.stat().st_size > MAX_CACHE_BYTES:
            log.warning("metadata cache %s is over %d bytes; ignoring it", path, MAX_CACHE_BYTES)
            return {}
        unverified_data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        log.warning("could not read the metadata cache %s: %s", path, error.strerror)
        return {}
    header_size = _HEADER.size + limits.XCHACHA_NONCE_BYTES
    if len(unverified_data) < header_size or _HEADER.unpack_from(unverified_data) != (_MAGIC, _VERSION):
        log.warning("metadata cache %s has an unknown layout; ignoring it", path)
        return {}
    nonce = unverified_data[_HEADER.size:header_size]
    # Parsing creates a dict per entry, which would run the cyclic garbage collector
    # again and again over the growing result; nothing here creates cycles.
    collect_garbage = gc.isenabled()
    gc.disable()
    try:
        plaintext = crypto.aead_decrypt(key, nonce, unverified_data[header_size:], _associated_data(vault_id), "metadata cache")
        document = json.loads(plaintext.decode("utf-8"))
        return {bytes.fromhex(leaf): metadata for leaf, metadata in document.items() if isinstance(metadata, dict)}
    except (IntegrityError, UnicodeDecodeError, ValueError, AttributeError):
        # Another vault's cache, a damaged file, or tampering: unlock without it.
        log.warning("metadata cache %s failed authentication or parsing; ignoring it", path)
        return {}
    finally:
        if collect_garbage:
            gc.enable()


def save(vault_path: pathlib.Path, key: bytes, vault_id: bytes, entries: dict[bytes, dict]) -> None:
    """Write the cache atomically; a file system error is logged, never raised."""
    path = cache_path(vault_path)
    document = {leaf.hex(): metadata for leaf, metadata in entries.items()}
    plaintext = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    nonce, ciphertext = crypto.aead_encrypt(key, plaintext, _associated_data(vault_id))
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(_HEADER.pack(_MAGIC, _VERSION) + nonce + ciphertext)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("could not write the metadata cache %s: %s", path, error.strerror)
        try:
            temporary.unlink()
        except OSError:
            pass
