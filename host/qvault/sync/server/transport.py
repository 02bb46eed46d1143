"""Client address of a request, and the check that it arrived over TLS or loopback.

Without a proxy, the peer address and scheme come from the ASGI server. With
behind_tls_proxy, the last X-Forwarded-For and X-Forwarded-Proto values count
instead: those are the ones the nearest proxy appended, and earlier values were
sent by the client and may be forged.
"""

import ipaddress
from typing import Any

# Paths served over plain HTTP from anywhere, so a load balancer can check health.
PLAIN_HTTP_PATHS = frozenset({"/v1/health"})


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _last_header_value(scope: dict[str, Any], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]
    if not values:
        return None
    last = ",".join(values).split(",")[-1].strip()
    return last or None


def resolve(scope: dict[str, Any], behind_tls_proxy: bool) -> tuple[str, bool]:
    """Return the client's address and whether the request may be served.

    A request may be served when it came over TLS or from 127.0.0.1 or ::1, where
    plain HTTP never leaves the machine.
    """
    client = scope.get("client")
    address = client[0] if client else ""
    scheme = scope.get("scheme", "http")
    if behind_tls_proxy:
        forwarded_proto = _last_header_value(scope, b"x-forwarded-proto")
        forwarded_for = _last_header_value(scope, b"x-forwarded-for")
        if forwarded_proto is not None:
            scheme = forwarded_proto.lower()
        if forwarded_for is not None:
            address = forwarded_for
    secure = scheme == "https" or is_loopback(address)
    return address, secure
