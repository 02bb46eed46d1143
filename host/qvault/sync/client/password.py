"""Changing the master password of a synced vault: the server first, then the vault, then the sidecar.

Steps of update_password, ordered so that an interruption never locks the user out:
1. make the new password slot and both auth keys in memory; nothing is written;
2. POST /v1/password with the old and new auth keys, the new KDF settings and key
   slots (the server revokes every token);
3. replace the vault's password slot;
4. pin the new KDF settings and salt in the sidecar.
Until step 3 the vault opens with the current password; after it, with the new one.

Interrupted after step 2, the server has the new slot and the vault the old one.
Running `qvault passwd` again with the same new password finds the server's new
settings (plan kind ADOPT), logs in with the new password and saves the server's
slot once it opens to this vault's key. A device whose password was changed on
another device takes the same path. Interrupted after step 3, the next login
pins the settings itself, because the server's equal the vault's own slot.
"""

import dataclasses
import logging

from qvault.errors import QvaultError
from qvault.sync.client import auth
from qvault.sync.client.api import ApiClient
from qvault.sync.client.engine import password_slot
from qvault.sync.client.errors import ServerError, ServerIntegrityError, SyncError
from qvault.sync.client.setup import open_server_slots
from qvault.sync.client.state import LABEL_SYNC_STATE, SyncState
from qvault.vault import crypto, format, replica
from qvault.vault.kdf import KdfParams
from qvault.vault.store import Vault

log = logging.getLogger(__name__)

# The server has the pinned settings: send it the new slot.
UPDATE = "update"
# The server has other settings, from a change made on another device or one
# interrupted here: log in with the new password and save the server's slot.
ADOPT = "adopt"


@dataclasses.dataclass(frozen=True)
class PasswordPlan:
    """The path of a password change, chosen from the server's prelogin response.

    needs_server_password: this vault's password changed without the server
    (`qvault passwd --local-only` or `qvault recover`), so the old auth key needs
    the password the server still uses, not the one that unlocked the vault.
    """

    kind: str
    needs_server_password: bool
    unverified_kdf: KdfParams
    unverified_salt: bytes


def plan_change(vault: Vault, state: SyncState, api: ApiClient) -> PasswordPlan:
    """Compare the server's KDF settings with the pinned ones and the vault's slot; no password needed.

    Raises SyncError when the server is unreachable (nothing was changed), and
    ServerIntegrityError when it returns another vault id.
    """
    unverified = api.prelogin(state.email)
    if unverified.vault_id != state.vault_id:
        raise ServerIntegrityError(f"the sync server returned another vault id for {state.email}; nothing was changed")
    slot = password_slot(vault)
    server_settings = (unverified.kdf, unverified.salt)
    pinned = (state.kdf, state.salt)
    local = (slot.params, slot.salt)

    if server_settings == local and pinned != local:
        # An earlier change reached the server and the vault but failed at step 4.
        state.pin_kdf(vault, slot.params, slot.salt)
        pinned = local
    if server_settings == pinned:
        return PasswordPlan(UPDATE, local != pinned, unverified.kdf, unverified.salt)
    return PasswordPlan(ADOPT, False, unverified.kdf, unverified.salt)


def update_password(
    vault: Vault,
    state: SyncState,
    api: ApiClient,
    plan: PasswordPlan,
    server_password: str,
    new_password: str,
    params: KdfParams | None,
    secret_key: bytes | None,
) -> None:
    """Change the password on the server, then in the vault, then in the sidecar (plan kind UPDATE).

    server_password is the password the server still uses: the current one, unless
    the plan needs another. Raises SyncError naming the step that failed and what
    the vault opens with afterwards.
    """
    slot = vault.new_password_slot(new_password, params, secret_key)
    recovery_slot = next(item for item in vault.key_slots() if item.kind == format.SLOT_RECOVERY)
    new_auth_key = auth.derive_auth_key(vault.vault_id, slot.salt, slot.params, new_password, secret_key if slot.needs_secret_key else None)
    if plan.needs_server_password:
        # NOTE: after a local-only change nothing here records whether the server's
        # slot needs the secret key; the key given for the new slot is used.
        old_secret_key = secret_key
    else:
        old_secret_key = secret_key if password_slot(vault).needs_secret_key else None
    old_auth_key = auth.derive_auth_key(state.vault_id, state.salt, state.kdf, server_password, old_secret_key)

    _login(api, state.email, old_auth_key, "the master password the sync server uses")
    try:
        api.change_password(old_auth_key, new_auth_key, slot.params, slot.salt, [replica.encode_slot(slot), replica.encode_slot(recovery_slot)])
    except SyncError as error:
        log.warning("password change on %s not confirmed: %s", api.server_url, type(error).__name__)
        raise SyncError(
            f"the sync server did not confirm the password change ({error}). {vault.path} still opens with the "
            "current master password. Run 'qvault passwd' again with the same new password: it finishes the "
            "change if the server stored it"
        ) from None
    log.info("password changed on %s", api.server_url)

    try:
        vault.replace_password_slot(slot)
    except QvaultError as error:
        raise SyncError(
            f"the sync server has the new master password, but saving it in {vault.path} failed ({error}). "
            "The vault still opens with the current password; run 'qvault passwd' again with the same new "
            "password to finish"
        ) from None
    state.pin_kdf(vault, slot.params, slot.salt)


def adopt_password(vault: Vault, state: SyncState, api: ApiClient, plan: PasswordPlan, new_password: str, secret_key: bytes | None) -> None:
    """Log in with the server's password and save the server's password slot here (plan kind ADOPT).

    The slot is saved only after it opens with new_password to this vault's key, so
    a server cannot plant a slot of its own. Raises SyncError when new_password is
    not the server's, ServerIntegrityError when the slot does not match.
    """
    params = auth.check_params(plan.unverified_kdf, f"the sync server {api.server_url}")
    auth_key = auth.derive_auth_key(vault.vault_id, plan.unverified_salt, params, new_password, secret_key)
    _login(api, state.email, auth_key, "the new master password")

    _, slots, vault_key = open_server_slots(api, vault.vault_id, params, plan.unverified_salt, new_password, secret_key)
    try:
        expected = replica.derive_subkey(vault, LABEL_SYNC_STATE)
        candidate = crypto.hkdf_sha256(vault_key, vault.vault_id, LABEL_SYNC_STATE)
        same_key = crypto.constant_time_equal(expected, candidate)
    finally:
        crypto.wipe(vault_key)
    if not same_key:
        raise ServerIntegrityError("the server's password key slot opens to another vault key than this vault's; nothing was changed")

    slot = next(item for item in slots if item.kind == format.SLOT_PASSWORD)
    vault.replace_password_slot(slot)
    state.pin_kdf(vault, slot.params, slot.salt)
    log.info("saved the password slot of %s in %s", api.server_url, vault.path)


def _login(api: ApiClient, email: str, auth_key: bytes, password_name: str) -> None:
    try:
        api.login(email, auth_key)
    except ServerError as error:
        if error.status == 401:
            raise SyncError(
                f"the sync server {api.server_url} rejected {password_name} for {email} (or the secret key); nothing was changed"
            ) from None
        raise
