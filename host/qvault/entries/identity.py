"""Identity entries: name and e-mail as metadata (for form filling and listing),
phone, address, birth date and document numbers as secrets."""

import datetime
import re

from qvault.entries import common
from qvault.errors import EntryValidationError

METADATA_FIELDS = {"title", "name", "email", "tags"}
SECRET_FIELDS = {"phone", "address", "birth_date", "national_id", "passport", "notes"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
DERIVED_FIELDS: set[str] = set()

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")


def build(fields: dict) -> tuple[dict, dict]:
    """Validate an identity and split it into (metadata, secret)."""
    common.reject_unknown("identity", fields, FIELDS)
    name = common.text(fields, "name")
    title = common.text(fields, "title") or name
    metadata: dict = {"type": "identity", "title": title or common.text(fields, "title", required=True)}
    common.put(metadata, "name", name)
    email = common.text(fields, "email")
    if email is not None and not _EMAIL.match(email):
        raise EntryValidationError(f"field 'email': {email!r} is not an e-mail address like name@example.com")
    common.put(metadata, "email", email)
    common.put(metadata, "tags", common.tags(fields))

    secret: dict = {}
    phone = common.text(fields, "phone")
    if phone is not None and not _PHONE.match(phone):
        raise EntryValidationError("field 'phone': use digits, spaces and + ( ) . - / only")
    common.put(secret, "phone", phone)
    common.put(secret, "address", common.text(fields, "address", multiline=True))
    birth_date = common.text(fields, "birth_date")
    if birth_date is not None:
        try:
            birth_date = datetime.date.fromisoformat(birth_date).isoformat()
        except ValueError:
            raise EntryValidationError("field 'birth_date': expected a date as YYYY-MM-DD") from None
    common.put(secret, "birth_date", birth_date)
    common.put(secret, "national_id", common.text(fields, "national_id"))
    common.put(secret, "passport", common.text(fields, "passport"))
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))
    return metadata, secret
