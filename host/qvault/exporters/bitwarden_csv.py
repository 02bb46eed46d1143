"""Plaintext export in Bitwarden's CSV layout, which most password managers import.

Columns: folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,
login_password,login_totp. Logins keep URLs (comma-separated), username,
password, TOTP and custom fields ('name: value' lines); the first tag becomes the
folder. The format has only logins and notes, so every other entry becomes a note
whose text ends with its fields as 'Field: value' lines. Use the JSON or the
encrypted export to keep every field.
"""

import csv
import io

from qvault.exporters.fields import ExportEntry

COLUMNS = ["folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri", "login_username", "login_password", "login_totp"]


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _row(entry: ExportEntry) -> dict:
    fields = dict(entry.fields)
    tags = fields.pop("tags", [])
    row = {column: "" for column in COLUMNS}
    row.update(folder=tags[0] if tags else "", name=fields.pop("title", ""), reprompt="0")
    notes = fields.pop("notes", "")
    if entry.type == "login":
        row["type"] = "login"
        row["login_uri"] = ",".join(fields.pop("urls", []))
        row["login_username"] = fields.pop("username", "")
        row["login_password"] = fields.pop("password", "")
        row["login_totp"] = fields.pop("totp", "")
        custom = fields.pop("fields", []) + fields.pop("hidden_fields", [])
        row["fields"] = "\n".join(f"{field['name']}: {field['value']}" for field in custom)
        row["notes"] = notes
        return row
    row["type"] = "note"
    lines = [] if entry.type == "note" else [f"Type: {entry.type}"]
    lines += [f"{name}: {_text(value)}" for name, value in fields.items()]
    lines += [f"omitted: {name}" for name in entry.omitted]
    row["notes"] = "\n\n".join(part for part in (notes, "\n".join(lines)) if part)
    return row


def render(entries: list[ExportEntry]) -> bytes:
    """Return the CSV text (RFC 4180, CRLF line ends, UTF-8 without BOM) as bytes."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(_row(entry))
    return buffer.getvalue().encode("utf-8")
