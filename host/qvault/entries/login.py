"""Login entries: several URLs, username, password, TOTP, notes and custom fields.

Visible custom fields ('fields') are metadata; hidden ones ('hidden_fields'), like
the password, the TOTP secret and the notes, are secret.
"""

import urllib.parse

from qvault.entries import common, totp

METADATA_FIELDS = {"title", "urls", "username", "tags", "fields"}
SECRET_FIELDS = {"password", "totp", "notes", "hidden_fields"}
FIELDS = METADATA_FIELDS | SECRET_FIELDS
DERIVED_FIELDS: set[str] = set()


def build(fields: dict) -> tuple[dict, dict]:
    """Validate a login and split it into (metadata, secret).

    Without a title, the host name of the first URL becomes the title.
    """
    common.reject_unknown("login", fields, FIELDS)
    urls = common.urls(fields)
    title = common.text(fields, "title")
    if title is None and urls:
        title = urllib.parse.urlsplit(urls[0]).hostname
    if title is None:
        common.text(fields, "title", required=True)

    metadata: dict = {"type": "login", "title": title}
    common.put(metadata, "urls", urls)
    common.put(metadata, "username", common.text(fields, "username"))
    common.put(metadata, "tags", common.tags(fields))
    common.put(metadata, "fields", common.custom_fields(fields, "fields"))

    secret: dict = {}
    common.put(secret, "password", common.password(fields))
    totp_text = common.text(fields, "totp")
    if totp_text is not None:
        secret["totp"] = totp.normalize(totp_text)
    common.put(secret, "notes", common.text(fields, "notes", multiline=True))
    common.put(secret, "hidden_fields", common.custom_fields(fields, "hidden_fields"))
    return metadata, secret
