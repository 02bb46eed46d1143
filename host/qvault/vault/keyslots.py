"""Key slots: the vault key wrapped under a password, or under a recovery code.

A password slot's key-encryption key is
HKDF-SHA256(Argon2id(password) || secret key, salt=vault id, info=label); a recovery
slot's is HKDF-SHA256(recovery code bytes, ...). The KDF parameters and flags are in
the associated data, so editing them in the file makes unwrapping fail.
"""

import base64
import dataclasses
import os
import re
import unicodedata

from qvault import limits
from qvault.errors import IntegrityError, VaultError, WrongPassword
from qvault.vault import crypto, format
from qvault.vault.kdf import KdfParams, derive

RECOVERY_CODE_BYTES = 20
SECRET_KEY_BYTES = 20


@dataclasses.dataclass
class KeySlot:
    """One row of the key_slots table."""

    slot_id: int | None
    kind: int
    params: KdfParams | None
    flags: int
    salt: bytes
    nonce: bytes
    wrapped_key: bytes

    @property
    def needs_secret_key(self) -> bool:
        return bool(self.flags & format.SLOT_FLAG_SECRET_KEY)

    def associated_data(self, vault_id: bytes) -> bytes:
        memory, iterations, parallelism = (
            (self.params.memory_kib, self.params.iterations, self.params.parallelism) if self.params else (0, 0, 0)
        )
        return format.slot_associated_data(vault_id, self.kind, memory, iterations, parallelism, self.flags, self.salt)


def normalize_password(password: str) -> bytes:
    """Return the password as NFC UTF-8, so the same typed text opens on every OS."""
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    return unicodedata.normalize("NFC", password).encode("utf-8")


def encode_code(raw: bytes) -> str:
    """Format a recovery code or secret key as Base32 in groups of four characters."""
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_code(text: str, expected_bytes: int, what: str) -> bytes:
    """Parse a code typed by a person: case, spaces and dashes do not matter."""
    cleaned = re.sub(r"[\s-]", "", text).upper()
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raise VaultError(f"{what} is invalid: use only the letters A-Z and digits 2-7 as printed") from None
    if len(raw) != expected_bytes:
        raise VaultError(f"{what} is invalid: expected {expected_bytes * 8 // 5} characters, got {len(cleaned)}")
    return raw


def stretch_password(slot: KeySlot, password: str) -> bytes:
    """Run Argon2id on the password with the slot's parameters and salt; the caller wipes the result.

    Raises KdfParametersRejected before deriving when the parameters are out of bounds.
    """
    assert slot.params is not None
    slot.params.check()
    return derive(normalize_password(password), slot.salt, slot.params)


def _password_kek(vault_id: bytes, slot: KeySlot, password: str, secret_key: bytes | None) -> bytes:
    stretched = stretch_password(slot, password)
    try:
        return _kek_from_stretched(vault_id, stretched, secret_key)
    finally:
        crypto.wipe(stretched)


def _kek_from_stretched(vault_id: bytes, stretched: bytes, secret_key: bytes | None) -> bytes:
    material = stretched + (secret_key or b"")
    return crypto.hkdf_sha256(material, vault_id, format.LABEL_PASSWORD_KEK)


def make_password_slot(
    vault_id: bytes, vault_key: bytes, password: str, params: KdfParams, secret_key: bytes | None
) -> KeySlot:
    flags = format.SLOT_FLAG_SECRET_KEY if secret_key else 0
    slot = KeySlot(None, format.SLOT_PASSWORD, params, flags, os.urandom(limits.SALT_BYTES), b"", b"")
    kek = _password_kek(vault_id, slot, password, secret_key)
    slot.nonce, slot.wrapped_key = crypto.aead_encrypt(kek, vault_key, slot.associated_data(vault_id))
    crypto.wipe(kek)
    return slot


def make_recovery_slot(vault_id: bytes, vault_key: bytes, recovery_code: bytes) -> KeySlot:
    slot = KeySlot(None, format.SLOT_RECOVERY, None, 0, os.urandom(limits.SALT_BYTES), b"", b"")
    kek = crypto.hkdf_sha256(recovery_code + slot.salt, vault_id, format.LABEL_RECOVERY_KEK)
    slot.nonce, slot.wrapped_key = crypto.aead_encrypt(kek, vault_key, slot.associated_data(vault_id))
    crypto.wipe(kek)
    return slot


def open_password_slot(vault_id: bytes, slot: KeySlot, password: str, secret_key: bytes | None) -> bytes:
    """Return the vault key, or raise WrongPassword (or KdfParametersRejected first)."""
    require_secret_key(slot, secret_key)
    stretched = stretch_password(slot, password)
    try:
        return open_password_slot_stretched(vault_id, slot, stretched, secret_key)
    finally:
        crypto.wipe(stretched)


def open_password_slot_stretched(vault_id: bytes, slot: KeySlot, stretched: bytes, secret_key: bytes | None) -> bytes:
    """Return the vault key from stretch_password's output, or raise WrongPassword.

    For callers that derive another key from the same Argon2id output (the sync
    auth key), so that unlocking costs one Argon2id run.
    """
    require_secret_key(slot, secret_key)
    kek = _kek_from_stretched(vault_id, stretched, secret_key if slot.needs_secret_key else None)
    try:
        return crypto.aead_decrypt(kek, slot.nonce, slot.wrapped_key, slot.associated_data(vault_id), "password slot")
    except IntegrityError:
        hint = " or secret key" if slot.needs_secret_key else ""
        raise WrongPassword(f"wrong master password{hint}") from None
    finally:
        crypto.wipe(kek)


def require_secret_key(slot: KeySlot, secret_key: bytes | None) -> None:
    """Raise WrongPassword when the slot needs the secret key and none was given."""
    if slot.needs_secret_key and not secret_key:
        raise WrongPassword("this vault needs its secret key as well as the password; pass --secret-key-file")


def open_recovery_slot(vault_id: bytes, slot: KeySlot, recovery_code: bytes) -> bytes:
    kek = crypto.hkdf_sha256(recovery_code + slot.salt, vault_id, format.LABEL_RECOVERY_KEK)
    try:
        return crypto.aead_decrypt(kek, slot.nonce, slot.wrapped_key, slot.associated_data(vault_id), "recovery slot")
    except IntegrityError:
        raise WrongPassword("wrong recovery code") from None
    finally:
        crypto.wipe(kek)
