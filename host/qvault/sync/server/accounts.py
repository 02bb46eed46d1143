"""Account endpoints: health, prelogin, register, login, logout, password, key slots, delete.

Each function takes a Call and returns a Reply or raises ApiError. None depends on
the web framework or on the database behind Storage.
"""

import base64
import hashlib
import hmac
import logging

import qvault
from qvault import limits
from qvault.sync.server import auth, config, validation
from qvault.sync.server.context import Call, Reply
from qvault.sync.server.errors import ApiError
from qvault.sync.server.ratelimit import account_key, address_key
from qvault.sync.server.validation import Fields
from qvault.sync.storage.base import Account, EmailTaken, NewAccount

log = logging.getLogger(__name__)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kdf_json(memory_kib: int, iterations: int, parallelism: int) -> dict[str, int]:
    return {"memory_kib": memory_kib, "iterations": iterations, "parallelism": parallelism}


def health(call: Call) -> Reply:
    return Reply(200, {"status": "ok", "version": qvault.__version__})


def prelogin(call: Call) -> Reply:
    """Return the account's KDF parameters and salt, or stable fake ones for an unknown email."""
    email = validation.email(Fields(call.body))
    account = call.services.storage.find_account(email)
    if account is not None:
        kdf = _kdf_json(account.kdf.memory_kib, account.kdf.iterations, account.kdf.parallelism)
        return Reply(200, {"kdf": kdf, "salt": b64(account.salt), "vault_id": b64(account.vault_id)})

    # Derived from a secret kept in storage, so every server process and every
    # restart returns the same fake values for the same email.
    secret = call.services.storage.server_secret()
    default = call.services.config.default_kdf

    def fake(label: bytes, size: int) -> bytes:
        return hmac.new(secret, label + b"\x00" + email.encode("utf-8"), hashlib.sha256).digest()[:size]

    kdf = _kdf_json(default.memory_kib, default.iterations, default.parallelism)
    return Reply(200, {
        "kdf": kdf,
        "salt": b64(fake(b"prelogin salt", limits.SALT_BYTES)),
        "vault_id": b64(fake(b"prelogin vault id", limits.VAULT_ID_BYTES)),
    })


def register(call: Call) -> Reply:
    fields = Fields(call.body)
    email = validation.email(fields)
    auth_key = fields.b64("auth_key", limits.KEY_BYTES, exact=limits.KEY_BYTES)
    vault_id = fields.b64("vault_id", limits.VAULT_ID_BYTES, exact=limits.VAULT_ID_BYTES)
    kdf = validation.kdf(fields)
    salt = fields.b64("salt", limits.SALT_BYTES, exact=limits.SALT_BYTES)
    key_slots = validation.key_slots(fields)
    manifest = fields.b64("manifest", config.MANIFEST_MAX_BYTES)

    services = call.services
    # TODO: rate-limit registrations per address; each one costs an Argon2id hash,
    # bounded only by hash_concurrency.
    if services.storage.find_account(email) is not None:
        raise _email_taken()
    auth_hash = services.hasher.hash(auth_key)
    try:
        account_id = services.storage.create_account(
            NewAccount(email, auth_hash, vault_id, kdf, salt, key_slots, manifest), call.now
        )
    except EmailTaken:
        raise _email_taken() from None
    log.info("request %s: registered account %s", call.request_id, account_id)
    return Reply(201, {"account_id": account_id})


def _email_taken() -> ApiError:
    return ApiError(409, "email_taken", "an account with this email already exists; log in instead")


def login(call: Call) -> Reply:
    fields = Fields(call.body)
    email = validation.email(fields)
    auth_key = fields.b64("auth_key", limits.KEY_BYTES, exact=limits.KEY_BYTES)
    services = call.services

    keys = [account_key(email), address_key(call.client_address)]
    services.limiter.check(keys, call.now)
    account = services.storage.find_account(email)
    if not services.hasher.verify(account.auth_hash if account else None, auth_key):
        services.limiter.record_failure(keys, call.now)
        log.info("request %s: login failed", call.request_id)
        raise ApiError(401, "invalid_credentials", "email or auth key is wrong")
    services.limiter.clear(keys[0])

    if services.hasher.needs_rehash(account.auth_hash):
        services.storage.update_auth_hash(account.account_id, account.auth_hash, services.hasher.hash(auth_key))
    token, token_hash = auth.new_token()
    expires_at = call.now + services.config.token_lifetime_seconds
    services.storage.add_token(token_hash, account.account_id, expires_at, call.now)
    log.info("request %s: login of account %s", call.request_id, account.account_id)
    return Reply(200, {"token": token, "expires_at": expires_at})


def logout(call: Call) -> Reply:
    call.services.storage.delete_token(call.token_hash)
    return Reply(204)


def key_slots(call: Call) -> Reply:
    slots = call.services.storage.key_slots(call.account_id)
    return Reply(200, {
        "vault_id": b64(slots.vault_id),
        "kdf": _kdf_json(slots.kdf.memory_kib, slots.kdf.iterations, slots.kdf.parallelism),
        "salt": b64(slots.salt),
        "key_slots": [b64(slot) for slot in slots.key_slots],
    })


def _verify_own_auth_key(call: Call, auth_key: bytes) -> Account:
    """Check the auth key of the token's account, rate-limited like login."""
    services = call.services
    account = services.storage.get_account(call.account_id)
    if account is None:
        raise auth.invalid_token()
    keys = [account_key(account.email), address_key(call.client_address)]
    services.limiter.check(keys, call.now)
    if not services.hasher.verify(account.auth_hash, auth_key):
        services.limiter.record_failure(keys, call.now)
        raise ApiError(401, "invalid_credentials", "field 'auth_key' does not match the account's auth key")
    return account


def change_password(call: Call) -> Reply:
    """Replace the auth key, KDF parameters, salt and key slots; revoke every token."""
    fields = Fields(call.body)
    auth_key = fields.b64("auth_key", limits.KEY_BYTES, exact=limits.KEY_BYTES)
    new_auth_key = fields.b64("new_auth_key", limits.KEY_BYTES, exact=limits.KEY_BYTES)
    kdf = validation.kdf(fields)
    salt = fields.b64("salt", limits.SALT_BYTES, exact=limits.SALT_BYTES)
    key_slots = validation.key_slots(fields)

    _verify_own_auth_key(call, auth_key)
    new_hash = call.services.hasher.hash(new_auth_key)
    revoked = call.services.storage.change_password(call.account_id, new_hash, kdf, salt, key_slots)
    log.info("request %s: password changed for account %s, %d tokens revoked", call.request_id, call.account_id, revoked)
    return Reply(200, {})


def delete_account(call: Call) -> Reply:
    fields = Fields(call.body)
    auth_key = fields.b64("auth_key", limits.KEY_BYTES, exact=limits.KEY_BYTES)
    _verify_own_auth_key(call, auth_key)
    call.services.storage.delete_account(call.account_id)
    log.info("request %s: deleted account %s", call.request_id, call.account_id)
    return Reply(204)
