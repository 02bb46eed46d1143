"""The request and response types of endpoint functions, independent of the web framework."""

import dataclasses
from typing import Any, Mapping

from qvault.sync.server.auth import AuthHasher
from qvault.sync.server.config import ServerConfig
from qvault.sync.server.ratelimit import LoginLimiter
from qvault.sync.storage.base import Storage


@dataclasses.dataclass(frozen=True)
class Services:
    """Long-lived objects shared by every request of one app."""

    storage: Storage
    config: ServerConfig
    hasher: AuthHasher
    limiter: LoginLimiter


@dataclasses.dataclass
class Call:
    """One request as an endpoint receives it.

    body is the parsed JSON object (None for bodiless requests); account_id and
    token_hash are set for authenticated endpoints; now is whole Unix seconds.
    """

    services: Services
    request_id: str
    client_address: str
    now: int
    body: Any = None
    query: Mapping[str, str] = dataclasses.field(default_factory=dict)
    account_id: str = ""
    token_hash: bytes = b""


@dataclasses.dataclass(frozen=True)
class Reply:
    """An endpoint's response: status and JSON body (None for 204)."""

    status: int
    body: dict[str, Any] | None = None
