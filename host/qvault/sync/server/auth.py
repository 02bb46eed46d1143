"""Auth-key hashing and session tokens.

The server stores an Argon2id hash of each account's auth key (argon2-cffi's
PasswordHasher) and the SHA-256 of each session token, never the key or the token.
"""

import hashlib
import logging
import secrets
import threading

import argon2
import argon2.exceptions

from qvault.sync.server.config import AuthHashParams
from qvault.sync.server.errors import ApiError

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters; anything much longer is not a token of ours.
TOKEN_MAX_CHARS = 128


class AuthHasher:
    """Hashes and verifies auth keys, with at most `concurrency` hashes at once.

    Each Argon2id hash takes memory_kib of memory, so the semaphore bounds the
    server's memory under a burst of logins.
    """

    def __init__(self, params: AuthHashParams, concurrency: int):
        self._hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        # NOTE: threads waiting here come from the app's worker pool (anyio's 40), so a
        # burst of logins to many accounts can delay pulls and pushes.
        self._slots = threading.BoundedSemaphore(concurrency)
        self._dummy_hash: str | None = None

    def hash(self, auth_key: bytes) -> str:
        with self._slots:
            return self._hasher.hash(auth_key)

    def verify(self, stored_hash: str | None, auth_key: bytes) -> bool:
        """Return whether auth_key matches; for no account, spend the same time and return False.

        Hashing for unknown emails too keeps the response time from revealing which
        accounts exist.
        """
        if stored_hash is None:
            stored_hash = self._dummy()
            auth_key = b"\x00" + auth_key
        with self._slots:
            try:
                return self._hasher.verify(stored_hash, auth_key)
            except argon2.exceptions.VerifyMismatchError:
                return False
            except argon2.exceptions.InvalidHashError:
                log.error("stored auth-key hash is invalid (not an Argon2 hash); the auth-key check failed")
                return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hash(secrets.token_bytes(32))
        return self._dummy_hash


def new_token() -> tuple[str, bytes]:
    """Return a new session token and the SHA-256 the server stores."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def bearer_token(authorization: str | None) -> str:
    """Return the token of an `Authorization: Bearer <token>` header, or raise 401."""
    if not authorization:
        raise _unauthorized("missing Authorization header; log in and send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Authorization header must be 'Bearer <token>'")
    if len(token) > TOKEN_MAX_CHARS or not token.isascii():
        raise _unauthorized("the session token is invalid or expired; log in again")
    return token


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "invalid_token", message, headers={"WWW-Authenticate": "Bearer"})


def invalid_token() -> ApiError:
    return _unauthorized("the session token is invalid or expired; log in again")
