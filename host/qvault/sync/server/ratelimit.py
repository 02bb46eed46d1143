"""Rate limiting of auth-key checks per account and per client address.

Failures are counted in storage, so every server process (and every Lambda
instance) reads the same counts. A key is blocked for an exponentially growing time
once it passes its free failures; a blocked request gets 429 with Retry-After
before any hash is computed.
"""

import dataclasses
import hashlib
import ipaddress
import math

from qvault.sync.server.config import BackoffSettings
from qvault.sync.server.errors import ApiError
from qvault.sync.storage.base import LoginFailures, Storage


@dataclasses.dataclass(frozen=True)
class Backoff:
    """The BackoffPolicy storage applies when it records a failure."""

    settings: BackoffSettings

    def next_state(self, previous: LoginFailures | None, now: float) -> LoginFailures:
        failures = 1
        if previous is not None and now - previous.last_failure < self.settings.forget_after_seconds:
            failures = previous.failures + 1
        extra = failures - self.settings.free_failures
        blocked_until = 0.0
        if extra > 0:
            delay = min(self.settings.base_seconds * 2 ** min(extra - 1, 62), self.settings.max_seconds)
            blocked_until = now + delay
        return LoginFailures(failures, blocked_until, now)


def account_key(email: str) -> str:
    # Hashed, so guesses at unknown emails leave no email in the database.
    return "email:" + hashlib.sha256(email.encode("utf-8")).hexdigest()


def address_key(address: str) -> str:
    """Return the key of a client address; IPv6 clients are grouped by /64, one site."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "ip:unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"ip:{parsed.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((parsed, 64), strict=False)}"
    return f"ip:{parsed}"


class LoginLimiter:
    """Checks and records failed auth-key checks for an account key and an address key."""

    def __init__(self, storage: Storage, account: BackoffSettings, address: BackoffSettings):
        self._storage = storage
        self._policies = {"email:": Backoff(account), "ip:": Backoff(address)}
        # A record older than this has no effect: its count would start over and any
        # block has ended (max_seconds is below forget_after_seconds by default).
        self._keep_seconds = max(
            max(settings.forget_after_seconds, settings.max_seconds) for settings in (account, address)
        )

    def check(self, keys: list[str], now: float) -> None:
        """Raise 429 rate_limited with Retry-After if any key is blocked at now."""
        blocked_until = max((state.blocked_until for state in self._storage.login_failures(keys).values()), default=0.0)
        if blocked_until > now:
            retry_after = max(1, math.ceil(blocked_until - now))
            raise ApiError(
                429,
                "rate_limited",
                f"too many failed attempts; retry after {retry_after} seconds",
                headers={"Retry-After": str(retry_after)},
            )

    def record_failure(self, keys: list[str], now: float) -> None:
        for key in keys:
            policy = self._policies["email:" if key.startswith("email:") else "ip:"]
            self._storage.record_login_failure(key, now, policy)
        # Failures on made-up emails would otherwise grow the table without bound.
        self._storage.purge_login_failures(now - self._keep_seconds)

    def clear(self, key: str) -> None:
        self._storage.clear_login_failures(key)
