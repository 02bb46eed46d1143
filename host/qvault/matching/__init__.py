"""Matching of entry URLs against the page the browser reports.

Origins are compared after normalisation (scheme, IDNA host, port), exact origin
first, then registrable domain from the Public Suffix List (private section
included). Anything but an http or https URL matches nothing.
"""

from qvault.matching.origin import Origin, parse_origin
from qvault.matching.rank import MatchQuality, match_quality, origin_match_quality, rank_entries

__all__ = [
    "MatchQuality",
    "Origin",
    "match_quality",
    "origin_match_quality",
    "parse_origin",
    "rank_entries",
]
