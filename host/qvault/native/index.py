"""An index from site to login entries, so a match request costs O(candidates).

Built once per vault counter: a commit by the CLI or sync makes the next match
rebuild it. Ranking of the few candidates is left to qvault.matching.
"""

import collections


class MatchIndex:
    def __init__(self, entries, counter: int):
        from qvault.matching import parse_origin

        self.counter = counter
        self._by_site: dict[str, list] = collections.defaultdict(list)
        for entry in entries:
            if entry.type != "login":
                continue
            sites = set()
            for url in entry.metadata.get("urls") or []:
                origin = parse_origin(url) if isinstance(url, str) else None
                if origin is not None:
                    sites.add(origin.site or origin.host)
            for site in sites:
                self._by_site[site].append(entry)

    def lookup(self, page_url: str) -> list[tuple]:
        """Return (entry, MatchQuality, matched URL) for the page, best first."""
        from qvault.matching import parse_origin, rank_entries

        origin = parse_origin(page_url)
        if origin is None:
            return []
        candidates = self._by_site.get(origin.site or origin.host, [])
        by_id = {entry.id: entry for entry in candidates}
        ranked = rank_entries([(entry.id, entry.metadata.get("urls") or []) for entry in candidates], page_url)
        return [(by_id[entry_id], quality, url) for entry_id, quality, url in ranked]
