"""Secure note entries: a title and tags as metadata, the text as a secret."""

from qvault.entries import common

METADATA_FIELDS = {"title", "tags"}
SECRET_FIELDS = {"notes"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
DERIVED_FIELDS: set[str] = set()


def build(fields: dict) -> tuple[dict, dict]:
    """Validate a secure note and split it into (metadata, secret)."""
    common.reject_unknown("note", fields, FIELDS)
    metadata: dict = {"type": "note", "title": common.text(fields, "title", required=True)}
    common.put(metadata, "tags", common.tags(fields))
    secret: dict = {}
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))
    return metadata, secret
