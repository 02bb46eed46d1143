"""Connecting a vault to a server: register or link an existing vault, and clone onto a new device."""

import logging
import pathlib
import re

import httpx

from qvault.errors import CorruptVault, VaultExists, WrongPassword
from qvault.sync.client import auth
from qvault.sync.client.api import ApiClient
from qvault.sync.client.engine import SyncReport, SyncSession
from qvault.sync.client.errors import ServerError, ServerIntegrityError, SyncError
from qvault.sync.client.state import SyncState, sidecar_path
from qvault.vault import format, keyslots, replica
from qvault.vault.store import Vault

log = logging.getLogger(__name__)

EMAIL_MAX_CHARS = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > EMAIL_MAX_CHARS or _EMAIL.fullmatch(email) is None:
        raise SyncError(f"email {email!r} is invalid; expected NAME@DOMAIN of at most {EMAIL_MAX_CHARS} characters")
    return email


def setup(
    vault: Vault,
    server_url: str,
    email: str,
    password: str,
    secret_key: bytes | None,
    http_client: httpx.Client | None = None,
) -> tuple[SyncSession, SyncReport, bool]:
    """Register the unlocked vault on the server, or link it to an account holding the same vault.

    Then sync once, which pushes every entry. Returns (session, report, registered).
    """
    email = check_email(email)
    api = ApiClient(server_url, http_client)
    if sidecar_path(vault.path).exists():
        raise SyncError(f"{sidecar_path(vault.path)}: sync is already set up for this vault; see 'qvault sync status'")
    slots = vault.key_slots()
    password_slot = next(slot for slot in slots if slot.kind == format.SLOT_PASSWORD)
    assert password_slot.params is not None
    auth.check_params(password_slot.params, f"{vault.path} password slot")
    secret = secret_key if password_slot.needs_secret_key else None
    auth_key = auth.derive_auth_key(vault.vault_id, password_slot.salt, password_slot.params, password, secret)

    registered = True
    try:
        api.register(
            email,
            auth_key,
            vault.vault_id,
            password_slot.params,
            password_slot.salt,
            [replica.encode_slot(slot) for slot in slots],
            replica.encode_manifest(vault, 0, 0),
        )
    except ServerError as error:
        if error.code != "email_taken":
            raise
        registered = False
        _check_same_vault(api, email, vault, password_slot)
    api.login(email, auth_key)

    state = SyncState.create(vault, api.server_url, email, password_slot.params, password_slot.salt)
    session = SyncSession(vault, state, api)
    report = session.sync()
    return session, report, registered


def _check_same_vault(api: ApiClient, email: str, vault: Vault, password_slot: keyslots.KeySlot) -> None:
    unverified = api.prelogin(email)
    if unverified.vault_id != vault.vault_id:
        raise SyncError(
            f"the account {email} on {api.server_url} holds a different vault; to use it on this device run "
            "'qvault sync clone' with a new --vault PATH"
        )
    if unverified.kdf != password_slot.params or unverified.salt != password_slot.salt:
        raise SyncError(
            f"the account {email} holds this vault with another master password or KDF setting; "
            "change the password on one device so both match, then run setup again"
        )


def clone(
    path: pathlib.Path,
    server_url: str,
    email: str,
    password: str,
    secret_key: bytes | None,
    http_client: httpx.Client | None = None,
) -> tuple[Vault, SyncSession, SyncReport]:
    """Create a new local copy of the account's vault at path and return it unlocked.

    Steps: prelogin, check the KDF parameters against the floor and ceiling before
    deriving, log in, fetch the key slots and open the vault key with the password.
    Then create an empty vault file and pull every row through the normal sync,
    which verifies each row and the manifest before writing. Missing or damaged key
    material is an error: new keys are never generated for an existing account.
    On any failure no vault file is left at path.
    """
    path = pathlib.Path(path)
    email = check_email(email)
    if path.exists():
        raise VaultExists(f"{path}: a file already exists; pass a new --vault PATH for the clone")
    if sidecar_path(path).exists():
        raise SyncError(f"{sidecar_path(path)}: a sync state file already exists; remove it or choose another --vault PATH")
    api = ApiClient(server_url, http_client)

    unverified = api.prelogin(email)
    params = auth.check_params(unverified.kdf, f"the sync server {api.server_url}")
    auth_key = auth.derive_auth_key(unverified.vault_id, unverified.salt, params, password, secret_key)
    try:
        api.login(email, auth_key)
    except ServerError as error:
        if error.status == 401:
            raise SyncError(
                f"login to {api.server_url} as {email} failed: wrong email or master password"
                + ("" if secret_key else ", or the vault needs its secret key (pass --secret-key-file)")
            ) from None
        raise

    vault_id, slots, vault_key = open_server_slots(api, unverified.vault_id, params, unverified.salt, password, secret_key)
    replica.create_from_rows(path, vault_id, vault_key, slots, [])
    vault = None
    try:
        vault = Vault.open(path)
        replica.unlock_with_key(vault, vault_key)
        state = SyncState.create(vault, api.server_url, email, params, unverified.salt)
        session = SyncSession(vault, state, api)
        report = session.sync()
        vault.refresh()
    except BaseException:
        if vault is not None:
            vault.close()
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)
        raise
    return vault, session, report


def open_server_slots(api, vault_id, params, salt, password, secret_key):
    """Fetch the key slots, check them against prelogin, and unwrap the vault key."""
    unverified = api.keyslots()
    if unverified.vault_id != vault_id or unverified.kdf != params or unverified.salt != salt:
        raise ServerIntegrityError("the server's key slots do not match its prelogin response (vault id, KDF parameters or salt)")
    slots = []
    for blob in unverified.blobs:
        try:
            slots.append(replica.decode_slot(blob))
        except CorruptVault as error:
            raise ServerIntegrityError(f"the server sent a damaged key slot: {error}; no new keys were made") from None
    password_slots = [slot for slot in slots if slot.kind == format.SLOT_PASSWORD]
    recovery_slots = [slot for slot in slots if slot.kind == format.SLOT_RECOVERY]
    if len(password_slots) != 1 or len(recovery_slots) != 1:
        raise ServerIntegrityError(
            f"the server sent {len(password_slots)} password and {len(recovery_slots)} recovery key slots; expected one "
            "of each. The account's key material is missing or damaged; no new keys were made"
        )
    slot = password_slots[0]
    if slot.params != params or slot.salt != salt:
        raise ServerIntegrityError("the server's password key slot does not match its prelogin KDF settings")
    try:
        vault_key = keyslots.open_password_slot(vault_id, slot, password, secret_key)
    except WrongPassword:
        raise ServerIntegrityError(
            "the server's password key slot does not open with the password that logged in: the slot is damaged "
            "or was replaced; no new keys were made and no vault was written"
        ) from None
    return vault_id, slots, vault_key
