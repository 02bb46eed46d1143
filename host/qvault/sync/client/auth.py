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
from qvault.vault import crypto, kdf
from qvault.vault.kdf import KdfParams
from qvault.vault.keyslots import normalize_password

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
        return crypto.hkdf_sha256(stretched + (secret_key or b""), vault_id, LABEL_SYNC_AUTH)
    finally:
        crypto.wipe(stretched)
