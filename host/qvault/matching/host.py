"""Host normalisation: IDNA (UTS 46) domain names, IPv4 and IPv6 literals.

The steps follow the WHATWG URL Standard's host parser. The browser applied that
parser to the page URL the native host receives, so an entry URL typed by a user
normalises to the same string as the browser's record of the tab:

1. ``[...]`` is an IPv6 literal, serialised compressed and lowercase.
2. Otherwise the host is percent-decoded, decoded as UTF-8 and mapped with UTS 46
   (non-transitional, STD3 rules off) by the ``idna`` package. Non-ASCII labels
   become A-labels (``xn--``).
3. A host whose last label is a number (``127.1``, ``0x7f.0.0.1``, ``2130706433``)
   is an IPv4 address and is serialised as a dotted quad, or rejected.

Qvault is stricter than browsers in two places, so a host either normalises to the
browser's form or is rejected (matches nothing), never normalised differently:
ASCII labels may hold only letters, digits, ``-`` and ``_``, and DNS lengths apply
(63 per label, 253 in all). One trailing dot is dropped (``example.com.`` is
``example.com`` in DNS), where browsers keep it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

import idna

LABEL_MAX_CHARS = 63
HOST_MAX_CHARS = 253

_ASCII_LABEL = re.compile(r"[a-z0-9_-]+")
_ACE_PREFIX = "xn--"


class Host(NamedTuple):
    """A normalised host: ``name`` is ASCII lowercase, IPv6 inside brackets."""

    name: str
    is_ip: bool


def normalise_host(unverified_host: str) -> Host | None:
    """Normalise the host part of a URL, or return None when it is invalid.

    Parse failures return None instead of raising (checked by a property test on
    arbitrary text).
    """
    if not unverified_host:
        return None

    if unverified_host.startswith("["):
        return _parse_ipv6(unverified_host)

    domain = _domain_to_ascii(unverified_host)
    if domain is None:
        return None

    if _ends_in_number(domain):
        address = _parse_ipv4(domain)
        if address is None:
            return None
        return Host(address, True)

    return Host(domain, False)


def _parse_ipv6(bracketed: str) -> Host | None:
    if not bracketed.endswith("]") or len(bracketed) < 3:
        return None
    inner = bracketed[1:-1]

    # Browsers reject zone ids; Python's ipaddress would accept "fe80::1%eth0".
    if "%" in inner:
        return None

    try:
        address = ipaddress.IPv6Address(inner)
    except ValueError:
        return None
    return Host(f"[{address.compressed}]", True)


def _domain_to_ascii(unverified_host: str) -> str | None:
    try:
        decoded = unquote_to_bytes(unverified_host).decode("utf-8")
    except UnicodeDecodeError:
        return None

    try:
        mapped = idna.uts46_remap(decoded, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        return None

    labels = mapped.split(".")
    # One trailing dot is the DNS root, not an empty label.
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()

    ascii_labels = []
    for label in labels:
        ascii_label = _label_to_ascii(label)
        if ascii_label is None:
            return None
        ascii_labels.append(ascii_label)

    domain = ".".join(ascii_labels)
    if len(domain) > HOST_MAX_CHARS:
        return None
    return domain


def _label_to_ascii(label: str) -> str | None:
    if not label:
        return None

    if not label.isascii():
        try:
            encoded = idna.alabel(label).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
        if len(encoded) > LABEL_MAX_CHARS:
            return None
        return encoded

    label = label.lower()
    if len(label) > LABEL_MAX_CHARS or not _ASCII_LABEL.fullmatch(label):
        return None

    # An A-label must round-trip, so "xn--bcher-kva" and "bücher" give one name and a
    # malformed or non-canonical punycode label is rejected.
    if label.startswith(_ACE_PREFIX):
        try:
            canonical = idna.alabel(idna.ulabel(label)).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
        if canonical != label:
            return None

    return label


def _ends_in_number(domain: str) -> bool:
    last = domain.rpartition(".")[2]
    if last.isdigit():
        return True
    return _parse_ipv4_number(last) is not None


def _parse_ipv4_number(part: str) -> int | None:
    """Parse one IPv4 part: decimal, ``0x`` hexadecimal or leading-zero octal."""
    if not part:
        return None

    radix = 10
    digits = part
    if len(part) >= 2 and part[:2] in ("0x", "0X"):
        radix = 16
        digits = part[2:]
    elif len(part) >= 2 and part[0] == "0":
        radix = 8
        digits = part[1:]

    if not digits:
        return 0

    allowed = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[radix]
    if any(char not in allowed for char in digits):
        return None
    return int(digits, radix)


def _parse_ipv4(domain: str) -> str | None:
    parts = domain.split(".")
    if len(parts) > 4:
        return None

    numbers = []
    for part in parts:
        number = _parse_ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)

    if any(number > 255 for number in numbers[:-1]):
        return None
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        return None

    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(value))
