"""Server connection entries: host, port, protocol and username as metadata;
password, SSH private key and notes as secrets."""

import ipaddress
import re

from qvault.entries import common
from qvault.errors import EntryValidationError

METADATA_FIELDS = {"title", "host", "port", "protocol", "username", "tags"}
SECRET_FIELDS = {"password", "ssh_key", "notes"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
DERIVED_FIELDS: set[str] = set()
PROTOCOLS = ("ssh", "sftp", "ftp", "ftps", "rdp", "vnc", "telnet", "https", "http", "smb", "mysql", "postgresql", "other")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def _host(fields: dict) -> str | None:
    host = common.text(fields, "host")
    if host is None:
        return None
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    ascii_host = candidate.rstrip(".")
    try:
        ascii_host = ascii_host.encode("idna").decode("ascii")
    except UnicodeError:
        raise EntryValidationError(f"field 'host': {host!r} is not a valid host name") from None
    if len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
        raise EntryValidationError(f"field 'host': {host!r} is not a host name or IP address")
    return candidate.rstrip(".").lower()


def _port(fields: dict) -> int | None:
    value = fields.get("port")
    if value is None or value == "":
        return None
    try:
        port = int(str(value).strip())
    except ValueError:
        raise EntryValidationError(f"field 'port': {value!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise EntryValidationError(f"field 'port': {port} is outside 1..65535")
    return port


def build(fields: dict) -> tuple[dict, dict]:
    """Validate a server entry and split it into (metadata, secret)."""
    common.reject_unknown("server", fields, FIELDS)
    host = _host(fields)
    metadata: dict = {"type": "server", "title": common.text(fields, "title") or host or common.text(fields, "title", required=True)}
    common.put(metadata, "host", host)
    common.put(metadata, "port", _port(fields))
    protocol = common.text(fields, "protocol")
    if protocol is not None:
        protocol = protocol.lower()
        if protocol not in PROTOCOLS:
            raise EntryValidationError(f"field 'protocol': {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    common.put(metadata, "protocol", protocol)
    common.put(metadata, "username", common.text(fields, "username"))
    common.put(metadata, "tags", common.tags(fields))

    secret: dict = {}
    common.put(secret, "password", common.password(fields))
    common.put(secret, "ssh_key", common.text(fields, "ssh_key", multiline=True))
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))
    return metadata, secret
