"""Primitive wrappers: XChaCha20-Poly1305 (PyNaCl), HKDF-SHA256 and HMAC-SHA256.

Every AEAD failure raises the same IntegrityError, whatever the cause, so an error
never tells an attacker which part of a forgery was wrong.
"""

import ctypes
import hashlib
import hmac
import os
import sys
from typing import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl import bindings

# PyNaCl's compiled cffi module. Calling libsodium through it directly skips
# PyNaCl's per-call argument checks, which cost more than the decryption of a small
# entry at unlock; the lengths are checked here instead. nacl.bindings, imported
# above, has already run sodium_init().
# NOTE: nacl._sodium is not public API; it has kept this name throughout PyNaCl 1.x.
from nacl._sodium import ffi as _ffi
from nacl._sodium import lib as _lib

from qvault import limits
from qvault.errors import IntegrityError

_SHA256_BLOCK_BYTES = 64


def aead_encrypt(key: bytes, plaintext: bytes, associated_data: bytes, nonce: bytes | None = None) -> tuple[bytes, bytes]:
    """Encrypt with XChaCha20-Poly1305 and return (nonce, ciphertext with tag).

    A random 24-byte nonce is drawn unless one is given; random nonces of that size
    are safe to use without a counter.
    """
    if nonce is None:
        nonce = os.urandom(limits.XCHACHA_NONCE_BYTES)
    ciphertext = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated_data, nonce, key)
    return nonce, ciphertext


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes, what: str) -> bytes:
    """Decrypt and authenticate, or raise IntegrityError naming only `what` failed."""
    if len(nonce) != limits.XCHACHA_NONCE_BYTES or len(ciphertext) < limits.POLY1305_TAG_BYTES:
        raise IntegrityError(f"{what}: authentication failed (bad nonce or ciphertext length)")
    if len(key) != limits.KEY_BYTES:
        raise ValueError(f"an XChaCha20-Poly1305 key is {limits.KEY_BYTES} bytes, not {len(key)}")
    plaintext = _ffi.new("unsigned char[]", max(len(ciphertext) - limits.POLY1305_TAG_BYTES, 1))
    length = _ffi.new("unsigned long long *")
    result = _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        plaintext, length, _ffi.NULL, ciphertext, len(ciphertext), associated_data, len(associated_data), nonce, key
    )
    if result != 0:
        raise IntegrityError(f"{what}: authentication failed; the vault was modified or damaged")
    return _ffi.buffer(plaintext, length[0])[:]


def hkdf_sha256(key_material: bytes, salt: bytes, info: bytes, length: int = limits.KEY_BYTES) -> bytes:
    """Derive a subkey with HKDF-SHA256 (RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key_material)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def hmac_sha256_with(key: bytes) -> Callable[[bytes], bytes]:
    """Return a function computing HMAC-SHA256 (RFC 2104) under key, keyed once.

    Unlock computes one MAC per entry. Copying the SHA-256 states that already
    absorbed the padded key halves the cost of each MAC.
    """
    if len(key) > _SHA256_BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_SHA256_BLOCK_BYTES, b"\0")
    inner_start = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
    outer_start = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))

    def mac(message: bytes) -> bytes:
        inner = inner_start.copy()
        inner.update(message)
        outer = outer_start.copy()
        outer.update(inner.digest())
        return outer.digest()

    return mac


class AeadOpener:
    """XChaCha20-Poly1305 decryption under one key, reusing one output buffer.

    For loops that open many small ciphertexts, such as the metadata of every entry
    at unlock. Same contract as aead_decrypt. Call wipe() when done.
    """

    def __init__(self, key: bytes):
        if len(key) != limits.KEY_BYTES:
            raise ValueError(f"an XChaCha20-Poly1305 key is {limits.KEY_BYTES} bytes, not {len(key)}")
        self._key = key
        self._buffer = _ffi.new("unsigned char[]", 4096)
        self._length = _ffi.new("unsigned long long *")

    def __call__(self, nonce: bytes, ciphertext: bytes, associated_data: bytes, what: str) -> bytes:
        if len(nonce) != limits.XCHACHA_NONCE_BYTES or len(ciphertext) < limits.POLY1305_TAG_BYTES:
            raise IntegrityError(f"{what}: authentication failed (bad nonce or ciphertext length)")
        if len(ciphertext) > len(self._buffer):
            self.wipe()
            self._buffer = _ffi.new("unsigned char[]", len(ciphertext))
        result = _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
            self._buffer, self._length, _ffi.NULL, ciphertext, len(ciphertext), associated_data, len(associated_data), nonce, self._key
        )
        if result != 0:
            raise IntegrityError(f"{what}: authentication failed; the vault was modified or damaged")
        return _ffi.buffer(self._buffer, self._length[0])[:]

    def wipe(self) -> None:
        _ffi.memmove(self._buffer, bytes(len(self._buffer)), len(self._buffer))


def constant_time_equal(left: bytes, right: bytes) -> bool:
    return hmac.compare_digest(left, right)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def wipe(secret: bytes | bytearray | None) -> None:
    """Overwrite a key's bytes in place, as far as CPython allows.

    Python copies freely, so this is best effort: it clears the object we hold, not
    copies made by libraries. Immutable bytes are cleared through their buffer, which
    is only safe for objects this module's callers created and own (never interned
    constants), so anything shorter than a key is left alone.
    """
    if secret is None:
        return
    if isinstance(secret, bytearray):
        secret[:] = bytes(len(secret))
        return
    if isinstance(secret, bytes) and len(secret) >= 16:
        # CPython stores a bytes object's data at the end of its struct, before a NUL.
        offset = sys.getsizeof(secret) - len(secret) - 1
        ctypes.memset(id(secret) + offset, 0, len(secret))
