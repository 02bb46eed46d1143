"""Bitwarden CSV export: logins and secure notes of a personal vault.

Columns: folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,
login_password,login_totp. 'type' is 'login' or 'note'. 'fields' contains custom
fields as 'name: value' lines, and 'login_uri' several URIs separated by commas.
The folder becomes a tag. Bitwarden's CSV has no cards or identities; its JSON
export (bitwarden_json) does.
"""

import pathlib

from qvault.errors import EntryValidationError
from qvault.importers import csvread
from qvault.importers.records import Draft, ParsedSource, ReadOptions

COLUMNS = {"folder", "favorite", "type", "name", "notes", "fields", "login_uri", "login_username", "login_password", "login_totp"}
ROW_TYPES = {"login": "login", "note": "note"}


def add_fields_text(draft: Draft, text: str) -> None:
    """Add 'name: value' lines as custom fields; a line without ': ' becomes a note line."""
    for line in text.splitlines():
        name, separator, value = line.partition(": ")
        if separator and name.strip():
            draft.add_field(name, value)
        elif line.strip():
            draft.add_note_line(line)


def read(path: pathlib.Path, options: ReadOptions) -> ParsedSource:
    parsed = ParsedSource("bitwarden")
    for row in csvread.open_source(path, options.encoding, parsed, COLUMNS, "Bitwarden"):

        def build(row=row):
            kind = row.get("type").strip().lower()
            if kind not in ROW_TYPES:
                raise EntryValidationError(f"type {kind!r} is not supported in Bitwarden CSV; expected login or note")
            draft = Draft(ROW_TYPES[kind], row.location)
            draft.set("title", row.get("name"))
            draft.set("notes", row.get("notes"))
            draft.add_tag(row.get("folder"))
            add_fields_text(draft, row.get("fields"))
            if kind == "login":
                for uri in row.get("login_uri").split(","):
                    draft.add_url(uri)
                draft.set("username", row.get("login_username"))
                draft.set("password", row.get("login_password"))
                draft.set_totp(row.get("login_totp"))
            return draft.record()

        parsed.add(row.location, build)
    return parsed
