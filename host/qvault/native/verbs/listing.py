"""Verbs that list entries: match (for a page) and search. Metadata only."""

import json

from qvault import limits
from qvault.native.codes import ErrorCode, RequestError
from qvault.native.dispatch import Arg, verb

_PUBLIC_ADDRESSES_MAX = 20


def _text(value, max_chars: int) -> str:
    """Cap a metadata string, since entries imported from elsewhere may be huge."""
    return value[:max_chars] if isinstance(value, str) else ""


def _summary(entry, match: str, url: str | None) -> dict:
    metadata = entry.metadata
    first_url = next(iter(metadata.get("urls") or []), "")
    summary = {
        "id": entry.id,
        "revision": entry.revision,
        "type": entry.type,
        "title": _text(metadata.get("title"), limits.FIELD_TEXT_MAX_CHARS),
        "username": _text(metadata.get("username"), limits.FIELD_TEXT_MAX_CHARS),
        "url": _text(url or first_url, limits.URL_MAX_CHARS),
        "match": match,
    }
    if entry.type == "wallet":
        # Public data only, marked as such: the seed never leaves the host.
        public = {}
        if isinstance(metadata.get("addresses"), list):
            public["addresses"] = [_text(address, 200) for address in metadata["addresses"][:_PUBLIC_ADDRESSES_MAX]]
        for field in ("xpub", "coin"):
            if field in metadata:
                public[field] = _text(metadata[field], 200)
        summary["public"] = public
    return summary


def _paginate(items: list[dict], cursor: str | None) -> dict:
    """Return one page of items that fits well inside the outbound frame limit.

    A page ends at MATCH_PAGE_SIZE items or at the byte budget, whichever comes
    first, because a count alone does not bound the size of long titles and URLs.
    """
    start = 0
    if cursor is not None:
        if not cursor.isdigit() or int(cursor) > len(items):
            raise RequestError(ErrorCode.INVALID_ARGUMENT, f"cursor {cursor[:20]!r} is invalid; pass the next_cursor of the previous reply")
        start = int(cursor)
    page = []
    size = 0
    end = start
    while end < len(items) and len(page) < limits.MATCH_PAGE_SIZE:
        item_size = len(json.dumps(items[end], ensure_ascii=False).encode("utf-8")) + 1
        if page and size + item_size > limits.PAGE_BUDGET_BYTES:
            break
        page.append(items[end])
        size += item_size
        end += 1
    return {"entries": page, "next_cursor": str(end) if end < len(items) else None}


@verb("match", url=Arg(str, max_chars=limits.URL_MAX_CHARS), cursor=Arg(str, required=False, max_chars=20))
def match(session, url: str, cursor: str | None = None) -> dict:
    """Return the logins whose URLs match the page, best match first."""
    vault = session.vault()
    ranked = session.match_index(vault).lookup(url)
    items = [_summary(entry, quality.name.lower(), best_url) for entry, quality, best_url in ranked]
    return _paginate(items, cursor)


@verb("search", query=Arg(str, max_chars=200), cursor=Arg(str, required=False, max_chars=20))
def search(session, query: str, cursor: str | None = None) -> dict:
    """Case-insensitive substring search over titles, usernames, URLs and tags."""
    vault = session.vault()
    needle = query.casefold().strip()
    if not needle:
        raise RequestError(ErrorCode.INVALID_ARGUMENT, "search: the query is empty; type part of a title, user name or address")
    found = []
    for entry in vault.entries():
        metadata = entry.metadata
        haystack = [metadata.get("title", ""), metadata.get("username", ""), *(metadata.get("urls") or []), *(metadata.get("tags") or [])]
        if any(needle in str(text).casefold() for text in haystack):
            found.append(entry)
    found.sort(key=lambda entry: entry.title.casefold())
    return _paginate([_summary(entry, "search", None) for entry in found], cursor)
