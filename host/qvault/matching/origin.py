"""URL to origin: scheme, normalised host, port and registrable domain.

Only ``http`` and ``https`` URLs have an origin that a login can match. Every other
scheme (``androidapp:``, ``blob:``, ``data:``, ``about:``, ``file:``,
``javascript:``, ``chrome:``, ...) and every URL that fails to parse gives None,
which matches nothing.

The authority is split the way the WHATWG URL Standard splits it for special
schemes, because the browser applied those rules to the page URL:

- tabs and newlines anywhere are removed, and leading and trailing C0 controls and
  spaces are stripped;
- any run of ``/`` and ``\\`` after ``scheme:`` is skipped;
- the authority ends at the first ``/``, ``\\``, ``?`` or ``#``, so
  ``https://evil.com\\@good.com`` has host ``evil.com``, as in browsers (Python's
  urllib returns ``good.com``);
- userinfo ends at the *last* ``@``, so ``https://evil.com@good.com`` has host
  ``good.com``;
- the port starts at the first ``:`` outside IPv6 brackets and must be ASCII digits.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qvault.limits import URL_MAX_CHARS
from qvault.matching.host import normalise_host
from qvault.matching.site import registrable_domain

DEFAULT_PORTS = {"http": 80, "https": 443}
PORT_MAX = 65535
# Maximum number of parsed URLs in parse_origin's cache. The native host matches
# every entry URL of the vault per request, so the cache should fit all of them
# (about 340 bytes each, measured with tracemalloc on CPython 3.11).
# NOTE: a vault with more distinct URLs than this thrashes the LRU cache, so every
# request parses every URL again: about 15-30 us per URL instead of 0.2 us.
ORIGIN_CACHE_SIZE = 1 << 16

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Port after "host:" in a scheme-less entry URL such as "localhost:8080/login", so
# "localhost" is not taken for a scheme. At least one digit is required, so
# "file:///etc" stays the scheme "file".
_PORT_AFTER_COLON = re.compile(r"[0-9]+(?:[/?#\\]|$)")
_PORT_DIGITS = re.compile(r"[0-9]*")
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
_AUTHORITY_END = re.compile(r"[/\\?#]")


@dataclass(frozen=True, slots=True)
class Origin:
    """A normalised web origin with its registrable domain.

    ``host`` is ASCII lowercase (A-labels for internationalised names, IPv6 inside
    brackets). ``port`` is always set, with the scheme's default when the URL gave
    none. ``explicit_port`` is true when the URL named a port other than the
    default. ``site`` is the registrable domain (eTLD+1), or None for IP literals,
    single-label hosts and hosts that are themselves public suffixes.
    """

    scheme: str
    host: str
    port: int
    explicit_port: bool
    site: str | None

    def __str__(self) -> str:
        if self.explicit_port:
            return f"{self.scheme}://{self.host}:{self.port}"
        return f"{self.scheme}://{self.host}"


@functools.lru_cache(maxsize=ORIGIN_CACHE_SIZE)
def parse_origin(url: str, assume_https: bool = True) -> Origin | None:
    """Parse a URL into its Origin, or return None when it can match nothing.

    A URL without a scheme (``github.com``, ``localhost:8080/x``) is read as https
    when ``assume_https`` is true, because users often save entry URLs that way.
    Pass False for page URLs: the browser always records them with a scheme, so a
    scheme-less page URL is invalid. Non-``str`` input returns None. Results are
    cached per (url, assume_https), so the returned Origin is shared.
    """
    if not isinstance(url, str) or len(url) > URL_MAX_CHARS:
        return None

    text = url.translate(_TAB_OR_NEWLINE).strip(_C0_OR_SPACE)
    if not text:
        return None

    split = _split_scheme(text, assume_https)
    if split is None:
        return None
    scheme, rest = split

    authority = _AUTHORITY_END.split(rest.lstrip("/\\"), maxsplit=1)[0]
    host_and_port = authority.rpartition("@")[2]
    split_host = _split_host_and_port(host_and_port)
    if split_host is None:
        return None
    raw_host, raw_port = split_host

    port = _parse_port(raw_port, scheme)
    if port is None:
        return None

    host = normalise_host(raw_host)
    if host is None:
        return None

    site = None if host.is_ip else registrable_domain(host.name)
    explicit_port = port != DEFAULT_PORTS[scheme]
    return Origin(scheme, host.name, port, explicit_port, site)


def _split_scheme(text: str, assume_https: bool) -> tuple[str, str] | None:
    """Return (lowercase scheme, text after ``scheme:``), or None for other schemes."""
    match = _SCHEME.match(text)
    if match is not None:
        scheme = match.group(1).lower()
        rest = text[match.end():]
        if scheme in DEFAULT_PORTS:
            return scheme, rest

        # "localhost:8080" is a host and a port, not the scheme "localhost".
        if not (assume_https and _PORT_AFTER_COLON.match(rest)):
            return None

    if not assume_https:
        return None
    return "https", text


def _split_host_and_port(host_and_port: str) -> tuple[str, str] | None:
    if host_and_port.startswith("["):
        close = host_and_port.find("]")
        if close < 0:
            return None
        host = host_and_port[: close + 1]
        after = host_and_port[close + 1:]
        if not after:
            return host, ""
        if not after.startswith(":"):
            return None
        return host, after[1:]

    host, _, port = host_and_port.partition(":")
    return host, port


def _parse_port(raw_port: str, scheme: str) -> int | None:
    if not raw_port:
        return DEFAULT_PORTS[scheme]

    # ASCII digits only: str.isdigit() would accept "²" or Arabic-Indic digits.
    if not _PORT_DIGITS.fullmatch(raw_port):
        return None

    significant = raw_port.lstrip("0") or "0"
    if len(significant) > len(str(PORT_MAX)):
        return None
    port = int(significant)
    if port > PORT_MAX:
        return None
    return port
