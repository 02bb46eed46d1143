"""The sync auth key: what the client proves to the server, derived so it never decrypts.

auth key = HKDF-SHA256(Argon2id(password, salt, params) || secret key,
                       salt = vault id, info = "qvault v1 sync auth")

The password slot's key-encryption key uses the same Argon2id output with the
label "qvault v1 password kek", so the server, which stores only an Argon2id hash
of the auth key, stores nothing that unwraps the vault key. The auth key costs one
full Argon2id run at the vault's parameters: guessing passwords against it is as
slow as against the vault file.
"""

from qvault.errors import KdfParametersRejected
from qvault.vault import crypto, format, kdf, keyslots, replica
from qvault.vault.kdf import KdfParams
from qvault.vault.keyslots import normalize_password
from qvault.vault.store import Vault

LABEL_SYNC_AUTH = b"qvault v1 sync auth"


def check_params(unverified_params: KdfParams, source: str) -> KdfParams:
    """Raise KdfParametersRejected naming the source unless params are within the floor and ceiling."""
    try:
        unverified_params.check()
    except KdfParametersRejected as error:
        raise KdfParametersRejected(f"{source}: {error}; refusing to derive or send anything") from None
    return unverified_params


def derive_auth_key(vault_id: bytes, salt: bytes, params: KdfParams, password: str, secret_key: bytes | None) -> bytes:
    """Return the 32-byte auth key; checks params before the Argon2id run."""
    check_params(params, "KDF parameters")
    stretched = kdf.derive(normalize_password(password), salt, params)
    try:
        return auth_key_from_stretched(vault_id, stretched, secret_key)
    finally:
        crypto.wipe(stretched)


def auth_key_from_stretched(vault_id: bytes, stretched: bytes, secret_key: bytes | None) -> bytes:
    """Return the auth key from an Argon2id output already computed with the pinned settings."""
    return crypto.hkdf_sha256(stretched + (secret_key or b""), vault_id, LABEL_SYNC_AUTH)


def unlock_with_auth_key(vault: Vault, password: str, secret_key: bytes | None) -> tuple[bytes, bytes]:
    """Unlock the vault and derive its auth key from one Argon2id run; return (auth key, vault key copy).

    The auth key is derived with the password slot's KDF parameters and salt. Every
    successful SyncSession login pins exactly those (a server returning other
    settings is rejected before login), so the same Argon2id output serves both the
    slot and the auth key. The vault key copy is a separate object that the caller
    owns and wipes, because the vault wipes its own copy in place when it locks.
    Raises WrongPassword or KdfParametersRejected as Vault.unlock does.
    """
    slot = next(slot for slot in vault.key_slots() if slot.kind == format.SLOT_PASSWORD)
    keyslots.require_secret_key(slot, secret_key)
    secret = secret_key if slot.needs_secret_key else None
    stretched = keyslots.stretch_password(slot, password)
    try:
        vault_key = keyslots.open_password_slot_stretched(vault.vault_id, slot, stretched, secret)
        auth_key = auth_key_from_stretched(vault.vault_id, stretched, secret)
    finally:
        crypto.wipe(stretched)
    vault_key_copy = bytes(bytearray(vault_key))
    try:
        replica.unlock_with_key(vault, vault_key)
    except BaseException:
        crypto.wipe(auth_key)
        crypto.wipe(vault_key_copy)
        raise
    return auth_key, vault_key_copy
