"""Entry URL against page URL: match quality and ranking of entries.

Rules, from the entry's point of view:

- EXACT: same scheme, host and port.
- SITE: same registrable domain on both sides and a compatible scheme.
- An https entry never matches an http page. An http entry may match an https
  page (the page is at least as protected as the entry expects), ranked SITE.
- An entry URL that names a port other than the scheme's default matches only
  pages on that port. An entry URL without a port matches any port of its site.
- A host without a registrable domain (IP literal, single label such as ``nas``,
  a public suffix such as ``github.io``) matches only the same origin exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

from qvault.matching.origin import Origin, parse_origin

Key = TypeVar("Key", bound=Hashable)


class MatchQuality(enum.IntEnum):
    """Quality of a match between an entry URL and a page. Higher is better."""

    SITE = 1
    EXACT = 2


def match_quality(entry_url: str, page_url: str) -> MatchQuality | None:
    """Return how well ``entry_url`` matches ``page_url``, or None if it does not.

    A scheme-less entry URL is read as https; a scheme-less page URL matches nothing.
    """
    page = parse_origin(page_url, False)
    if page is None:
        return None
    entry = parse_origin(entry_url)
    if entry is None:
        return None
    return origin_match_quality(entry, page)


def origin_match_quality(entry: Origin, page: Origin) -> MatchQuality | None:
    """Return how well the entry's origin matches the page's origin, or None."""
    if entry.host == page.host and entry.port == page.port and entry.scheme == page.scheme:
        return MatchQuality.EXACT

    if entry.scheme == "https" and page.scheme == "http":
        return None
    if entry.explicit_port and entry.port != page.port:
        return None

    if entry.site is None or entry.site != page.site:
        return None
    return MatchQuality.SITE


def rank_entries(
    entries: Iterable[tuple[Key, Sequence[str]]], page_url: str
) -> list[tuple[Key, MatchQuality, str]]:
    """Return the entries matching ``page_url``, best match first.

    Each matching entry appears once, as (key, quality, best URL), where the best
    URL is the entry's first URL with the highest quality. EXACT entries come before
    SITE entries, and entries of equal quality keep their input order. A URL list
    that is not a list or tuple, and URLs that are not ``str``, are skipped, so one
    malformed entry cannot fail the whole request.
    """
    page = parse_origin(page_url, False)
    if page is None:
        return []

    matches: list[tuple[Key, MatchQuality, str]] = []
    for key, urls in entries:
        if not isinstance(urls, (list, tuple)):
            continue

        best_quality: MatchQuality | None = None
        best_url = ""
        for url in urls:
            if type(url) is not str:
                continue
            entry = parse_origin(url)
            if entry is None:
                continue

            # Inlined fast rejection: most entries share neither host nor site.
            if entry.host != page.host and (entry.site is None or entry.site != page.site):
                continue

            quality = origin_match_quality(entry, page)
            if quality is not None and (best_quality is None or quality > best_quality):
                best_quality = quality
                best_url = url
                if quality is MatchQuality.EXACT:
                    break

        if best_quality is not None:
            matches.append((key, best_quality, best_url))

    # sorted() is stable, so equal qualities keep the input order.
    return sorted(matches, key=lambda match: -match[1])
