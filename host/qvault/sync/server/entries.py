"""Entry endpoints: changes (pull) and push. Rows are ciphertext the server stores as sent."""

import logging

from qvault import limits
from qvault.sync.server import config, validation
from qvault.sync.server.accounts import b64
from qvault.sync.server.context import Call, Reply
from qvault.sync.server.errors import ApiError, invalid, too_large
from qvault.sync.server.validation import Fields
from qvault.sync.storage.base import EntryRow, PushRow, StalePush

log = logging.getLogger(__name__)

# A tombstone carries empty nonces and ciphertexts; a live row has 24-byte nonces.
NONCE_SIZES = (0, limits.XCHACHA_NONCE_BYTES)


def _query_int(call: Call, name: str, default: int) -> int:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 18:
        raise invalid(f"query parameter '{name}' must be a non-negative integer")
    return int(raw)


def changes(call: Call) -> Reply:
    settings = call.services.config
    since = _query_int(call, "since", 0)
    # A larger limit is lowered to the maximum rather than rejected, and `more` is
    # then true so the client requests the next page.
    limit = min(_query_int(call, "limit", settings.changes_limit_max), settings.changes_limit_max)
    if limit < 1:
        raise invalid("query parameter 'limit' must be at least 1")

    page = call.services.storage.changes(call.account_id, since, limit, settings.changes_page_bytes)
    rows = [
        {
            "id": row.entry_id,
            "revision": row.revision,
            "updated_at": row.updated_at,
            "deleted": row.deleted,
            "meta_nonce": b64(row.meta_nonce),
            "meta_ct": b64(row.meta_ct),
            "secret_nonce": b64(row.secret_nonce),
            "secret_ct": b64(row.secret_ct),
            "server_revision": row.server_revision,
        }
        for row in page.rows
    ]
    manifest = None if page.manifest is None else b64(page.manifest)
    return Reply(200, {"entries": rows, "server_revision": page.server_revision, "more": page.more, "manifest": manifest})


def _push_row(fields: Fields) -> PushRow:
    row = EntryRow(
        entry_id=validation.entry_id(fields),
        revision=fields.integer("revision"),
        updated_at=fields.integer("updated_at"),
        deleted=fields.boolean("deleted"),
        meta_nonce=fields.b64("meta_nonce", limits.XCHACHA_NONCE_BYTES, allowed=NONCE_SIZES),
        meta_ct=fields.b64("meta_ct", config.CIPHERTEXT_MAX_BYTES),
        secret_nonce=fields.b64("secret_nonce", limits.XCHACHA_NONCE_BYTES, allowed=NONCE_SIZES),
        secret_ct=fields.b64("secret_ct", config.CIPHERTEXT_MAX_BYTES),
    )
    return PushRow(row, fields.integer("expected_revision"))


def push(call: Call) -> Reply:
    """Write every row or none: 409 stale lists the rows the client must pull and merge."""
    fields = Fields(call.body)
    base = fields.integer("base_server_revision")
    items = fields.array("entries", max_items=2**31)
    if len(items) > call.services.config.push_rows_max:
        raise too_large(f"field 'entries' has {len(items)} rows; push at most {call.services.config.push_rows_max} per request")
    rows = [_push_row(fields.item("entries", index, item)) for index, item in enumerate(items)]
    manifest = fields.b64("manifest", config.MANIFEST_MAX_BYTES)

    seen: set[str] = set()
    for index, push_row in enumerate(rows):
        if push_row.row.entry_id in seen:
            raise invalid(f"field 'entries[{index}].id' repeats an id earlier in the same push")
        seen.add(push_row.row.entry_id)

    try:
        newest = call.services.storage.push(call.account_id, base, rows, manifest)
    except StalePush as stale:
        conflicts = [{"id": conflict.entry_id, "current_revision": conflict.current_revision} for conflict in stale.conflicts]
        log.info("request %s: stale push for account %s, %d conflicts", call.request_id, call.account_id, len(conflicts))
        raise ApiError(
            409, "stale", "the server has newer rows; pull, merge and push again", extra={"conflicts": conflicts}
        ) from None
    log.info("request %s: push of %d rows for account %s, server revision %d", call.request_id, len(rows), call.account_id, newest)
    return Reply(200, {"server_revision": newest})
