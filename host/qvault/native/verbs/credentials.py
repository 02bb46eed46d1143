"""Verbs that touch one entry's secret: get_login and save_login.

The host re-checks every origin itself: the extension's claim that an entry fits a
page is never trusted, so a compromised renderer cannot pull another site's login.
"""

import logging

from qvault import limits
from qvault.native.codes import ErrorCode, RequestError
from qvault.native.dispatch import Arg, verb

log = logging.getLogger(__name__)

_FILLABLE_TYPES = ("login",)
# Entry types whose secrets unlock funds (entry type "key" is a private key).
_NEVER_SENT_TYPES = ("wallet", "key")


def login_entry(vault, entry_id: str):
    # Session.vault() refreshed the vault for this request already.
    entry = vault.entry(entry_id, refresh=False)
    if entry.type in _NEVER_SENT_TYPES:
        raise RequestError(ErrorCode.FORBIDDEN, f"entry {entry_id} is a {entry.type}; its secrets never leave the desktop")
    if entry.type not in _FILLABLE_TYPES:
        raise RequestError(ErrorCode.FORBIDDEN, f"entry {entry_id} is a {entry.type or 'untyped entry'}, not a login")
    return entry


def best_url(entry, page_url: str) -> str:
    from qvault.matching import rank_entries

    ranked = rank_entries([(entry.id, entry.metadata.get("urls") or [])], page_url)
    if not ranked:
        raise RequestError(ErrorCode.ORIGIN_MISMATCH, f"entry {entry.id} is not saved for this page's site")
    return ranked[0][2]


@verb("get_login", entry_id=Arg(str, max_chars=64), url=Arg(str, max_chars=limits.URL_MAX_CHARS))
def get_login(session, entry_id: str, url: str) -> dict:
    vault = session.vault()
    entry = login_entry(vault, entry_id)
    matched_url = best_url(entry, url)
    secret = vault.get_secret(entry_id)
    log.info("get_login: sent entry %s", entry_id)
    return {
        "entry_id": entry.id,
        "username": entry.metadata.get("username", ""),
        "password": secret.get("password", ""),
        "url": matched_url,
    }


@verb(
    "save_login",
    url=Arg(str, max_chars=limits.URL_MAX_CHARS),
    username=Arg(str),
    password=Arg(str),
    title=Arg(str, required=False, max_chars=200),
    entry_id=Arg(str, required=False, max_chars=64),
    expected_revision=Arg(int, required=False, minimum=1),
)
def save_login(session, url: str, username: str, password: str, title: str | None = None,
               entry_id: str | None = None, expected_revision: int | None = None) -> dict:
    """Create a login for the page, or update one; an update needs the revision it read."""
    from qvault.entries import build_entry, merged_fields
    from qvault.matching import parse_origin

    vault = session.vault()
    origin = parse_origin(url)
    if origin is None:
        raise RequestError(ErrorCode.INVALID_ARGUMENT, "save_login: the page URL is not an http or https address")
    if not password:
        raise RequestError(ErrorCode.INVALID_ARGUMENT, "save_login: the password is empty")

    if entry_id is None:
        if expected_revision is not None:
            raise RequestError(ErrorCode.INVALID_ARGUMENT, "save_login: expected_revision needs entry_id")
        saved_url = f"{origin.scheme}://{origin.host}" + (f":{origin.port}" if origin.explicit_port else "") + "/"
        metadata, secret = build_entry(
            "login", {"title": title or origin.host, "urls": [saved_url], "username": username, "password": password}
        )
        entry = vault.add_entry(metadata, secret)
        log.info("save_login: created entry %s", entry.id)
        session.request_sync()
        return {"entry_id": entry.id, "revision": entry.revision, "created": True}

    if expected_revision is None:
        raise RequestError(ErrorCode.INVALID_ARGUMENT, "save_login: updating an entry needs expected_revision")
    entry = login_entry(vault, entry_id)
    best_url(entry, url)
    fields = merged_fields(entry.metadata, vault.get_secret(entry_id))
    fields.update(username=username, password=password)
    if title:
        fields["title"] = title
    metadata, secret = build_entry("login", fields)
    updated = vault.update_entry(entry_id, expected_revision, metadata, secret)
    log.info("save_login: updated entry %s to revision %d", entry_id, updated.revision)
    session.request_sync()
    return {"entry_id": updated.id, "revision": updated.revision, "created": False}
