"""Registrable domains (eTLD+1) from the Public Suffix List.

The list is the copy bundled with the ``publicsuffixlist`` package; nothing is
fetched at run time, so a suffix added upstream is known only after that package is
upgraded. The PRIVATE section is included, so ``alice.github.io`` and
``bob.github.io`` are different sites. A TLD missing from the list is treated as a
public suffix (the list's default ``*`` rule), so ``nas.lan`` is a site.
"""

from __future__ import annotations

import functools

from publicsuffixlist import PublicSuffixList


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    # Loaded on first use: parsing the bundled list takes tens of milliseconds, which
    # processes that never match a URL should not pay.
    return PublicSuffixList(only_icann=False, accept_unknown=True)


def registrable_domain(domain: str) -> str | None:
    """Return the registrable domain of an ASCII lowercase domain name.

    Returns None when the domain is itself a public suffix (``co.uk``,
    ``github.io``) or a single label (``nas``), which has no registrable domain.
    """
    return _public_suffix_list().privatesuffix(domain)
