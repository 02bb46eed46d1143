"""Settings of the sync server, with the limits that protect it.

Each limit is checked before the work it bounds: the body size before parsing, the
row count before validating rows, the rate limit before hashing an auth key.
"""

import dataclasses
import os
import time
from typing import Callable

from qvault.vault.kdf import FLOOR, KdfParams

# A push of 500 rows of a few KiB each fits easily; a larger body is rejected
# with 413 before it is read in full.
BODY_MAX_BYTES = 8 * 1024 * 1024
PUSH_ROWS_MAX = 500
CHANGES_LIMIT_MAX = 1000
# Ciphertext bytes per changes page; a page always contains at least one row.
CHANGES_PAGE_BYTES = 4 * 1024 * 1024
# Opaque blobs the client defines. The sizes are generous caps, not formats.
KEY_SLOTS_MAX = 16
KEY_SLOT_MAX_BYTES = 16 * 1024
MANIFEST_MAX_BYTES = 64 * 1024
# One ciphertext contains at most 1 MiB of padded plaintext plus its tag.
CIPHERTEXT_MAX_BYTES = 1024 * 1024 + 1024
EMAIL_MAX_CHARS = 254
TOKEN_LIFETIME_SECONDS = 24 * 3600


@dataclasses.dataclass(frozen=True)
class AuthHashParams:
    """Argon2id cost of the server's hash of each auth key (argon2-cffi PasswordHasher).

    The default is RFC 9106's second recommended option (the PasswordHasher default).
    The auth key is already a 256-bit Argon2id output. This hash only has to make a
    stolen database useless for logging in, so tests use a cheaper setting.
    """

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


@dataclasses.dataclass(frozen=True)
class BackoffSettings:
    """Failed logins allowed per key before exponential backoff starts.

    After free_failures failures, each further failure blocks the key for
    base_seconds * 2 ** (extra failures - 1), up to max_seconds. A key's count
    starts over when no failure happened for forget_after_seconds.
    """

    free_failures: int
    base_seconds: float = 1.0
    max_seconds: float = 15 * 60
    forget_after_seconds: float = 3600


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """Everything the app needs besides its storage."""

    # Trust X-Forwarded-Proto and X-Forwarded-For from the peer: only for a server
    # that a TLS-terminating proxy alone can reach.
    behind_tls_proxy: bool = False
    body_max_bytes: int = BODY_MAX_BYTES
    push_rows_max: int = PUSH_ROWS_MAX
    changes_limit_max: int = CHANGES_LIMIT_MAX
    changes_page_bytes: int = CHANGES_PAGE_BYTES
    token_lifetime_seconds: int = TOKEN_LIFETIME_SECONDS
    # KDF parameters prelogin returns for unknown emails.
    default_kdf: KdfParams = FLOOR
    auth_hash: AuthHashParams = AuthHashParams()
    # Argon2id hashes running at once; each takes memory_kib of memory.
    hash_concurrency: int = max(2, os.cpu_count() or 2)
    account_backoff: BackoffSettings = BackoffSettings(free_failures=5)
    # Higher than per account: many users may share one address (NAT, an office).
    ip_backoff: BackoffSettings = BackoffSettings(free_failures=20)
    clock: Callable[[], float] = time.time
